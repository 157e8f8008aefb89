"""``raschet billing …`` and ``raschet scenario …``: delivery only, each calls a service."""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"нужен месяц ГГГГ-ММ, получено {text!r}") from exc


def _organization(console: Any, code: str | None) -> Any:
    from raschet.cli import _organization_arg

    return _organization_arg(console, code)


def cmd_billing_run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from raschet.billing.services import BillingError, billing_run
    from raschet.cli import _migrate

    console = Console()
    _migrate()
    organization = _organization(console, args.organization)
    if organization is None:
        return 2
    started = time.monotonic()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        console=console,
    ) as bar:
        task = bar.add_task("Расчёт: лицевые счета", total=None, rate="")

        def progress(run: Any) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            bar.update(
                task,
                total=run.accounts_total or None,
                completed=run.accounts_done,
                rate=f"{run.accounts_done / elapsed:,.0f} ЛС/с".replace(",", " "),
            )

        try:
            run = billing_run(
                organization=organization,
                period=args.period,
                trial=args.trial,
                progress=progress,
            )
        except BillingError as exc:
            console.print(f"[red]{exc}[/red]")
            return 1
    elapsed = time.monotonic() - started
    console.print(
        f"Расчёт №{run.pk} за {args.period:%m.%Y}: {run.get_state_display()}; "
        f"ЛС {run.accounts_done}, строк {run.lines_count}, {elapsed:.1f} с"
    )
    if run.error:
        console.print(f"[red]{run.error}[/red]")
        return 1
    _print_report(console, run)
    return 0


def _print_report(console: Any, run: Any) -> None:
    from rich.table import Table

    from raschet.core.money import format_rubles

    report = run.report or {}
    if run.months_recomputed:
        console.print("Пересчитаны месяцы: " + ", ".join(run.months_recomputed))
    table = Table(
        title=f"Сравнение с {report.get('previous_period', '')[:7]}", title_justify="left"
    )
    table.add_column("Услуга")
    table.add_column("Было, ₽", justify="right")
    table.add_column("Стало, ₽", justify="right")
    for row in report.get("services", []):
        table.add_row(row["service"], format_rubles(row["previous"]), format_rubles(row["current"]))
    console.print(table)
    console.print(
        f"Перерасчёты прошлых месяцев: {format_rubles(report.get('recalculation_total', 0))} ₽"
    )
    if report.get("changed_accounts_count"):
        console.print(
            f"ЛС с изменением больше {report['threshold_percent']} %: "
            f"{report['changed_accounts_count']}"
        )


def cmd_billing_post(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.billing.models import BillingRun
    from raschet.billing.services import BillingError, billing_run_post

    console = Console()
    run = BillingRun.objects.filter(pk=args.run).first()
    if run is None:
        console.print(f"[red]Нет расчёта №{args.run}[/red]")
        return 2
    try:
        run = billing_run_post(run=run)
    except BillingError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    console.print(f"Расчёт №{run.pk} проведён: {run.lines_count} строк")
    return 0


def cmd_billing_resume(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.billing.models import BillingRun
    from raschet.billing.services import BillingError, billing_run_resume

    console = Console()
    run = BillingRun.objects.filter(pk=args.run).first()
    if run is None:
        console.print(f"[red]Нет расчёта №{args.run}[/red]")
        return 2
    try:
        run = billing_run_resume(run=run)
    except BillingError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    console.print(f"Расчёт №{run.pk}: {run.get_state_display()}, строк {run.lines_count}")
    return 0 if not run.error else 1


def cmd_billing_close(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.billing.services import BillingError, billing_month_close

    console = Console()
    organization = _organization(console, args.organization)
    if organization is None:
        return 2
    try:
        billing_month_close(organization=organization, period=args.period)
    except BillingError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    console.print(f"Месяц {args.period:%m.%Y} закрыт")
    return 0


def cmd_billing_explain(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.billing.selectors import account_lines
    from raschet.core.money import format_rubles
    from raschet.housing.models import Account

    console = Console()
    accounts = Account.objects.filter(number=args.account)
    if args.organization:
        accounts = accounts.filter(organization__code=args.organization)
    found = list(accounts[:2])
    if not found:
        console.print(f"[red]Нет лицевого счёта {args.account}[/red]")
        return 2
    if len(found) > 1:
        console.print(
            "[red]Счёт с таким номером есть в нескольких организациях: --organization[/red]"
        )
        return 2
    account = found[0]
    lines = account_lines(account, args.period)
    console.print(f"ЛС {account.number}, {account.payer_name}: начисления за {args.period:%m.%Y}")
    if not lines:
        console.print("Проведённых начислений за этот месяц нет.")
        return 1
    total = 0
    for line in lines:
        title = ""
        if line.corrects_period != line.period:
            title = f"Перерасчёт за {line.corrects_period:%m.%Y} ({line.reason}). "
        console.print(title + line.explanation, highlight=False)  # type: ignore[attr-defined]
        console.print("")
        total += line.total
    console.print(f"Всего к начислению за месяц: {format_rubles(total)} ₽")
    return 0


def cmd_scenario(args: argparse.Namespace) -> int:
    from raschet.scenarios import cli as scenario_cli

    scenario_cli.migrate_quietly()
    if args.action == "run":
        return int(scenario_cli.main_run(args.file))
    return int(scenario_cli.main_check(args.file))


def add_parsers(sub: Any) -> None:
    billing = sub.add_parser("billing", help="расчёт начислений: run, post, resume, close, explain")
    bsub = billing.add_subparsers(dest="action", required=True)
    run = bsub.add_parser("run", help="рассчитать месяц (с --trial — без проведения)")
    run.add_argument("--period", type=_month, required=True, help="месяц ГГГГ-ММ")
    run.add_argument("--organization", help="код организации")
    run.add_argument("--trial", action="store_true", help="пробный расчёт: не проводить")
    run.set_defaults(func=cmd_billing_run)
    post = bsub.add_parser("post", help="провести расчёт")
    post.add_argument("--run", type=int, required=True, help="номер расчёта")
    post.set_defaults(func=cmd_billing_post)
    resume = bsub.add_parser("resume", help="досчитать расчёт, прерванный на середине")
    resume.add_argument("--run", type=int, required=True, help="номер расчёта")
    resume.set_defaults(func=cmd_billing_resume)
    close = bsub.add_parser("close", help="закрыть месяц")
    close.add_argument("--period", type=_month, required=True, help="месяц ГГГГ-ММ")
    close.add_argument("--organization", help="код организации")
    close.set_defaults(func=cmd_billing_close)
    explain = bsub.add_parser("explain", help="вывод начислений лицевого счёта за месяц")
    explain.add_argument("--account", required=True, help="номер лицевого счёта")
    explain.add_argument("--period", type=_month, required=True, help="месяц ГГГГ-ММ")
    explain.add_argument("--organization", help="код организации")
    explain.set_defaults(func=cmd_billing_explain)

    scenario = sub.add_parser("scenario", help="эталонные сценарии расчёта (YAML)")
    ssub = scenario.add_subparsers(dest="action", required=True)
    for name, text in (
        ("run", "рассчитать сценарий и вывести строки (JSON)"),
        ("check", "сверить расчёт с ожидаемыми строками"),
    ):
        p = ssub.add_parser(name, help=text)
        p.add_argument("file", help="файл сценария .yaml")
        p.set_defaults(func=cmd_scenario)
