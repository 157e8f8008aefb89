"""The cash desk: a cashier's shift, payments taken in cash or by card with their fiscal
documents, cancellations inside the open shift, and the shift report.

A shift belongs to one cash desk (a `PaymentSource` of the channel ``cash_desk``); a desk
has at most one open shift (a partial unique index on `CashShift`). A payment taken in a
shift is an ordinary payment (`payment_create`) with the operation id ``shift{N}-{seq}``
and the shift's key, allocated like any other (rules.md §3.5, §14 "Payment allocation":
targeted services first, else the named month, else the oldest month first, proportional
inside a month, principal before penalties, the excess an advance). Its fiscal document
(rules.md §9: a receipt per payment) is registered in the same transaction, so a refused
document takes the payment back. A payment of the still open shift can be cancelled: the
payment is reversed in the ledger (`payment_reverse`) and a «возврат прихода» document
(tag 1054 = 2) with the same lines is registered. A payment of a closed shift is corrected
by a reversal in the back office, not here.

Lock order (style §9): the organization, then the shift row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from raschet.core.money import format_rubles
from raschet.housing.models import Account
from raschet.organizations.models import Organization
from raschet.payments.fiscal import (
    SETTLEMENT_INCOME,
    SETTLEMENT_INCOME_RETURN,
    fiscal_items,
    fiscal_register,
    payment_means,
)
from raschet.payments.models import (
    CashShift,
    Channel,
    FiscalDocument,
    Payment,
    PaymentMethod,
    PaymentSource,
    PaymentState,
)
from raschet.payments.services import (
    PaymentError,
    Target,
    payment_create,
    payment_reverse,
    payment_source_default,
)

#: The methods a cash desk takes: cash (tag 1031) and a bank card (tag 1081).
CASH_DESK_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD)
SEARCH_LIMIT = 20
# words of an address that say nothing about which one it is
_ADDRESS_WORDS = frozenset(
    {"г", "гор", "ул", "улица", "д", "дом", "кв", "квартира", "пр", "просп", "пер", "корп", "к"}
)
_PHONE = re.compile(r"^\+\d{11,15}$")


class CashDeskError(PaymentError):
    """A cash-desk action that cannot be done; the message says why, in Russian."""


def _lock_organization(organization_id: int) -> None:
    Organization.objects.select_for_update().filter(pk=organization_id).first()


def _lock_shift(*, organization_id: int, shift_id: int) -> CashShift:
    _lock_organization(organization_id)
    return (
        CashShift.objects.select_related("source", "cashier", "organization")
        .select_for_update(of=("self",))
        .get(pk=shift_id)
    )


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d.%m.%Y %H:%M}"


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _open_shift_message(shift: CashShift) -> str:
    return (
        f"На кассе «{shift.source}» уже открыта смена №{shift.pk} "
        f"(кассир {_person(shift.cashier)}, с {_local(shift.opened_at)}); закройте её, "
        "прежде чем открывать новую"
    )


# ----------------------------------------------------------------------------- shifts


def cash_shift_open(
    *,
    organization: Organization,
    cashier: Any,
    source: PaymentSource | None = None,
    now: datetime | None = None,
) -> CashShift:
    """Open a shift of ``cashier`` at the cash desk ``source`` (default: the organization's
    default desk, created on first use). Refused while the desk has an open shift."""
    if source is None:
        source = payment_source_default(organization=organization, channel=Channel.CASH_DESK)
    if source.organization_id != organization.pk:
        raise CashDeskError("Касса принадлежит другой организации")
    if source.channel != Channel.CASH_DESK:
        raise CashDeskError(f"Источник платежей «{source}» — не касса")
    if not source.is_active:
        raise CashDeskError(f"Касса «{source}» отключена")
    if getattr(cashier, "pk", None) is None:
        raise CashDeskError("Смену открывает пользователь-кассир")
    with transaction.atomic():
        _lock_organization(organization.pk)
        current = (
            CashShift.objects.select_related("source", "cashier")
            .filter(source_id=source.pk, closed_at__isnull=True)
            .first()
        )
        if current is not None:
            raise CashDeskError(_open_shift_message(current))
        try:
            with transaction.atomic():
                return CashShift.objects.create(
                    organization=organization,
                    source=source,
                    cashier=cashier,
                    opened_at=now or timezone.now(),
                )
        except IntegrityError as exc:  # another process opened one at the same moment
            raise CashDeskError(
                f"На кассе «{source}» только что открыта другая смена; обновите страницу"
            ) from exc


def cash_shift_current(
    *, cashier: Any, organization_ids: Sequence[int] | None = None
) -> CashShift | None:
    """The open shift of ``cashier`` (the latest, if several desks), within the given
    organizations when ``organization_ids`` is not ``None``."""
    shifts = CashShift.objects.select_related("source", "organization", "cashier").filter(
        cashier_id=cashier.pk, closed_at__isnull=True
    )
    if organization_ids is not None:
        shifts = shifts.filter(organization_id__in=organization_ids)
    return shifts.order_by("-opened_at", "-pk").first()


@dataclass(frozen=True)
class ShiftTotals:
    """A shift's money. ``cash_kopecks`` and ``card_kopecks`` count the payments that stand
    (what the drawer and the acquirer hold); cancelled ones are in ``reversed_*`` only."""

    payments_count: int = 0
    cash_kopecks: int = 0
    card_kopecks: int = 0
    reversed_count: int = 0
    reversed_kopecks: int = 0

    @property
    def total_kopecks(self) -> int:
        return self.cash_kopecks + self.card_kopecks

    @property
    def taken_kopecks(self) -> int:
        """Everything taken in the shift, the cancelled payments included."""
        return self.total_kopecks + self.reversed_kopecks


def shift_totals(shift_id: int) -> ShiftTotals:
    """The totals of a shift from its payments (one query)."""
    rows = (
        Payment.objects.filter(shift_id=shift_id)
        .values("state", "method")
        .annotate(n=Count("id"), total=Sum("amount_kopecks"))
        .order_by()
    )
    count = cash = card = reversed_count = reversed_total = 0
    for row in rows:
        n, total = int(row["n"]), int(row["total"] or 0)
        if row["state"] == PaymentState.REVERSED:
            reversed_count += n
            reversed_total += total
        elif row["method"] == PaymentMethod.CASH:
            count += n
            cash += total
        else:
            count += n
            card += total
    return ShiftTotals(count, cash, card, reversed_count, reversed_total)


def cash_shift_close(*, shift: CashShift, now: datetime | None = None) -> CashShift:
    """Close the shift and store its totals (`ShiftTotals`): the number of payments that
    stand, their cash and card sums, and the sum of the cancelled ones. Documents still in
    the fiscal outbox do not hold the close: the driver registers them in their order."""
    with transaction.atomic():
        shift = _lock_shift(organization_id=shift.organization_id, shift_id=shift.pk)
        if shift.closed_at is not None:
            raise CashDeskError(f"Смена №{shift.pk} уже закрыта {_local(shift.closed_at)}")
        moment = now or timezone.now()
        if moment < shift.opened_at:
            raise CashDeskError(
                f"Смена №{shift.pk} открыта {_local(shift.opened_at)}: закрыть её раньше нельзя"
            )
        totals = shift_totals(shift.pk)
        shift.closed_at = moment
        shift.payments_count = totals.payments_count
        shift.cash_kopecks = totals.cash_kopecks
        shift.card_kopecks = totals.card_kopecks
        shift.reversed_kopecks = totals.reversed_kopecks
        shift.save(
            update_fields=[
                "closed_at",
                "payments_count",
                "cash_kopecks",
                "card_kopecks",
                "reversed_kopecks",
            ]
        )
    return shift


@dataclass(frozen=True)
class ShiftReport:
    """A shift's payments in the order taken, the cancelled ones, and the totals."""

    shift: CashShift
    payments: list[Payment]
    reversals: list[Payment]
    totals: ShiftTotals

    @property
    def by_method(self) -> dict[str, int]:
        return {
            PaymentMethod.CASH.value: self.totals.cash_kopecks,
            PaymentMethod.CARD.value: self.totals.card_kopecks,
        }


