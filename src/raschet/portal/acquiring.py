"""Online payment in the resident portal (issue 8 p.4): the acquiring-provider interface, the
built-in sandbox provider, and the services that create a payment order and settle it.

The flow: `payment_order_create` stores a `PaymentOrder`; the provider's ``start`` gives the
URL the resident is sent to; the provider calls back (``/portal/acquiring/callback/``) with
signed data, its ``verify`` checks the signature and gives a `CallbackResult`, and
`payment_order_settle` marks the order paid or declined. A paid order is taken by
`payment_create` with the organization's online source and ``operation_id`` = the order's
UUID, so the same callback arriving twice posts one payment (docs/payments.md: one payment
per source + operation id + date), and the locked order row refuses a second settling.

The provider is chosen by ``settings.RASCHET_ACQUIRING_PROVIDER`` (a dotted path). The
sandbox signs with HMAC-SHA256 under ``settings.RASCHET_ACQUIRING_SECRET`` (empty: a key
derived from SECRET_KEY). Not included: real providers, refunds, order expiry.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from raschet.core.money import format_rubles
from raschet.housing.models import Account
from raschet.organizations.models import Organization
from raschet.payments.models import Channel
from raschet.payments.services import Target, payment_create, payment_source_default
from raschet.portal.models import PaymentOrder, PaymentOrderState
from raschet.tariffs.models import Service

MAX_ORDER_KOPECKS = 1_000_000_00
"""An online payment above one million rubles is refused (a typo, not a flat's payment)."""
DEFAULT_PROVIDER = "raschet.portal.acquiring.SandboxAcquirer"


class AcquiringError(Exception):
    """A callback or an order the portal refuses; the message says why."""


@dataclass(frozen=True)
class CallbackResult:
    """What a provider's verified callback says: which order, paid or not, how much, when."""

    operation_id: UUID
    paid: bool
    amount_kopecks: int
    paid_on: date


class AcquiringProvider(Protocol):
    """An acquiring provider: sends the resident to pay and verifies its callbacks."""

    def start(self, order: PaymentOrder) -> str:
        """The URL to redirect the resident to for paying ``order``."""
        ...

    def verify(self, data: Mapping[str, str]) -> CallbackResult:
        """The callback's result; `AcquiringError` if its signature or fields are wrong."""
        ...


def acquiring_provider() -> AcquiringProvider:
    """The provider named by ``settings.RASCHET_ACQUIRING_PROVIDER`` (default: the sandbox)."""
    path = getattr(settings, "RASCHET_ACQUIRING_PROVIDER", "") or DEFAULT_PROVIDER
    provider: AcquiringProvider = import_string(path)()
    return provider


def acquiring_secret() -> bytes:
    """The callback signing key: the setting, or a key derived from SECRET_KEY."""
    secret = getattr(settings, "RASCHET_ACQUIRING_SECRET", "")
    if secret:
        return str(secret).encode()
    return salted_hmac("raschet.portal.acquiring", "callback", algorithm="sha256").digest()


# ----------------------------------------------------------------------------- the sandbox

CALLBACK_FIELDS = ("order", "status", "amount", "paid_on")
PAID, DECLINED = "paid", "declined"


class SandboxAcquirer:
    """The built-in test provider: a local page with «Оплатить» / «Отказаться» that signs the
    callback with HMAC-SHA256 over ``order|status|amount|paid_on``. Moves no money."""

    def start(self, order: PaymentOrder) -> str:
        return reverse("portal:sandbox_pay", args=[order.operation_id])

    @staticmethod
    def signature(fields: Mapping[str, str]) -> str:
        message = "|".join(str(fields.get(name, "")) for name in CALLBACK_FIELDS)
        return hmac.new(acquiring_secret(), message.encode(), hashlib.sha256).hexdigest()

    def callback_data(self, order: PaymentOrder, *, paid: bool, paid_on: date) -> dict[str, str]:
        """The signed callback the sandbox sends for ``order``."""
        data = {
            "order": str(order.operation_id),
            "status": PAID if paid else DECLINED,
            "amount": str(order.amount_kopecks),
            "paid_on": paid_on.isoformat(),
        }
        data["signature"] = self.signature(data)
        return data

    def verify(self, data: Mapping[str, str]) -> CallbackResult:
        given = str(data.get("signature", ""))
        if not hmac.compare_digest(given.encode(), self.signature(data).encode()):
            raise AcquiringError("bad signature")
        try:
            result = CallbackResult(
                operation_id=UUID(str(data["order"])),
                paid=str(data["status"]) == PAID,
                amount_kopecks=int(str(data["amount"])),
                paid_on=date.fromisoformat(str(data["paid_on"])),
            )
        except (KeyError, ValueError) as exc:
            raise AcquiringError("malformed callback") from exc
        if data["status"] not in (PAID, DECLINED):
            raise AcquiringError("unknown status")
        return result


# ----------------------------------------------------------------------------- services


def _check_amount(amount_kopecks: int) -> None:
    if amount_kopecks <= 0:
        raise AcquiringError(_("The amount to pay must be more than zero."))
    if amount_kopecks > MAX_ORDER_KOPECKS:
        raise AcquiringError(
            _("An online payment may not exceed %(limit)s ₽.")
            % {"limit": format_rubles(MAX_ORDER_KOPECKS)}
        )


def payment_order_create(
    *,
    user: Any,
    account: Account,
    amount_kopecks: int,
    now: datetime,
    targets: Mapping[int, int] | None = None,
    period: date | None = None,
) -> PaymentOrder:
    """Store a new order of ``user`` to pay ``amount_kopecks`` into ``account``.

    ``targets`` (service id → kopecks, each > 0, summing to the amount, services of the
    account's organization) makes a payment by services; ``period`` names an ЕПД month. The
    caller has checked that the account is linked to the user (`resident_account`).
    """
    _check_amount(amount_kopecks)
    targets = dict(targets or {})
    if targets and period is not None:
        raise AcquiringError(_("Choose either services or a month, not both."))
    if targets:
        if any(v <= 0 for v in targets.values()):
            raise AcquiringError(_("The amount for a service must be more than zero."))
        if sum(targets.values()) != amount_kopecks:
            raise AcquiringError(_("The amounts by service do not add up to the payment."))
        known = set(
            Service.objects.filter(
                organization_id=account.organization_id, pk__in=list(targets)
            ).values_list("pk", flat=True)
        )
        if known != set(targets):
            raise AcquiringError(_("No such service."))
    if period is not None and period.day != 1:
        raise AcquiringError(_("A month is given by its first day."))
    return PaymentOrder.objects.create(
        organization_id=account.organization_id,
        account=account,
        user=user,
        amount_kopecks=amount_kopecks,
        targets={str(k): int(v) for k, v in sorted(targets.items())},
        period=period,
        created_at=now,
    )


def _targets(order: PaymentOrder) -> Sequence[Target]:
    ids = [int(k) for k in order.targets]
    services = {
        s.pk: s for s in Service.objects.filter(organization_id=order.organization_id, pk__in=ids)
    }
    return [Target(services[int(k)], int(v)) for k, v in order.targets.items()]


def payment_order_settle(*, result: CallbackResult, now: datetime) -> PaymentOrder:
    """Apply a verified callback: a paid order takes its payment, a declined one is marked.

    Idempotent: an order already paid or declined is returned as it is (the callback came
    again). A callback whose amount differs from the order's is refused. Lock order: the
    organization, then the order row (style §9; `payment_create` locks the organization too).
    """
    found = PaymentOrder.objects.filter(operation_id=result.operation_id).first()
    if found is None:
        raise AcquiringError("unknown order")
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=found.organization_id).first()
        order = PaymentOrder.objects.select_for_update().get(pk=found.pk)
        if order.state != PaymentOrderState.NEW:
            return order
        if result.amount_kopecks != order.amount_kopecks:
            raise AcquiringError("amount differs from the order")
        if not result.paid:
            order.state = PaymentOrderState.DECLINED
            order.save(update_fields=["state"])
            return order
        organization = order.account.organization
        payment, _created = payment_create(
            organization=organization,
            source=payment_source_default(organization=organization, channel=Channel.ONLINE),
            account=order.account,
            amount_kopecks=order.amount_kopecks,
            paid_on=result.paid_on,
            operation_id=str(order.operation_id),
            period=order.period,
            targets=_targets(order),
            today=timezone.localdate(now),
        )
        order.state = PaymentOrderState.PAID
        order.payment_id = payment.pk
        order.paid_at = now
        order.save(update_fields=["state", "payment", "paid_at"])
    return order
