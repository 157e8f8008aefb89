"""``raschet penalty calc``: the penalty calculator for one debt — delivery only.

Parses the arguments, calls the scalar reference `raschet.core.penalties_reference.calculate`
(it produces the segments of a printout) with the shipped or given rate tables, and prints a
table or JSON. No database: nothing here reads or writes one (rules.md §3, docs/penalties.md).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from raschet.core.money import MoneyError, format_rubles, kopecks_to_decimal, parse_rubles
from raschet.core.penalties import PenaltySettings, RateStrategy, Regime
from raschet.core.penalties_reference import Calculation, Payment, Tranche, calculate
from raschet.core.penalty_data import PenaltyDataError, read_tables

STRATEGY_TITLES = {
    RateStrategy.PAYMENT_DAY: "Ставка на день оплаты (неоплаченное — на день расчёта)",
    RateStrategy.DAILY: "Ставка каждого дня просрочки",
}


class _InputError(ValueError):
    pass


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise _InputError(f"{option}: нужна дата ГГГГ-ММ-ДД, получено {text!r}") from exc


def _amount(text: str, option: str) -> int:
    try:
        return parse_rubles(text)
    except MoneyError as exc:
        raise _InputError(f"{option}: {exc}") from exc


def _payment(text: str) -> Payment:
    day, sep, amount = text.partition(":")
    if not sep:
        raise _InputError(
            f"--payment: нужно ДАТА:СУММА, например 2025-04-25:1000.00, получено {text!r}"
        )
    kopecks = _amount(amount, "--payment")
    if kopecks <= 0:
        raise _InputError(f"--payment: сумма должна быть больше нуля, получено {amount!r}")
    return Payment(day=_date(day, "--payment"), amount=kopecks)


def _rubles(kopecks: int) -> str:
    return str(kopecks_to_decimal(kopecks).quantize(Decimal("0.01")))


def as_json(calc: Calculation) -> dict[str, Any]:
    """The JSON form: decimals as strings (rubles), dates ISO."""
    return {
        "total": _rubles(calc.penalty_kopecks),
        "segments": [
            {
                "from": s.start.isoformat(),
                "to": s.end.isoformat(),
                "days": s.days,
                "debt": _rubles(s.debt),
                "rate_percent": str(s.rate_percent.quantize(Decimal("0.01"))),
                "fraction": s.fraction,
                "amount": _rubles(s.amount_kopecks),
                "amount_exact": str(s.amount_rubles()),
                "act": s.act,
            }
            for s in calc.segments
        ],
    }


def _print_table(
    console: Any, calc: Calculation, tranche: Tranche, until: date, settings: PenaltySettings
) -> None:
    from rich import box
    from rich.table import Table

    law = (
        "ЖК РФ ст.155 ч.14.1 (капремонт): 1/300 ставки с 1-го дня"
        if tranche.regime == Regime.CAPITAL_REPAIR
        else "ЖК РФ ст.155 ч.14: 1/300 ставки с 31-го дня, 1/130 с 91-го"
    )
    day_rule = "включается" if settings.payment_day_counted else "не включается"
    console.print(
        f"Долг {format_rubles(tranche.amount)} ₽, срок оплаты {tranche.due:%d.%m.%Y}, "
        f"расчёт по {until:%d.%m.%Y} включительно"
    )
    console.print(law)
    console.print(f"{STRATEGY_TITLES[settings.rate_strategy]}; день оплаты {day_rule}")
    table = Table(
        title="Расчёт пени",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for head, justify in (
        ("С", "left"),
        ("По", "left"),
        ("Дней", "right"),
        ("Долг, ₽", "right"),
        ("Ставка, %", "right"),
        ("Доля ставки", "left"),
        ("Пени, ₽", "right"),
    ):
        table.add_column(head, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    acts: dict[str, None] = {}
    for s in calc.segments:
        table.add_row(
            f"{s.start:%d.%m.%Y}",
            f"{s.end:%d.%m.%Y}",
            str(s.days),
            format_rubles(s.debt),
            str(s.rate_percent.quantize(Decimal("0.01"))).replace(".", ","),
            s.fraction,
            format_rubles(s.amount_kopecks),
        )
        if s.act:
            acts[s.act] = None
    table.add_section()
    table.add_row("Итого", "", "", "", "", "", format_rubles(calc.penalty_kopecks))
    console.print(table)
    if acts:
        console.print("Основания ставки и мораториев: " + "; ".join(acts))
    console.print(
        f"Итого пени: {format_rubles(calc.penalty_kopecks)} ₽ "
        "(точная сумма строк, округлённая один раз)"
    )


def cmd_penalty_calc(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    errors = Console(stderr=True, soft_wrap=True)
    try:
        amount = _amount(args.amount, "--amount")
        if amount < 0:
            raise _InputError(f"--amount: сумма долга не может быть отрицательной: {args.amount}")
        tranche = Tranche(
            amount=amount,
            due=_date(args.due, "--due"),
            regime=Regime.CAPITAL_REPAIR if args.capital_repair else Regime.HOUSING,
        )
        until = _date(args.until, "--until")
        payments = [_payment(text) for text in args.payment]
        tables = read_tables(
            Path(args.rates) if args.rates else None,
            Path(args.special_periods) if args.special_periods else None,
        )
        settings = PenaltySettings(
            payment_day_counted=not args.payment_day_excluded,
            rate_strategy=RateStrategy(args.rate_strategy),
        )
        calc = calculate(tranche, payments, until=until, tables=tables, settings=settings)
    except (_InputError, PenaltyDataError, ValueError) as exc:
        errors.print(f"[red]{exc}[/red]")
        return 2
    if args.format == "json":
        print(json.dumps(as_json(calc), ensure_ascii=False, indent=2))
    else:
        _print_table(console, calc, tranche, until, settings)
    return 0


def add_parsers(sub: Any) -> None:
    penalty = sub.add_parser("penalty", help="пени (ЖК РФ ст.155 ч.14, 14.1)")
    psub = penalty.add_subparsers(dest="penalty_command", required=True)
    calc = psub.add_parser(
        "calc",
        help="калькулятор пени по одному долгу (без базы данных)",
        description="Пени по долгу одного месяца (docs/penalties.md).",
    )
    calc.add_argument("--amount", required=True, help="сумма долга в рублях, например 5000.00")
    calc.add_argument("--due", required=True, help="срок оплаты ГГГГ-ММ-ДД")
    calc.add_argument("--until", required=True, help="дата расчёта ГГГГ-ММ-ДД (включительно)")
    calc.add_argument(
        "--payment",
        action="append",
        default=[],
        metavar="ДАТА:СУММА",
        help="платёж в счёт этого долга, например 2025-04-25:1000.00 (можно несколько)",
    )
    calc.add_argument(
        "--capital-repair",
        action="store_true",
        help="взнос на капремонт: 1/300 с первого дня (ЖК РФ ст.155 ч.14.1)",
    )
    calc.add_argument(
        "--payment-day-excluded",
        action="store_true",
        help="не считать день оплаты днём просрочки (по умолчанию считается)",
    )
    calc.add_argument(
        "--rate-strategy",
        choices=[s.value for s in RateStrategy],
        default=RateStrategy.PAYMENT_DAY.value,
        help="payment_day — ставка на день оплаты (по умолчанию); daily — ставка каждого дня",
    )
    calc.add_argument("--format", choices=["table", "json"], default="table")
    calc.add_argument("--rates", help="CSV ключевых ставок вместо поставляемого")
    calc.add_argument("--special-periods", help="CSV особых периодов вместо поставляемого")
    calc.set_defaults(func=cmd_penalty_calc)