def cash_shift_report(shift: CashShift) -> ShiftReport:
    """The report of a shift, open or closed (two queries whatever the number of
    payments). For a closed shift the totals are recomputed and equal the stored ones."""
    payments = list(
        Payment.objects.filter(shift_id=shift.pk)
        .select_related("account", "account__premises__building")
        .order_by("created_at", "pk")
    )
    reversals = [p for p in payments if p.state == PaymentState.REVERSED]
    return ShiftReport(
        shift=shift, payments=payments, reversals=reversals, totals=shift_totals(shift.pk)
    )


# ----------------------------------------------------------------------------- payments


@dataclass(frozen=True)
class CashPayment:
    """A payment taken or cancelled at the cash desk, with the fiscal document it gave."""

    payment: Payment
    document: FiscalDocument


def contact_normalize(raw: str) -> str:
    """The buyer's contact for tag 1008: an e-mail as typed, or a phone as ``+7…``.

    Empty stays empty (the buyer gets the paper receipt). A phone of ten digits is taken as
    a Russian number; ``8`` in front of eleven digits becomes ``+7``.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError as exc:
            raise CashDeskError(f"«{text}» — не адрес электронной почты") from exc
        return text
    phone = re.sub(r"[\s()\-]", "", text)
    if phone.isdigit():
        if len(phone) == 10:
            phone = "+7" + phone
        elif len(phone) == 11 and phone[0] in "78":
            phone = "+7" + phone[1:]
    if not _PHONE.match(phone):
        raise CashDeskError(
            f"«{text}» — не телефон и не e-mail: укажите, например, +7 916 123-45-67 "
            "или ivanov@example.ru"
        )
    return phone


def cash_payment_take(
    *,
    shift: CashShift,
    account: Account,
    amount_kopecks: int,
    method: str,
    targets: Sequence[Target] = (),
    period: date | None = None,
    payer_contact: str = "",
    today: date | None = None,
) -> CashPayment:
    """Take a payment at the open ``shift``: post it (`payment_create`, operation id
    ``shift{N}-{seq}``) and register its receipt (tag 1054 = 1, lines per service × payee,
    cash in 1031 or card in 1081, the contact in 1008) in one transaction.

    ``targets`` make a targeted payment (their sum must be the amount); ``period`` names
    the payment-document month. The cashier of the shift is the one who took it.
    """
    if method not in CASH_DESK_METHODS:
        raise CashDeskError(f"Способ оплаты в кассе — наличные или карта, а не «{method}»")
    contact = contact_normalize(payer_contact)
    today = today or timezone.localdate()
    with transaction.atomic():
        shift = _lock_shift(organization_id=shift.organization_id, shift_id=shift.pk)
        if shift.closed_at is not None:
            raise CashDeskError(
                f"Смена №{shift.pk} закрыта {_local(shift.closed_at)}: откройте новую смену"
            )
        if account.organization_id != shift.organization_id:
            raise CashDeskError(
                f"Лицевой счёт {account.number} принадлежит другой организации, чем касса"
            )
        seq = Payment.objects.filter(shift_id=shift.pk).count() + 1
        payment, created = payment_create(
            organization=shift.organization,
            source=shift.source,
            account=account,
            amount_kopecks=amount_kopecks,
            paid_on=today,
            operation_id=f"shift{shift.pk}-{seq}",
            period=period,
            targets=targets,
            method=method,
            shift_id=shift.pk,
            user=shift.cashier,
            today=today,
        )
        if not created:  # the shift row is locked: the sequence cannot repeat
            raise CashDeskError(f"Операция shift{shift.pk}-{seq} уже есть; повторите оплату")
        cash, card = payment_means(payment)
        document = fiscal_register().register(
            payment,
            settlement_sign=SETTLEMENT_INCOME,
            items=fiscal_items(payment),
            cash_kopecks=cash,
            card_kopecks=card,
            contact=contact,
        )
    return CashPayment(payment=payment, document=document)


def cash_payment_cancel(*, payment: Payment, reason: str, user: Any = None) -> CashPayment:
    """Cancel a payment of the still open shift: reverse it in the ledger and register a
    «возврат прихода» (tag 1054 = 2) with the lines and means of its receipt, to the same
    contact. ``user`` (default: the shift's cashier) is recorded on the reversal."""
    if payment.shift_id is None:
        raise CashDeskError(
            f"Платёж №{payment.pk} принят не в кассе: его сторнируют в бэк-офисе, а не здесь"
        )
    if not (reason or "").strip():
        raise CashDeskError("Укажите причину отмены платежа")
    with transaction.atomic():
        shift = _lock_shift(organization_id=payment.organization_id, shift_id=payment.shift_id)
        if shift.closed_at is not None:
            raise CashDeskError(
                f"Смена №{shift.pk} уже закрыта: отменить можно только платёж открытой смены; "
                "этот платёж сторнируют в бэк-офисе"
            )
        payment = Payment.objects.get(pk=payment.pk)
        if payment.state != PaymentState.POSTED:
            raise CashDeskError(
                f"Платёж №{payment.pk} на {format_rubles(payment.amount_kopecks)} ₽ "
                "нельзя отменить: "
                + (
                    "он уже сторнирован"
                    if payment.state == PaymentState.REVERSED
                    else "он не разнесён"
                )
            )
        items = fiscal_items(payment)
        receipt = (
            FiscalDocument.objects.filter(payment_id=payment.pk, settlement_sign=SETTLEMENT_INCOME)
            .order_by("pk")
            .first()
        )
        contact = str(receipt.tags.get("1008", "")) if receipt is not None else ""
        payment = payment_reverse(payment=payment, reason=reason, user=user or shift.cashier)
        cash, card = payment_means(payment)
        document = fiscal_register().register(
            payment,
            settlement_sign=SETTLEMENT_INCOME_RETURN,
            items=items,
            cash_kopecks=cash,
            card_kopecks=card,
            contact=contact,
        )
    return CashPayment(payment=payment, document=document)


# ----------------------------------------------------------------------------- search


def _contains(field: str, token: str) -> Q:
    """``field`` contains ``token`` ignoring case, also on SQLite, whose LIKE folds only
    Latin letters: the usual spellings of a Cyrillic word are tried too."""
    q = Q()
    for variant in {token, token.lower(), token.capitalize(), token.upper()}:
        q |= Q(**{f"{field}__icontains": variant})
    return q


def account_search(
    *, organization: Organization, query: str, limit: int = SEARCH_LIMIT
) -> list[Account]:
    """Accounts of ``organization`` by their number (exact), or else by the words of an
    address and the payer's name: every word must be in the building's address, be the
    premises or account number, or be in the payer's name ("Ленина 5 кв 12", "Иванов").
    Abbreviations like «ул.», «д.», «кв.» are ignored. At most ``limit`` accounts, by
    address."""
    text = (query or "").strip()
    if not text:
        return []
    accounts = Account.objects.filter(organization_id=organization.pk).select_related(
        "premises__building"
    )
    exact = list(accounts.filter(number=text)[:limit])
    if exact:
        return exact
    words = [w for w in re.split(r"[\s,.;]+", text) if w and w.lower() not in _ADDRESS_WORDS]
    if not words:
        return []
    for word in words:
        accounts = accounts.filter(
            _contains("premises__building__address", word)
            | Q(premises__number__iexact=word)
            | Q(number__iexact=word)
            | _contains("payer_name", word)
        )
    return list(
        accounts.order_by("premises__building__address", "premises__number", "number")[:limit]
    )
