"""``raschet exchange …``: files for social protection offices and their answers — delivery
only, each subcommand calls a service of `raschet.exchange`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from raschet.cli_billing import _month


def cmd_export(args: argparse.Namespace) -> int:
    from django.utils import timezone
    from rich.console import Console

    from raschet.cli import _migrate, _organization_arg
    from raschet.exchange.services import ExchangeError, exchange_export

    console = Console(stderr=True)
    _migrate()
    organization = _organization_arg(console, args.organization)
    if organization is None:
        return 2
    try:
        result = exchange_export(
            organization=organization,
            period=args.period,
            layout_name=args.layout,
            office=args.office or "",
            today=timezone.localdate(),
        )
    except ExchangeError as exc:
        console.print(f"[red]{exc.message}[/red]")
        return 1
    out = Path(args.out) if args.out else Path(result.file_name)
    if out.is_dir():
        out = out / result.file_name
    out.write_bytes(result.data)
    console.print(
        f"Выгрузка в соцзащиту за {args.period:%m.%Y}: строк {result.run.rows} → {out} "
        f"(обмен №{result.run.pk})"
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from django.utils import timezone
    from rich.console import Console

    from raschet.cli import _migrate, _organization_and_file
    from raschet.exchange.services import ExchangeError, exchange_import

    console = Console()
    _migrate()
    found = _organization_and_file(console, args.organization, args.file)
    if found is None:
        return 2
    organization, path = found
    try:
        result = exchange_import(
            organization=organization,
            data=path.read_bytes(),
            file_name=path.name,
            layout_name=args.layout,
            today=timezone.localdate(),
        )
    except ExchangeError as exc:
        console.print(f"[red]{exc.message}[/red]")
        return 2
    for problem in result.problems[:100]:
        console.print(problem.text, markup=False, highlight=False)
    if len(result.problems) > 100:
        console.print(f"… и ещё {len(result.problems) - 100}")
    console.print(result.summary(), style=None if result.ok else "red")
    return 0 if result.ok else 1


def add_parsers(sub: Any) -> None:
    from raschet.exchange.layouts import DEFAULT_EXPORT, DEFAULT_RESPONSE

    exchange = sub.add_parser("exchange", help="обмен с органами соцзащиты (льготники)")
    esub = exchange.add_subparsers(dest="action", required=True)
    export = esub.add_parser("export", help="выгрузить льготников за месяц в файл")
    export.add_argument("--period", type=_month, required=True, help="месяц ГГГГ-ММ")
    export.add_argument("--office", help="код отдела соцзащиты (попадает в имя файла и журнал)")
    export.add_argument(
        "--layout",
        default=DEFAULT_EXPORT,
        help=f"макет файла (по умолчанию {DEFAULT_EXPORT}: DBF cp866; docs/social-protection.md)",
    )
    export.add_argument("--out", help="файл или папка для записи (по умолчанию — имя по макету)")
    export.add_argument("--organization", help="код организации")
    export.set_defaults(func=cmd_export)
    imp = esub.add_parser("import", help="принять ответ соцзащиты (подтверждение/прекращение)")
    imp.add_argument("file", help="файл ответа (CSV, XLSX или DBF по макету)")
    imp.add_argument(
        "--layout", default=DEFAULT_RESPONSE, help=f"макет ответа (по умолчанию {DEFAULT_RESPONSE})"
    )
    imp.add_argument("--organization", help="код организации")
    imp.set_defaults(func=cmd_import)
