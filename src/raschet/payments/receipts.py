"""The cash receipt («Квитанция об оплате») of a payment, as a PDF for the payer.

It is the organization's own paper: who took how much from whom for which account, how it
was allocated per service × payee, and the debt left after the payment. It is *not* the
fiscal receipt (кассовый чек, 54-ФЗ, rules.md §9), which the cash register prints from the
fiscal outbox (`raschet.payments.fiscal`); the PDF says so.

The remaining debt is the account's balance right after the payment: the account's ledger
entries up to the last one the payment posted (by entry id, which grows with every insert),
so a reprint shows the same figures after later charges, payments or its own cancellation.
(On PostgreSQL an entry of a concurrent transaction can take an id below the payment's and
commit later; this is a printout, not a statement.)

Amounts are integer kopecks printed with `format_rubles`; Cyrillic text needs a TrueType
font, DejaVu Sans, shipped in ``payments/fonts`` with its licence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db.models import Max, Sum
from django.utils import timezone

from raschet.core.money import format_rubles
from raschet.housing.models import Account
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import Organization
from raschet.payments.models import CashShift, Payment, PaymentSource, PaymentState
from raschet.tariffs.models import Service

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
NOT_FISCAL = (
    "Квитанция не является кассовым чеком. Кассовый чек (54-ФЗ) выдаёт касса "
    "в бумажном виде или направляет по указанному телефону или e-mail."
)
ADVANCE = "Аванс, не распределённый по услугам"
# the receipt is the payer's paper and is Russian whatever the cashier's interface language
METHODS = {"cash": "Наличные", "card": "Банковская карта", "cashless": "Безналичный перевод"}


@dataclass(frozen=True)
class ReceiptLine:
    """What the payment paid for one service × payee and what that one still owes after
    it (negative: paid in advance)."""

    service: str
    payee: str
    paid_kopecks: int
    remaining_kopecks: int


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on the receipt, ready for the layout."""

    number: str
    organization: str
    organization_inn: str
    organization_address: str
    desk: str
    shift: str
    cashier: str
    taken_at: datetime | None
    account_number: str
    address: str
    payer: str
    method: str
    lines: list[ReceiptLine]
    total_kopecks: int
    debt_after_kopecks: int
    reversed_at: datetime | None
    reversal_reason: str


def receipt_data(payment: Payment) -> ReceiptData:
    """Gather the receipt of a posted (or since cancelled) payment."""
    if payment.state == PaymentState.UNIDENTIFIED or payment.account_id is None:
        raise ValueError(f"Платёж №{payment.pk} не разнесён: квитанции по нему нет")
    organization = Organization.objects.get(pk=payment.organization_id)
    account = Account.objects.select_related("premises__building").get(pk=payment.account_id)
    source = PaymentSource.objects.filter(pk=payment.source_id).first()
    shift = (
        CashShift.objects.select_related("cashier").filter(pk=payment.shift_id).first()
        if payment.shift_id
        else None
    )
    own = LedgerEntry.objects.filter(payment_id=payment.pk, kind=EntryKind.PAYMENT)
    paid: dict[tuple[int | None, int | None], int] = {}
    for row in own.values_list("service_id", "payee_id", "amount_kopecks"):
        paid[(row[0], row[1])] = paid.get((row[0], row[1]), 0) - int(row[2])
    last = own.aggregate(m=Max("pk"))["m"]
    after: dict[tuple[int | None, int | None], int] = {}
    if last is not None:
        rows = (
            LedgerEntry.objects.filter(account_id=account.pk, pk__lte=last)
            .values("service_id", "payee_id")
            .annotate(total=Sum("amount_kopecks"))
            .order_by()
        )
        after = {(r["service_id"], r["payee_id"]): int(r["total"] or 0) for r in rows}
    services = {
        s.pk: s for s in Service.objects.filter(pk__in={k[0] for k in paid if k[0] is not None})
    }
    payees = {
        o.pk: o.display_name
        for o in Organization.objects.filter(pk__in={k[1] for k in paid if k[1] is not None})
    }
    keyed = []
    for (service_id, payee_id), amount in paid.items():
        if not amount:
            continue
        service = services.get(service_id) if service_id is not None else None
        item = ReceiptLine(
            service=service.name if service is not None else ADVANCE,
            payee=payees.get(payee_id, "") if payee_id is not None else "",
            paid_kopecks=amount,
            remaining_kopecks=after.get((service_id, payee_id), 0),
        )
        order = service.sort_order if service is not None else 10**6
        keyed.append(((order, item.service, item.payee), item))
    lines = [item for _key, item in sorted(keyed, key=lambda pair: pair[0])]
    cashier = ""
    if shift is not None:
        cashier = shift.cashier.get_full_name() or shift.cashier.get_username()
    return ReceiptData(
        number=payment.operation_id,
        organization=organization.name,
        organization_inn=organization.inn,
        organization_address=organization.legal_address,
        desk=source.name if source is not None else "",
        shift=f"№{shift.pk}" if shift is not None else "",
        cashier=cashier,
        taken_at=payment.created_at,
        account_number=account.number,
        address=str(account.premises),
        payer=payment.payer_name or account.payer_name,
        method=METHODS.get(payment.method, payment.method),
        lines=lines,
        total_kopecks=payment.amount_kopecks,
        debt_after_kopecks=sum(after.values()),
        reversed_at=payment.reversed_at,
        reversal_reason=payment.reversal_reason,
    )


