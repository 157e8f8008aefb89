"""``raschet import payments …`` and ``raschet report turnover …``: delivery only."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from raschet.cli_billing import _month


def cmd_import_payments(args: argparse.Namespace) -> int:
    from django.utils import timezone
    from rich.console import Console
    from rich.table import Table

    from raschet.cli import _migrate, _organization_and_file
    from raschet.core.money import format_rubles
    from raschet.payments import formats
    from raschet.payments.models import Channel, PaymentSource
    from raschet.payments.services import PaymentError, registry_import

    console = Console()
    _migrate()
    found = _organization_and_file(console, args.organization, args.file)
    if found is None:
        return 2
    organization, path = found
    try:
        layout = formats.load_layout(args.layout)
    except formats.LayoutError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    try:
        today = date.fromisoformat(args.today) if args.today else timezone.localdate()
    except ValueError:
        console.print(f"[red]--today: нужна дата ГГГГ-ММ-ДД, получено {args.today!r}[/red]")
        return 2
    if args.source:
        source = PaymentSource.objects.filter(organization=organization, code=args.source).first()
        if source is None:
            console.print(f"[red]Нет источника платежей с кодом {args.source!r}[/red]")
            return 2
    else:
        source, _ = PaymentSource.objects.get_or_create(
            organization=organization,
            code=f"registry-{layout.name}",
            defaults={"name": layout.title, "channel": Channel.BANK, "layout": layout.name},
        )
    try:
        report = registry_import(
            organization=organization,
            source=source,
            data=path.read_bytes(),
            filename=path.name,
            layout=layout.name,
            today=today,
            progress=lambda msg: console.print(msg),
        )
    except PaymentError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    if not report.ok:
        console.print(f"[red]{report.summary()}[/red]")
        return 1
    sections: tuple[tuple[str, list[Any], tuple[str, ...]], ...] = (
        ("Отклонённые строки", report.rejected, ("Строка", "Поле", "Значение", "Причина")),
        ("Повторы", report.duplicates, ("Строка", "Операция", "Почему")),
        (
            "Не опознаны (очередь на разбор)",
            report.unidentified,
            ("Строка", "Лицевой счёт", "", "Сумма"),
        ),
    )
    for title, rows, heads in sections:
        if not rows:
            continue
        table = Table(title=f"{title}: {len(rows)}", title_justify="left")
        for head in heads:
            if head:
                table.add_column(head)
        for row in rows[:50]:
            cells = [str(v) for v in row]
            if title.startswith("Не опознаны"):
                cells = [cells[0], cells[1], format_rubles(int(row[3]))]
            table.add_row(*cells)
        console.print(table)
        if len(rows) > 50:
            console.print(f"… и ещё {len(rows) - 50}")
    console.print(report.summary())
    return 0


def cmd_report_turnover(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.cli import _migrate, _organization_arg
    from raschet.ledger.exports import turnover_csv, turnover_xlsx
    from raschet.ledger.selectors import turnover

    console = Console(stderr=True)
    _migrate()
    organization = _organization_arg(console, args.organization)
    if organization is None:
        return 2
    end = args.to or args.period
    if end < args.period:
        console.print("[red]--to раньше --period[/red]")
        return 2
    sheet = turnover(organization_ids=[organization.pk], start=args.period, end=end, by=args.by)
    data = turnover_xlsx(sheet) if args.format == "xlsx" else turnover_csv(sheet)
    if args.output:
        Path(args.output).write_bytes(data)
        console.print(f"Ведомость: {len(sheet.rows)} строк → {args.output}")
    elif args.format == "xlsx":
        console.print("[red]Для XLSX укажите --output ФАЙЛ[/red]")
        return 2
    else:
        sys.stdout.buffer.write(data)
    return 0


def add_import_parser(imp_sub: Any) -> None:
    payments = imp_sub.add_parser("payments", help="реестр платежей банка или агента")
    payments.add_argument("file", help="файл реестра")
    payments.add_argument(
        "--layout", required=True, help="формат реестра (docs/payment-registries.md)"
    )
    payments.add_argument("--organization", help="код организации")
    payments.add_argument("--source", help="код источника платежей (договора с банком)")
    payments.add_argument("--today", help="дата приёма (ГГГГ-ММ-ДД), по умолчанию сегодня")
    payments.set_defaults(func=cmd_import_payments)


def add_parsers(sub: Any) -> None:
    report = sub.add_parser("report", help="отчёты")
    rsub = report.add_subparsers(dest="report", required=True)
    turnover = rsub.add_parser("turnover", help="оборотно-сальдовая ведомость")
    turnover.add_argument("--period", type=_month, required=True, help="месяц ГГГГ-ММ")
    turnover.add_argument("--to", type=_month, help="последний месяц диапазона ГГГГ-ММ")
    turnover.add_argument(
        "--by", choices=["account", "building", "service", "payee"], default="service"
    )
    turnover.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    turnover.add_argument("--output", help="файл для записи (для CSV — иначе в stdout)")
    turnover.add_argument("--organization", help="код организации")
    turnover.set_defaults(func=cmd_report_turnover)
