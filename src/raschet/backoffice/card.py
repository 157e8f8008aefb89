"""The account card: everything about one personal account on a chosen date, and its history.

Built from the domain selectors with a fixed number of queries whatever the number of
registrations, owners, services or history records (a test pins it). The card is read-only:
edits happen in the admin, whose change history (django-simple-history) the card shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

from raschet.backoffice.numbers import ru_number
from raschet.housing.models import Account, Premises
from raschet.organizations.selectors import organization_ids_for_user
from raschet.registry.models import Ownership, Registration, TemporaryResidentAct
from raschet.registry.selectors import owner_count, registrations_on, resident_counts
from raschet.tariffs.models import ZONES_BY_COUNT, AccountService, Norm, ServiceContract, Tariff
from raschet.tariffs.selectors import (
    account_services_on,
    contracts_for,
    in_force,
    norm_for,
    norms_for,
    tariffs_for,
)

HISTORY_LIMIT = 100


@dataclass(frozen=True)
class ServiceLine:
    """A connected service with the rates, norms and payee that apply on the date."""

    connection: AccountService
    tariffs: list[Tariff]
    norms: list[Norm]
    contract: ServiceContract | None


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    user: Any
    what: str
    label: str
    action: str  # "+" created, "~" changed, "-" deleted
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class AccountCard:
    account: Account
    on: date
    status: str
    ownerships: list[Ownership]
    registrations: list[Registration]
    resident_count: int
    owner_count: int
    services: list[ServiceLine]
    history: list[HistoryEntry]

    @property
    def persons_for_norms(self) -> int:
        """Residents, or owners when nobody lives there (ПП 354 п.56(2))."""
        return self.resident_count or self.owner_count


def _tariffs_of_zones(rows: list[Any], zones: int) -> list[Any]:
    """The tariffs of the zones the account is billed by (a two-zone meter: day and night);
    all of them when none matches, so that a misconfiguration stays visible."""
    wanted = set(ZONES_BY_COUNT.get(zones, ()))
    matching = [t for t in rows if t.zone in wanted]
    return matching or rows


def account_for_user(user: Any, pk: int) -> Account:
    """The account ``pk`` if ``user`` may see its organization; 404 otherwise."""
    accounts = Account.objects.select_related("premises__building", "organization")
    ids = organization_ids_for_user(user)
    if ids is not None:
        accounts = accounts.filter(organization_id__in=ids)
    try:
        return accounts.get(pk=pk)
    except Account.DoesNotExist as exc:
        raise Http404(_("No such account")) from exc


def account_status(account: Account, on: date) -> str:
    if on < account.opened_on:
        return _("not open yet (opens %(day)s)") % {"day": f"{account.opened_on:%d.%m.%Y}"}
    if account.closed_on is not None and on >= account.closed_on:
        return _("closed since %(day)s") % {"day": f"{account.closed_on:%d.%m.%Y}"}
    return _("open")


def account_card(account: Account, on: date) -> AccountCard:
    """Gather the card of ``account`` on ``on`` (see the module docstring)."""
    premises = account.premises
    ownerships = list(
        Ownership.objects.filter(in_force(on), premises_id=premises.pk)
        .select_related("person")
        .order_by("valid_from", "person__last_name")
    )
    registrations = list(registrations_on(account, on))
    residents = resident_counts(
        organization_id=account.organization_id, on=on, account_ids=[account.pk]
    ).get(account.pk, 0)
    owners = owner_count(account, on)
    connections = account_services_on(account, on)
    services = [c.service for c in connections]
    org_id, building_id = account.organization_id, premises.building_id
    tariffs, norm_tables, contracts = {}, {}, {}
    if services:
        tariffs = tariffs_for(
            organization_id=org_id, services=services, building_id=building_id, on=on
        )
        norm_tables = norms_for(
            organization_id=org_id, services=services, building_id=building_id, on=on
        )
        contracts = contracts_for(
            organization_id=org_id, services=services, building_id=building_id, on=on
        )
    persons = residents or owners
    lines = []
    for connection in connections:
        table = norm_tables.get(connection.service_id, [])
        chosen = [
            norm
            for basis in dict.fromkeys(n.basis for n in table)
            if (norm := norm_for(table, basis=basis, rooms=premises.rooms, residents=persons))
        ]
        lines.append(
            ServiceLine(
                connection=connection,
                tariffs=_tariffs_of_zones(tariffs.get(connection.service_id, []), connection.zones),
                norms=chosen,
                contract=contracts.get(connection.service_id),
            )
        )
    return AccountCard(
        account=account,
        on=on,
        status=account_status(account, on),
        ownerships=ownerships,
        registrations=registrations,
        resident_count=residents,
        owner_count=owners,
        services=lines,
        history=account_history(account),
    )


# --- history -------------------------------------------------------------------------------


def _display(model: type[models.Model], name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    choices = getattr(model_field, "flatchoices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return ru_number(value)
    return str(value)


def _verbose(model: type[models.Model], name: str) -> str:
    try:
        return str(getattr(model._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name


def _sources(account: Account) -> list[tuple[type[models.Model], models.QuerySet, Any]]:
    """(model, its historical records about this account, label of one record)."""
    return [
        (
            Account,
            Account.history.filter(id=account.pk),  # type: ignore[attr-defined]
            lambda r: r.number,
        ),
        (
            Premises,
            Premises.history.filter(id=account.premises_id),  # type: ignore[attr-defined]
            lambda r: r.number,
        ),
        (
            Ownership,
            Ownership.history.filter(  # type: ignore[attr-defined]
                premises_id=account.premises_id
            ).select_related("person"),
            lambda r: r.person.full_name if r.person else f"#{r.person_id}",
        ),
        (
            Registration,
            Registration.history.filter(  # type: ignore[attr-defined]
                account_id=account.pk
            ).select_related("person"),
            lambda r: r.person.full_name if r.person else f"#{r.person_id}",
        ),
        (
            TemporaryResidentAct,
            TemporaryResidentAct.history.filter(  # type: ignore[attr-defined]
                account_id=account.pk
            ),
            lambda r: r.act_number or f"#{r.id}",
        ),
        (
            AccountService,
            AccountService.history.filter(  # type: ignore[attr-defined]
                account_id=account.pk
            ).select_related("service"),
            lambda r: r.service.name if r.service else f"#{r.service_id}",
        ),
    ]


def account_history(account: Account, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """Changes of the account, its premises, owners, registrations, residents acts and
    connected services, newest first, each with who, when and field: old → new.

    One query per table; diffs are computed between consecutive records of the same object
    in memory (``diff_against`` with FK ids), never with ``prev_record`` (a query each).
    """
    entries: list[HistoryEntry] = []
    for model, records, label in _sources(account):
        previous: dict[int, Any] = {}
        for record in records.select_related("history_user").order_by("history_date", "history_id"):
            changes: list[Change] = []
            before = previous.get(record.id)
            if before is not None and record.history_type == "~":
                delta = record.diff_against(before)
                changes = [
                    Change(
                        field=_verbose(model, c.field),
                        old=_display(model, c.field, c.old),
                        new=_display(model, c.field, c.new),
                    )
                    for c in delta.changes
                ]
            previous[record.id] = record
            entries.append(
                HistoryEntry(
                    when=record.history_date,
                    user=record.history_user,
                    what=str(model._meta.verbose_name),
                    label=str(label(record)),
                    action=record.history_type,
                    changes=changes,
                )
            )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
