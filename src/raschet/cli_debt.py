"""``raschet debt …``: monthly penalties, debtor notices, instalment plans, rate tables.

Delivery only: each subcommand parses its arguments and calls a service of `raschet.debt`.
(The stand-alone penalty calculator is ``raschet penalty calc``.)
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from raschet.cli_billing import _month


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"нужна дата ГГГГ-ММ-ДД, получено {text!r}") from exc


def _rubles(text: str) -> int:
    from raschet.core.money import MoneyError, parse_rubles

    try:
        return parse_rubles(text)
    except MoneyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_penalties(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.cli import _migrate, _organization_arg
    from raschet.core.money import format_rubles
    from raschet.debt.penalties import PenaltyError, penalties_post

    console = Console()
    _migrate()
    organization = _organization_arg(console, args.organization)
    if organization is None:
        return 2
    try:
        result = penalties_post(organization=organization, period=args.period)
    except PenaltyError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    console.print(
        f"Пени за {args.period:%m.%Y}: счетов × услуг {result.tranches}, проводок "
        f"{result.entries}, начислено {format_rubles(result.total_kopecks)} ₽"
    )
    return 0


def cmd_notices(args: argparse.Namespace) -> int:
    from django.utils import timezone
    from rich.console import Console

    from raschet.cli import _migrate, _organization_arg
    from raschet.debt.services import DebtError, notices_send

    console = Console()
    _migrate()
    organization = _organization_arg(console, args.organization)
    if organization is None:
        return 2
    try:
        report = notices_send(
            organization=organization,
            on=args.on or timezone.localdate(),
            threshold_kopecks=args.threshold,
            min_months=args.months,
        )
    except DebtError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    console.print(
        f"Уведомления: по e-mail {report.sent}, письмами {report.letters}; пропущено — "
        f"рассрочка {report.skipped_plan}, спор {report.skipped_dispute}, "
        f"недавно уведомлены {report.skipped_recent}"
    )
    return 0


def cmd_plans(args: argparse.Namespace) -> int:
    from django.utils import timezone
    from rich.console import Console

    from raschet.cli import _migrate, _organization_arg
    from raschet.debt.services import instalment_plans_check

    console = Console()
    _migrate()
    organization = _organization_arg(console, args.organization)
    if organization is None:
        return 2
    result = instalment_plans_check(organization=organization, on=args.on or timezone.localdate())
    console.print(
        f"Рассрочки: соблюдаются {result.kept}, нарушены {result.broken}, "
        f"исполнены {result.completed}"
    )
    return 0


def cmd_rates_load(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.cli import _migrate
    from raschet.core.penalty_data import PenaltyDataError
    from raschet.debt.services import rates_load

    console = Console()
    _migrate()
    try:
        rates, periods = rates_load(
            key_rates=Path(args.key_rates) if args.key_rates else None,
            special_periods=Path(args.special_periods) if args.special_periods else None,
        )
    except (PenaltyDataError, OSError) as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    console.print(f"Загружено: ключевых ставок {rates}, особых периодов {periods}")
    return 0


def add_parsers(sub: Any) -> None:
    debt = sub.add_parser("debt", help="работа с задолженностью: пени, уведомления, рассрочки")
    dsub = debt.add_subparsers(dest="action", required=True)
    pen = dsub.add_parser("penalties", help="начислить пени за месяц (разница к начисленным)")
    pen.add_argument("--period", type=_month, required=True, help="месяц ГГГГ-ММ")
    pen.add_argument("--organization", help="код организации")
    pen.set_defaults(func=cmd_penalties)
    notices = dsub.add_parser("notices", help="уведомить должников по правилам")
    notices.add_argument("--threshold", type=_rubles, default=0, help="долг от, рублей")
    notices.add_argument("--months", type=int, default=2, help="просрочка от, месяцев")
    notices.add_argument("--on", type=_day, help="на дату ГГГГ-ММ-ДД (по умолчанию сегодня)")
    notices.add_argument("--organization", help="код организации")
    notices.set_defaults(func=cmd_notices)
    plans = dsub.add_parser("plans", help="проверить соблюдение рассрочек")
    plans.add_argument("--on", type=_day, help="на дату ГГГГ-ММ-ДД (по умолчанию сегодня)")
    plans.add_argument("--organization", help="код организации")
    plans.set_defaults(func=cmd_plans)
    rates = dsub.add_parser(
        "rates-load", help="загрузить таблицу ключевых ставок и особых периодов"
    )
    rates.add_argument("--key-rates", help="CSV effective_from,rate_percent")
    rates.add_argument(
        "--special-periods", help="CSV start,end,kind,rate_percent,debts_due_before,act"
    )
    rates.set_defaults(func=cmd_rates_load)
