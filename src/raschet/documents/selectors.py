"""Which months an account gets a payment document for — one rule for the portal, the back
office and the printing service (`services.select_accounts` applies it in SQL)."""

from __future__ import annotations

from datetime import date

from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.organizations.models import ClosedMonth


def account_open_in(account: Account, period: date) -> bool:
    """Whether the account was open in the month starting ``period``: opened before the
    month ends, not closed by the day it starts."""
    return account.opened_on < Month.of(period).end and (
        account.closed_on is None or account.closed_on > period
    )


def document_months(account: Account, *, limit: int | None = None) -> list[date]:
    """The closed months of the account's organization in which the account was open, newest
    first (the latest ``limit`` closed months when given); one query."""
    closed = (
        ClosedMonth.objects.filter(organization_id=account.organization_id)
        .order_by("-month")
        .values_list("month", flat=True)
    )
    if limit is not None:
        closed = closed[:limit]
    return [period for period in closed if account_open_in(account, period)]
