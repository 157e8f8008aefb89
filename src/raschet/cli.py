"""The ``raschet`` command: demo, serve, imports, billing, scenarios and Django management.

Delivery only: every subcommand parses its arguments and calls a service.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raschet.config.settings")
    import django
    from django.conf import settings

    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _serve(host: str, port: int) -> int:
    from django.core.management import call_command

    print(f"Raschet: http://{host}:{port}/  (Ctrl+C — остановить)")
    call_command("runserver", f"{host}:{port}", use_reloader=False, insecure_serving=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.cli_progress import rich_progress
    from raschet.demo.services import demo_build, demo_exists, demo_logins

    console = Console()
    _migrate()
    if args.reset or not demo_exists():
        with rich_progress(console) as progress:
            result = demo_build(accounts=args.accounts, seed=args.seed, progress=progress)
        console.print(f"Демо-данные созданы: {result.summary}")
    else:
        console.print("Демо-данные уже есть (--reset — пересоздать).")
    _print_logins(console, demo_logins(), f"http://{args.host}:{args.port}/admin/")
    _print_portal_samples(console, f"http://{args.host}:{args.port}/portal/")
    if args.no_serve:
        return 0
    return _serve(args.host, args.port)


def _print_logins(console: Any, logins: list[Any], url: str) -> None:
    from rich.table import Table

    table = Table(title=f"Входы в бэк-офис: {url}", title_justify="left")
    table.add_column("Логин", no_wrap=True)
    table.add_column("Пароль", no_wrap=True)
    table.add_column("Кто это")
    for login in logins:
        table.add_row(login.username, login.password, login.description)
    console.print(table)


def _print_portal_samples(console: Any, url: str) -> None:
    """A few demo accounts with their access codes, to try the resident portal."""
    from rich.table import Table

    from raschet.housing.models import Account
    from raschet.portal.services import access_code_for

    accounts = list(
        Account.objects.filter(organization__code__startswith="demo-", closed_on__isnull=True)
        .select_related("premises__building")
        .order_by("pk")[:3]
    )
    if not accounts:
        return
    table = Table(
        title=f"Личный кабинет жильца: {url} — зарегистрируйтесь и привяжите счёт",
        title_justify="left",
    )
    table.add_column("Лицевой счёт", no_wrap=True)
    table.add_column("Код доступа", no_wrap=True)
    table.add_column("Адрес")
    for account in accounts:
        table.add_row(account.number, access_code_for(account), str(account.premises))
    console.print(table)


def cmd_serve(args: argparse.Namespace) -> int:
    _migrate()
    return _serve(args.host, args.port)


def cmd_import_housing(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.cli_progress import rich_progress
    from raschet.importers.housing import housing_import, render_report

    console = Console()
    _migrate()
    organization = _organization_arg(console, args.organization)
    if organization is None:
        return 2
    with rich_progress(console) as progress:
        report = housing_import(
            path=Path(args.file), organization=organization, dry_run=args.dry_run, progress=progress
        )
    render_report(report, console)
    return 0 if report.ok else 1


def _organization_arg(console: Any, code: str | None) -> Any:
    from raschet.organizations.models import Organization

    if code:
        organization = Organization.objects.filter(code=code).first()
        if organization is None:
            console.print(f"[red]Нет организации с кодом {code!r}[/red]")
        return organization
    owners = Organization.objects.exclude(kind__in=["supplier", "billing_centre"])
    if owners.count() == 1:
        return owners.get()
    codes = ", ".join(owners.values_list("code", flat=True)) or "—"
    console.print(f"[red]Укажите --organization CODE (есть: {codes})[/red]")
    return None


def _organization_and_file(console: Any, code: str | None, file: str) -> Any:
    """The organization (`_organization_arg`) and the input file's path, or None when either
    is wrong (the reason printed)."""
    from pathlib import Path

    organization = _organization_arg(console, code)
    if organization is None:
        return None
    path = Path(file)
    if not path.is_file():
        console.print(f"[red]Нет файла {path}[/red]")
        return None
    return organization, path


def cmd_import_readings(args: argparse.Namespace) -> int:
    from datetime import date

    from django.utils import timezone
    from rich.console import Console

    from raschet.cli_progress import rich_progress
    from raschet.metering.imports import readings_import, render_readings_report

    console = Console()
    _migrate()
    organization = _organization_arg(console, args.organization)
    if organization is None:
        return 2
    try:
        today = date.fromisoformat(args.today) if args.today else timezone.localdate()
    except ValueError:
        console.print(f"[red]--today: нужна дата ГГГГ-ММ-ДД, получено {args.today!r}[/red]")
        return 2
    with rich_progress(console) as progress:
        report = readings_import(
            path=Path(args.file),
            organization=organization,
            today=today,
            dry_run=args.dry_run,
            progress=progress,
        )
    render_readings_report(report, console)
    return 0 if report.ok else 1


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["raschet manage", *args.args])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raschet", description="Raschet — биллинг ЖКХ с открытым кодом"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="создать демо-расчётный центр и запустить сервер")
    demo.add_argument(
        "--accounts", type=int, default=1000, help="число лицевых счетов (по умолчанию 1000)"
    )
    demo.add_argument("--seed", type=int, default=1, help="зерно генератора (по умолчанию 1)")
    demo.add_argument("--reset", action="store_true", help="пересоздать демо-данные")
    demo.add_argument("--no-serve", action="store_true", help="не запускать сервер")
    demo.add_argument("--host", default=DEFAULT_HOST)
    demo.add_argument("--port", type=int, default=DEFAULT_PORT)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="запустить веб-сервер")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.set_defaults(func=cmd_serve)

    imp = sub.add_parser("import", help="импорт данных из файлов")
    imp_sub = imp.add_subparsers(dest="what", required=True)
    housing = imp_sub.add_parser("housing", help="жилфонд из XLSX/CSV по шаблону")
    housing.add_argument("file", help="файл .xlsx или .csv")
    housing.add_argument("--organization", help="код организации-владельца данных")
    housing.add_argument(
        "--dry-run", action="store_true", help="только проверить файл, ничего не записывать"
    )
    housing.set_defaults(func=cmd_import_housing)
    readings = imp_sub.add_parser("readings", help="показания приборов учёта из XLSX/CSV")
    readings.add_argument("file", help="файл .xlsx или .csv (см. docs/import-readings.md)")
    readings.add_argument("--organization", help="код организации-владельца данных")
    readings.add_argument(
        "--dry-run", action="store_true", help="только проверить файл, ничего не записывать"
    )
    readings.add_argument("--today", help="дата приёма (ГГГГ-ММ-ДД), по умолчанию сегодня")
    readings.set_defaults(func=cmd_import_readings)

    from raschet import cli_billing, cli_debt, cli_documents, cli_payments, cli_penalty

    cli_payments.add_import_parser(imp_sub)
    cli_billing.add_parsers(sub)
    cli_payments.add_parsers(sub)
    cli_penalty.add_parsers(sub)
    cli_debt.add_parsers(sub)
    cli_documents.add_parsers(sub)
    from raschet import cli_capitalrepair

    cli_capitalrepair.add_parsers(sub)
    from raschet import cli_exchange

    cli_exchange.add_parsers(sub)

    manage = sub.add_parser("manage", help="команды управления Django", add_help=False)
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo" and args.accounts < 1:
        print("--accounts: нужно число больше нуля", file=sys.stderr)
        return 2
    if args.command == "scenario":
        # A scenario runs in a scratch database of its own, never in the user's data.
        from raschet.scenarios.cli import scratch_database_url

        os.environ["DATABASE_URL"] = scratch_database_url()
    _setup_django()
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
