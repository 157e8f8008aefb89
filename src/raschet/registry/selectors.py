"""Reads of the passport registry: who lives in an account's premises on a date."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum

from raschet.housing.models import Account
from raschet.registry.models import Ownership, Registration, TemporaryResidentAct


def _active(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on))


def resident_counts(
    *, organization_id: int, on: date, account_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Residents per account on ``on``: registered (permanent and temporary) plus persons
    established by a temporary-residents act (ПП 354 п.56(1)).

    Two aggregate queries for any number of accounts; accounts with nobody are absent from
    the result (read it with ``.get(account_id, 0)``).
    """
    regs = Registration.objects.filter(_active(on), organization_id=organization_id)
    acts = TemporaryResidentAct.objects.filter(_active(on), organization_id=organization_id)
    if account_ids is not None:
        ids = list(account_ids)
        regs = regs.filter(account_id__in=ids)
        acts = acts.filter(account_id__in=ids)
    counts: Counter[int] = Counter()
    for row in regs.values("account_id").annotate(n=Count("person_id", distinct=True)):
        counts[row["account_id"]] += row["n"]
    for row in acts.values("account_id").annotate(n=Sum("persons")):
        counts[row["account_id"]] += row["n"] or 0
    return dict(counts)


def resident_count(account: Account, on: date) -> int:
    """Residents of one account on ``on`` (see `resident_counts`)."""
    return resident_counts(
        organization_id=account.organization_id, on=on, account_ids=[account.pk]
    ).get(account.pk, 0)


def owner_count(account: Account, on: date) -> int:
    """Owners of the account's premises on ``on``: the count used when nobody lives there
    (ПП 354 п.56(2))."""
    return (
        Ownership.objects.filter(_active(on), premises_id=account.premises_id)
        .values("person_id")
        .distinct()
        .count()
    )


def registrations_on(account: Account, on: date) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(_active(on), account=account)
        .select_related("person")
        .order_by("valid_from", "person__last_name")
    )
