"""«Расчёт пени» for one account: every tranche with its segments, for a court claim.

The same history the monthly run reads (`raschet.debt.penalties`) is computed tranche by
tranche with the scalar reference (`raschet.core.penalties_reference.calculate`), which
gives the printable segments: from, to, days, debt, rate, fraction, amount. Totals are the
exact sums rounded once per tranche, like the posted penalties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from raschet.core import penalties as core
from raschet.core.money import format_rubles
from raschet.core.penalties_reference import Calculation, Payment, Tranche, calculate
from raschet.core.periods import Month
from raschet.debt.penalties import (
    CAPITAL_REPAIR_CODE,
    EPOCH,
    _read_history,
    capital_repair_due_options,
    penalty_settings,
    penalty_tables,
)
from raschet.housing.models import Account
from raschet.tariffs.models import Service

FONTS = Path(__file__).resolve().parents[1] / "payments" / "fonts"


@dataclass(frozen=True)
class TrancheCalculation:
    service: str
    month: date
    due: date
    amount_kopecks: int
    calculation: Calculation


@dataclass(frozen=True)
class AccountPenalty:
    account: Account
    until: date
    strategy: str
    payment_day_counted: bool
    tranches: list[TrancheCalculation]

    @property
    def total_kopecks(self) -> int:
        return sum(t.calculation.penalty_kopecks for t in self.tranches)


def account_penalty(*, account: Account, until: date) -> AccountPenalty:
    """The penalty of every late tranche of ``account`` up to ``until``, with segments."""
    organization = account.organization
    settings, due_options = penalty_settings(organization)
    capital_options = capital_repair_due_options(organization)
    tables = penalty_tables()
    t, s = _read_history(organization.pk, until, account.pk, account.pk)
    names = dict(Service.objects.filter(organization=organization).values_list("pk", "name"))
    codes = dict(Service.objects.filter(organization=organization).values_list("pk", "code"))
    rows = []
    for i in range(len(t["amount"])):
        month = date.fromordinal(int(t["month"][i]) + EPOCH)
        key = (t["service"][i], t["payee"][i], t["month"][i])
        payments = [
            Payment(date.fromordinal(int(s["day"][k]) + EPOCH), int(s["amount"][k]))
            for k in range(len(s["amount"]))
            if (s["service"][k], s["payee"][k], s["month"][k]) == key and s["amount"][k] > 0
        ]
        payments = _capped(payments, int(t["amount"][i]))
        service = int(t["service"][i])
        regime = (
            core.Regime.CAPITAL_REPAIR
            if codes.get(service) == CAPITAL_REPAIR_CODE
            else core.Regime.HOUSING
        )
        options = capital_options if regime == core.Regime.CAPITAL_REPAIR else due_options
        due = core.due_date(Month.of(month), **options)
        calc = calculate(
            Tranche(int(t["amount"][i]), due, regime),
            payments,
            until=until,
            tables=tables,
            settings=settings,
        )
        if calc.penalty_kopecks or calc.segments:
            rows.append(
                TrancheCalculation(names.get(service, ""), month, due, int(t["amount"][i]), calc)
            )
    rows.sort(key=lambda r: (r.month, r.service))
    return AccountPenalty(
        account, until, str(settings.rate_strategy), settings.payment_day_counted, rows
    )


def _capped(payments: list[Payment], base: int) -> list[Payment]:
    """Payments in date order, capped at the tranche (beyond it was an advance)."""
    out, paid = [], 0
    for p in sorted(payments, key=lambda p: p.day):
        amount = min(p.amount, base - paid)
        if amount > 0:
            out.append(Payment(p.day, amount))
            paid += amount
    return out


def account_penalty_pdf(result: AccountPenalty) -> bytes:
    """«Расчёт пени» as an A4 landscape PDF: a table per tranche and the total."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    account = result.account
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creator("Raschet")
    pdf.set_title(f"Расчёт пени, л/с {account.number}")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()

    def text(value: str, size: int = 9, bold: bool = False, height: float = 5) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, height, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    text(account.organization.display_name, 10, True)
    text(
        f"Расчёт пени по лицевому счёту № {account.number} на {result.until:%d.%m.%Y}", 13, True, 7
    )
    text(f"{account.payer_name}, {account.premises}")
    strategy = (
        "ставка на день оплаты (на день расчёта — для неоплаченного долга)"
        if result.strategy == "payment_day"
        else "ставка каждого дня просрочки"
    )
    day = "включается" if result.payment_day_counted else "не включается"
    text(
        "Пени по ч. 14 ст. 155 ЖК РФ (взносы на капремонт — ч. 14.1): 31–90-й дни — 1/300, "
        f"с 91-го — 1/130 ставки рефинансирования; {strategy}; день оплаты {day}; "
        "мораторий — дни без пени.",
        8,
    )
    widths = (24, 24, 14, 30, 18, 26, 30, 100)
    heads = ("С", "По", "Дней", "Долг, ₽", "Ставка, %", "Доля", "Пени, ₽", "Основание")
    for row in result.tranches:
        pdf.ln(2)
        text(
            f"{row.service}: начислено за {row.month:%m.%Y} — "
            f"{format_rubles(row.amount_kopecks)} ₽, срок оплаты {row.due:%d.%m.%Y}",
            9,
            True,
        )
        pdf.set_font("DejaVu", "B", 8)
        for w, h in zip(widths, heads, strict=True):
            pdf.cell(w, 6, h, border=1)
        pdf.ln()
        pdf.set_font("DejaVu", "", 8)
        for seg in row.calculation.segments:
            cells = (
                f"{seg.start:%d.%m.%Y}", f"{seg.end:%d.%m.%Y}", str(seg.days),
                format_rubles(seg.debt), f"{seg.rate_percent:.2f}".replace(".", ","),
                seg.fraction, str(seg.amount_rubles(2)).replace(".", ","), seg.act[:60],
            )  # fmt: skip
            for w, c in zip(widths, cells, strict=True):
                pdf.cell(w, 5, c, border=1)
            pdf.ln()
        text(f"Итого по месяцу: {format_rubles(row.calculation.penalty_kopecks)} ₽", 8, True)
    pdf.ln(3)
    text(f"Всего пени: {format_rubles(result.total_kopecks)} ₽", 11, True, 7)
    return bytes(pdf.output())
