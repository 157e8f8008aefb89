"""Fiscal receipts (54-ФЗ) of the payments taken at a cash desk, as ФФД tags in an outbox.

Who must issue a receipt, and with which tags, is rules.md §9: a receipt per payment
(1054 settlement sign 1 «приход», 2 «возврат прихода» for a cancelled one), one line per
service × payee (1059 items: 1030 name, 1079 price, 1023 quantity, 1043 sum, 1212 subject
4 «услуга», 1214 method 4 «полный расчёт», 1199 VAT «НДС не облагается» for УК/ТСЖ), the
totals by payment means (1031 cash, 1081 cashless), 1055 taxation system, 1008 buyer
contact, 1187/1009 place and address of settlement, and for the lines collected for another
payee the agent tags (1222 agent sign, 1224 supplier data with 1225 name and 1171 phone,
1226 supplier INN; 1057 on the document).

What is included: building the tags from the payment's ledger entries, a pluggable
`FiscalRegister` chosen by the Django setting ``RASCHET_FISCAL_REGISTER`` (a dotted path;
default `OutboxFiscalRegister`, which stores each document as pending in `FiscalDocument`),
and the two calls a cash-register driver needs: `fiscal_outbox_pending` and
`fiscal_document_mark_done` (`fiscal_document_mark_failed` for a refusal). Not included:
talking to a cash register or an ОФД, ФФД versions' byte encodings (the driver's job),
correction receipts (1054 = 3/4), and payment-agent operation tags (1044, 1073–1075): a
payee's own cash desk is not a payment agent under 103-ФЗ.

Every tag value the rules mark uncertain is an organization setting (the keys of
`FiscalSettings`, kept in ``Organization.billing_settings``), with the default stated there:
rules.md §12 point 10 leaves open the subject of a penalty line (1212) and the VAT code of
22 % in ФФД 1.2 (1199); the agent sign (1222) and the taxation system (1055) depend on the
organization's contracts and tax regime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import Organization
from raschet.payments.models import (
    FiscalDocument,
    FiscalState,
    Payment,
    PaymentMethod,
    PaymentSource,
)
from raschet.payments.services import PaymentError
from raschet.tariffs.models import Service

DEFAULT_REGISTER = "raschet.payments.fiscal.OutboxFiscalRegister"

#: Tag 1054 «признак расчёта» (rules.md §9).
SETTLEMENT_INCOME = 1  # «приход»
SETTLEMENT_INCOME_RETURN = 2  # «возврат прихода»

ITEM_NAME_MAX = 128  # tag 1030 is at most 128 characters
ADVANCE_NAME = "Аванс за жилищно-коммунальные услуги"


class FiscalError(PaymentError):
    """A fiscal document that cannot be formed or a driver's call that is refused; the
    message says why, in Russian. Raised while a payment is taken, it takes the payment
    back (the same transaction)."""


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class FiscalSettings:
    """An organization's fiscal settings: ``billing_settings["fiscal_…"]`` or the default.

    - ``fiscal_taxation_system`` — tag 1055 (bit: 1 ОСН, 2 УСН доходы, 4 УСН доходы −
      расходы, 16 ЕСХН, 32 ПСН); default 1 ОСН.
    - ``fiscal_settlement_method`` — tag 1214 of every line; default 4 «полный расчёт»
      (some use 7 «оплата кредита» for post-paid services, rules.md §9).
    - ``fiscal_subject`` — tag 1212 of a service line; default 4 «услуга».
    - ``fiscal_penalty_subject`` — tag 1212 of a penalty line; default 4 «услуга». Uncertain
      (rules.md §12 point 10): practice uses 13 «иной предмет расчёта» or 15
      «внереализационный доход»; set it once the ФНС guidance is checked.
    - ``fiscal_vat`` — tag 1199 of a line; default 6 «НДС не облагается» (УК/ТСЖ, НК ст.149
      п.3 пп.29–30). A payee's own ``fiscal_vat`` (in the payee's settings) wins for the
      lines collected for it: a РСО charges VAT. The code of 22 % (from 2026) in ФФД 1.2 is
      uncertain (rules.md §12 point 10), so no rate is assumed here.
    - ``fiscal_agent_sign`` — tag 1222 of a line collected for another payee; default 64
      «иной агент».
    - ``fiscal_place`` — tag 1187; default the cash desk's name.
    - ``fiscal_address`` — tag 1009; default the organization's legal address.
    """

    fiscal_taxation_system: int = 1
    fiscal_settlement_method: int = 4
    fiscal_subject: int = 4
    fiscal_penalty_subject: int = 4
    fiscal_vat: int = 6
    fiscal_agent_sign: int = 64
    fiscal_place: str = ""
    fiscal_address: str = ""


_ALLOWED: dict[str, frozenset[int]] = {
    "fiscal_taxation_system": frozenset({1, 2, 4, 8, 16, 32}),
    "fiscal_settlement_method": frozenset(range(1, 8)),
    "fiscal_subject": frozenset(range(1, 34)),
    "fiscal_penalty_subject": frozenset(range(1, 34)),
    # 1..10 in ФФД 1.2; room is left for the 2026 codes (rules.md §12 point 10)
    "fiscal_vat": frozenset(range(1, 21)),
    "fiscal_agent_sign": frozenset({1, 2, 4, 8, 16, 32, 64}),
}


def fiscal_settings(organization: Organization) -> FiscalSettings:
    """The organization's `FiscalSettings`; a value that is not a valid tag value is an
    error naming the organization and the key (nothing is issued with a wrong tag)."""
    stored = organization.billing_settings or {}
    values: dict[str, Any] = {}
    for f in fields(FiscalSettings):
        if f.name not in stored:
            continue
        raw = stored[f.name]
        if f.type == "str" or f.type is str:
            values[f.name] = str(raw)
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise FiscalError(
                f"Настройка {f.name} организации «{organization}»: {raw!r} — не число"
            ) from exc
        if value not in _ALLOWED[f.name]:
            allowed = ", ".join(str(v) for v in sorted(_ALLOWED[f.name]))
            raise FiscalError(
                f"Настройка {f.name} организации «{organization}»: {value} — недопустимое "
                f"значение (возможны: {allowed})"
            )
        values[f.name] = value
    return FiscalSettings(**values)


# ----------------------------------------------------------------------------- items


@dataclass(frozen=True)
class FiscalItem:
    """One line of a receipt: what the payment paid for one service × payee.

    ``service_id`` is ``None`` for an advance not yet assigned to a service; ``payee_id``
    ``None`` means the organization itself. ``penalty`` marks the penalty part of a service.
    """

    name: str
    amount_kopecks: int
    service_id: int | None
    payee_id: int | None
    penalty: bool = False


def fiscal_items(payment: Payment) -> list[FiscalItem]:
    """The receipt lines of a posted (or reversed) payment: its allocation entries (kind
    ``payment``, the advance included) summed per service × payee, principal and penalty
    apart, in the order of the payment document (service order, then name).

    The lines sum to the payment's amount when the posting is whole (`fiscal_document`
    checks it). Reversal entries are not read: a cancelled payment's return receipt lists
    the same lines as its receipt.
    """
    sums: dict[tuple[int | None, int | None, bool], int] = {}
    entries = LedgerEntry.objects.filter(payment_id=payment.pk, kind=EntryKind.PAYMENT)
    for row in entries.values_list("service_id", "payee_id", "penalty", "amount_kopecks"):
        key = (row[0], row[1], bool(row[2]))
        sums[key] = sums.get(key, 0) - int(row[3])
    services = {
        s.pk: s for s in Service.objects.filter(pk__in={k[0] for k in sums if k[0] is not None})
    }
    payee_names = {
        o.pk: o.display_name
        for o in Organization.objects.filter(pk__in={k[1] for k in sums if k[1] is not None})
    }
    suffix = f", л/с {payment.account_number}" if payment.account_number else ""
    items = []
    for (service_id, payee_id, penalty), amount in sums.items():
        if amount == 0:
            continue
        if service_id is None:
            base = ADVANCE_NAME
        else:
            service = services.get(service_id)
            base = service.name if service is not None else f"Услуга #{service_id}"
            if penalty:
                base = f"Пени: {base}"
        items.append(
            FiscalItem(
                name=(base + suffix)[:ITEM_NAME_MAX],
                amount_kopecks=amount,
                service_id=service_id,
                payee_id=payee_id if payee_id != payment.organization_id else None,
                penalty=penalty,
            )
        )

    def order(item: FiscalItem) -> tuple[int, str, str, bool]:
        service = services.get(item.service_id) if item.service_id is not None else None
        return (
            service.sort_order if service is not None else 10**6,
            item.name,
            payee_names.get(item.payee_id, "") if item.payee_id is not None else "",
            item.penalty,
        )

    items.sort(key=order)
    return items


# ----------------------------------------------------------------------------- the tags


def fiscal_tags(
    payment: Payment,
    *,
    settlement_sign: int,
    items: Sequence[FiscalItem],
    cash_kopecks: int,
    card_kopecks: int,
    contact: str = "",
    cashier: str = "",
) -> dict[str, Any]:
    """The document as ФФД tags (rules.md §9), keys are tag numbers as strings.

    Amounts (1079, 1043, 1020, 1031, 1081) are integer kopecks, as ФФД carries them.
    Refuses a document whose lines do not sum to its payment means, or whose means do not
    sum to the payment (a receipt must match the money taken).
    """
    if settlement_sign not in (SETTLEMENT_INCOME, SETTLEMENT_INCOME_RETURN):
        raise FiscalError(f"Неизвестный признак расчёта (тег 1054): {settlement_sign}")
    if not items:
        raise FiscalError(f"Платёж №{payment.pk} не разнесён: в чеке нет ни одной позиции")
    if cash_kopecks < 0 or card_kopecks < 0:
        raise FiscalError("Сумма наличными или безналичными в чеке не может быть меньше нуля")
    total = sum(i.amount_kopecks for i in items)
    if any(i.amount_kopecks <= 0 for i in items):
        raise FiscalError(f"Платёж №{payment.pk}: позиция чека с суммой не больше нуля")
    if total != cash_kopecks + card_kopecks or total != payment.amount_kopecks:
        raise FiscalError(
            f"Платёж №{payment.pk}: позиции чека дают {total} коп., оплата "
            f"{cash_kopecks + card_kopecks} коп., платёж {payment.amount_kopecks} коп."
        )
    organization = Organization.objects.get(pk=payment.organization_id)
    own = fiscal_settings(organization)
    payee_ids = {i.payee_id for i in items if i.payee_id is not None}
    payees = {o.pk: o for o in Organization.objects.filter(pk__in=payee_ids)}
    lines = []
    agent_signs = 0
    for item in items:
        line: dict[str, Any] = {
            "1030": item.name,
            "1079": item.amount_kopecks,
            "1023": 1,
            "1043": item.amount_kopecks,
            "1212": own.fiscal_penalty_subject if item.penalty else own.fiscal_subject,
            "1214": own.fiscal_settlement_method,
            "1199": own.fiscal_vat,
        }
        payee = payees.get(item.payee_id) if item.payee_id is not None else None
        if payee is not None:
            line["1199"] = fiscal_settings(payee).fiscal_vat if _has_vat(payee) else own.fiscal_vat
            supplier: dict[str, Any] = {"1225": payee.name}
            if payee.phone:
                supplier["1171"] = payee.phone
            line["1222"] = own.fiscal_agent_sign
            line["1224"] = supplier
            line["1226"] = payee.inn
            agent_signs |= own.fiscal_agent_sign
        lines.append(line)
    source = PaymentSource.objects.filter(pk=payment.source_id).first()
    tags: dict[str, Any] = {
        "1054": settlement_sign,
        "1055": own.fiscal_taxation_system,
        "1059": lines,
        "1020": total,
        "1031": cash_kopecks,
        "1081": card_kopecks,
        "1187": own.fiscal_place or (source.name if source is not None else ""),
        "1009": own.fiscal_address or organization.legal_address,
    }
    if agent_signs:
        tags["1057"] = agent_signs
    if contact:
        tags["1008"] = contact
    if cashier:
        tags["1021"] = cashier
    return tags


def _has_vat(payee: Organization) -> bool:
    return "fiscal_vat" in (payee.billing_settings or {})


def payment_means(payment: Payment) -> tuple[int, int]:
    """(cash, cashless) kopecks of a payment by its method: a card is cashless (tag 1081)."""
    if payment.method == PaymentMethod.CASH:
        return payment.amount_kopecks, 0
    return 0, payment.amount_kopecks


# ----------------------------------------------------------------------------- registers


class FiscalRegister(Protocol):
    """Where fiscal documents go: a cash register (through its driver) or an outbox.

    ``register`` is called inside the transaction that takes or cancels the payment, so a
    refusal (an exception) takes the payment back too. It returns the stored document.
    """

    def register(
        self,
        payment: Payment,
        *,
        settlement_sign: int,
        items: Sequence[FiscalItem],
        cash_kopecks: int,
        card_kopecks: int,
        contact: str,
    ) -> FiscalDocument: ...


class OutboxFiscalRegister:
    """Stores each document as pending ФФД tags in `FiscalDocument`; a cash-register driver
    takes them with `fiscal_outbox_pending` and reports back with
    `fiscal_document_mark_done` / `fiscal_document_mark_failed`."""

    def register(
        self,
        payment: Payment,
        *,
        settlement_sign: int,
        items: Sequence[FiscalItem],
        cash_kopecks: int,
        card_kopecks: int,
        contact: str,
    ) -> FiscalDocument:
        tags = fiscal_tags(
            payment,
            settlement_sign=settlement_sign,
            items=items,
            cash_kopecks=cash_kopecks,
            card_kopecks=card_kopecks,
            contact=contact,
            cashier=_cashier_name(payment),
        )
        return FiscalDocument.objects.create(
            organization_id=payment.organization_id,
            payment=payment,
            settlement_sign=settlement_sign,
            tags=tags,
            state=FiscalState.PENDING,
        )


def _cashier_name(payment: Payment) -> str:
    """Tag 1021: the full name of the user who took the payment (empty when unknown)."""
    user = getattr(payment, "created_by", None) if payment.created_by_id else None
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username())[:64]


def fiscal_register() -> FiscalRegister:
    """The register named by ``settings.RASCHET_FISCAL_REGISTER`` (default: the outbox)."""
    path = getattr(settings, "RASCHET_FISCAL_REGISTER", DEFAULT_REGISTER) or DEFAULT_REGISTER
    try:
        factory = import_string(path)
    except ImportError as exc:
        raise FiscalError(f"RASCHET_FISCAL_REGISTER: не найден класс {path}") from exc
    register: FiscalRegister = factory()
    return register


# ----------------------------------------------------------------------------- the outbox


def fiscal_outbox_pending(organization: Organization) -> QuerySet[FiscalDocument]:
    """The organization's documents waiting for the cash register, oldest first (a driver
    must register them in this order: a return after its receipt)."""
    return FiscalDocument.objects.filter(
        organization_id=organization.pk, state=FiscalState.PENDING
    ).order_by("created_at", "pk")


def fiscal_document_mark_done(
    *, doc: FiscalDocument, fiscal_sign: str, registered_at: datetime | None = None
) -> FiscalDocument:
    """Record that the cash register has registered ``doc`` with its fiscal sign (ФП, up to
    ten digits). Only a pending document can be marked; a second report is refused."""
    sign = (fiscal_sign or "").strip()
    if not sign.isdigit() or len(sign) > 10:
        raise FiscalError(f"Фискальный признак {fiscal_sign!r}: нужно от 1 до 10 цифр")
    return _finish(doc, state=FiscalState.DONE, fiscal_sign=sign, when=registered_at)


def fiscal_document_mark_failed(*, doc: FiscalDocument, error: str) -> FiscalDocument:
    """Record that the cash register refused ``doc``; the reason is kept for an operator
    and the document is no longer pending (``registered_at`` stays empty)."""
    error = (error or "").strip()
    if not error:
        raise FiscalError("Укажите, почему касса не приняла документ")
    return _finish(doc, state=FiscalState.FAILED, error=error, when=None)


def _finish(
    doc: FiscalDocument,
    *,
    state: str,
    when: datetime | None,
    fiscal_sign: str = "",
    error: str = "",
) -> FiscalDocument:
    with transaction.atomic():
        doc = FiscalDocument.objects.select_for_update().get(pk=doc.pk)
        if doc.state != FiscalState.PENDING:
            raise FiscalError(
                f"Фискальный документ №{doc.pk} уже обработан: {doc.get_state_display()}"
            )
        doc.state = state
        if state == FiscalState.DONE:
            doc.registered_at = when or timezone.now()
        doc.fiscal_sign = fiscal_sign
        doc.error = error
        doc.save(update_fields=["state", "registered_at", "fiscal_sign", "error"])
    return doc
