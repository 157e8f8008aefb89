"""``raschet capitalrepair statement …``: a building's capital repair fund statement.

Delivery only: reads `raschet.capitalrepair.selectors.fund_statement` and prints it, or
writes it as CSV / XLSX (by the extension of ``--out``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from raschet.cli_billing import _month


def cmd_statement(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from raschet.capitalrepair.exports import statement_csv, statement_xlsx, summary_rows, title
    from raschet.capitalrepair.selectors import FundError, fund_statement
    from raschet.cli import _migrate
    from raschet.core.money import format_rubles
    from raschet.housing.models import Building

    console = Console()
    _migrate()
    building = Building.objects.filter(pk=args.building).first()
    if building is None:
        console.print(f"[red]Нет дома с id {args.building}[/red]")
        return 2
    suffix = Path(args.out).suffix.lower() if args.out else ""
    if args.out and suffix not in (".csv", ".xlsx"):
        console.print(f"[red]--out: файл .csv или .xlsx, получено {args.out}[/red]")
        return 2
    try:
        statement = fund_statement(building=building, start=args.start, end=args.end)
    except FundError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    if args.out:
        data = statement_xlsx(statement) if suffix == ".xlsx" else statement_csv(statement)
        Path(args.out).write_bytes(data)
        console.print(
            f"Выписка: {len(statement.accounts)} лицевых счетов, "
            f"{len(statement.spendings)} оплат работ → {args.out}"
        )
        return 0
    table = Table(title=title(statement))
    table.add_column("Показатель")
    table.add_column("Сумма, ₽", justify="right")
    for label, kopecks in summary_rows(statement):
        table.add_row(label, format_rubles(kopecks, thousands=" "))
    console.print(table)
    return 0


def add_parsers(sub: Any) -> None:
    capital = sub.add_parser("capitalrepair", help="фонд капитального ремонта дома")
    csub = capital.add_subparsers(dest="action", required=True)
    statement = csub.add_parser("statement", help="выписка по фонду капремонта дома за период")
    statement.add_argument("--building", type=int, required=True, help="id дома")
    statement.add_argument(
        "--from", dest="start", type=_month, required=True, help="первый месяц ГГГГ-ММ"
    )
    statement.add_argument(
        "--to", dest="end", type=_month, required=True, help="последний месяц ГГГГ-ММ"
    )
    statement.add_argument("--out", help="файл .csv или .xlsx (иначе — таблица на экран)")
    statement.set_defaults(func=cmd_statement)
