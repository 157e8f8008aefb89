"""Reads of the passport registry: who lives in an account's premises on a date."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy, ngettext, pgettext

from raschet.housing.models import Account
from raschet.registry.models import (
    Ownership,
    Registration,
    RegistrationKind,
    TemporaryResidentAct,
)


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


def account_registrations(account: Account) -> QuerySet[Registration]:
    """Every registration of the account, past, present and planned, oldest first."""
    return (
        Registration.objects.filter(organization_id=account.organization_id, account=account)
        .select_related("person")
        .order_by("valid_from", "person__last_name", "pk")
    )


def account_resident_acts(account: Account) -> QuerySet[TemporaryResidentAct]:
    return TemporaryResidentAct.objects.filter(
        organization_id=account.organization_id, account=account
    ).order_by("valid_from", "pk")


def premises_registrations_on(account: Account, on: date) -> QuerySet[Registration]:
    """Who is registered at the account's premises on ``on``, on any of its accounts (a
    communal flat has several): the list of a registration extract (form 9)."""
    return (
        Registration.objects.filter(
            _active(on),
            organization_id=account.organization_id,
            account__premises_id=account.premises_id,
        )
        .select_related("person", "account")
        .order_by("valid_from", "person__last_name", "person__first_name", "pk")
    )


EVENT_LABELS = {
    "registered": gettext_lazy("Registered"),
    "deregistered": gettext_lazy("Deregistered"),
    "stay_ends": gettext_lazy("Stay ends"),
    "act_starts": gettext_lazy("Residents by act from"),
    "act_ends": gettext_lazy("Residents by act until"),
}


@dataclass(frozen=True)
class HouseholdEvent:
    """One event of an account's household: a registration, a deregistration (or the end
    of a temporary stay), or the start or end of a temporary-residents act."""

    day: date
    kind: str
    person: str
    detail: str
    registration_id: int | None = None
    act_id: int | None = None

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self.kind])


def _place(label: str, place: str) -> str:
    return f"{label}: {place}" if place else ""


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def household_history(account: Account) -> list[HouseholdEvent]:
    """Every registration, deregistration and act event of the account in date order (two
    queries). A deregistration on day D means the person counted up to D − 1."""
    events: list[HouseholdEvent] = []
    for r in account_registrations(account):
        kind = r.get_kind_display()
        events.append(
            HouseholdEvent(
                day=r.valid_from,
                kind="registered",
                person=r.person.full_name,
                detail=_join(
                    str(kind),
                    str(r.get_relation_display()),
                    _place(pgettext("place", "arrived from"), r.arrived_from),
                    r.reason,
                    r.document,
                ),
                registration_id=r.pk,
            )
        )
        if r.valid_to is not None:
            ended = r.kind == RegistrationKind.TEMPORARY and not (
                r.departed_to or r.departure_reason
            )
            events.append(
                HouseholdEvent(
                    day=r.valid_to,
                    kind="stay_ends" if ended else "deregistered",
                    person=r.person.full_name,
                    detail=_join(
                        _place(pgettext("place", "departed to"), r.departed_to),
                        r.departure_reason,
                    ),
                    registration_id=r.pk,
                )
            )
    for act in account_resident_acts(account):
        number = _join(
            f"№ {act.act_number}" if act.act_number else "",
            f"{act.act_date:%d.%m.%Y}" if act.act_date else "",
        )
        persons = ngettext("%(n)s person", "%(n)s persons", act.persons) % {"n": act.persons}
        events.append(
            HouseholdEvent(
                day=act.valid_from,
                kind="act_starts",
                person=persons,
                detail=number,
                act_id=act.pk,
            )
        )
        if act.valid_to is not None:
            events.append(
                HouseholdEvent(
                    day=act.valid_to, kind="act_ends", person=persons, detail=number, act_id=act.pk
                )
            )
    order = {k: i for i, k in enumerate(EVENT_LABELS)}
    events.sort(key=lambda e: (e.day, order[e.kind], e.person))
    return events