def _when(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%d.%m.%Y %H:%M}" if moment is not None else "—"


def _rub(kopecks: int) -> str:
    return f"{format_rubles(kopecks)} ₽"


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt of ``payment`` as a one-page A4 PDF (see the module docstring)."""
    from fpdf import FPDF  # loaded on first use only: the rest of the app does not need it
    from fpdf.enums import XPos, YPos

    data = receipt_data(payment)
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creator("Raschet")
    pdf.set_title(f"Квитанция об оплате {data.number}")
    if data.taken_at is not None:
        pdf.set_creation_date(data.taken_at)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def line(text: str, *, size: int = 10, bold: bool = False, height: float = 6) -> None:
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(data.organization, size=11, bold=True)
    details = ", ".join(x for x in (f"ИНН {data.organization_inn}", data.organization_address) if x)
    line(details, size=9, height=5)
    pdf.ln(4)
    line(f"Квитанция об оплате № {data.number}", size=14, bold=True, height=8)
    line(NOT_FISCAL, size=8, height=4)
    pdf.ln(3)

    pdf.set_font(FONT, "", 10)
    facts = [
        ("Дата и время", _when(data.taken_at)),
        ("Касса", data.desk),
        ("Смена", data.shift),
        ("Кассир", data.cashier),
        ("Лицевой счёт", data.account_number),
        ("Адрес", data.address),
        ("Плательщик", data.payer),
        ("Способ оплаты", data.method),
    ]
    with pdf.table(
        col_widths=(45, 135),
        text_align=("LEFT", "LEFT"),
        first_row_as_headings=False,
        borders_layout="NONE",
        line_height=6,
    ) as table:
        for label, value in facts:
            if not value:
                continue
            row = table.row()
            row.cell(label)
            row.cell(value)
    pdf.ln(4)

    with pdf.table(
        col_widths=(70, 50, 30, 30),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT"),
        line_height=6,
    ) as table:
        head = table.row()
        for title in ("Услуга", "Получатель", "Оплачено, ₽", "Остаток долга, ₽"):
            head.cell(title)
        for item in data.lines:
            row = table.row()
            row.cell(item.service)
            row.cell(item.payee or data.organization)
            row.cell(format_rubles(item.paid_kopecks))
            row.cell(format_rubles(item.remaining_kopecks))
    pdf.ln(3)

    line(f"Итого оплачено: {_rub(data.total_kopecks)}", size=12, bold=True, height=7)
    if data.debt_after_kopecks > 0:
        line(f"Задолженность после оплаты: {_rub(data.debt_after_kopecks)}", size=11)
    elif data.debt_after_kopecks < 0:
        line(f"Переплата (аванс) после оплаты: {_rub(-data.debt_after_kopecks)}", size=11)
    else:
        line("Задолженности после оплаты нет", size=11)
    if data.reversed_at is not None:
        pdf.ln(2)
        reason = f": {data.reversal_reason}" if data.reversal_reason else ""
        line(f"ПЛАТЁЖ ОТМЕНЁН {_when(data.reversed_at)}{reason}", size=11, bold=True)
    pdf.ln(10)
    line("Кассир ____________________   Плательщик ____________________", size=10)
    return bytes(pdf.output())
