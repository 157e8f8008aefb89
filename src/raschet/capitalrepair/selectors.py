"""Reads of the capital repair fund: contributions per account and per building, and the fund
statement of a building for a range of months.

Every figure is a sum of ledger entries in integer kopecks. The contributions are the entries
of the fund's service (every service any of the building's fund rows names — normally the one
``capital_repair``) on the accounts of the building's premises, whatever their payee: when the
owners move the fund from the regional operator's common account to a special account, the
money collected so far moves with it (ЖК ст.173), so it stays the building's fund.

Columns of the contributions (months ``start``…``end``, first days, both included):

* ``opening`` — the balance before ``start`` (the ledger's sign: positive is owed);
* ``charged`` — charges, recalculations, reductions and benefits of the range;
* ``penalties`` — penalties charged in the range (ЖК ст.155 ч.14.1);
* ``paid`` / ``penalties_paid`` — payments (net of reversals) of principal / of penalties,
  as positive amounts received;
* ``other`` — write-offs and transfers (the ledger's sign);
* ``closing`` — the balance at the end: ``opening + charged + penalties − paid −
  penalties_paid + other``, the owners' debt (negative: paid ahead).

The fund statement (выписка по фонду): ``opening`` = all contributions and penalties paid
before ``start`` − all spent before ``start``; ``closing`` = ``opening + paid +
penalties_paid − spent``. Penalties go to the fund (rules.md §2.2). What was charged and not
paid is the owners' debt, not money of the fund.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from raschet.capitalrepair.models import CapitalRepairExemption, CapitalRepairFund, FundSpending
from raschet.core.periods import Month
from raschet.housing.models import Account, Building
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.tariffs.models import Service, ServiceContract

CAPITAL_REPAIR_CODE = "capital_repair"

CHARGE_KINDS = (
    EntryKind.CHARGE,
    EntryKind.RECALCULATION,
    EntryKind.REDUCTION,
    EntryKind.BENEFIT,
)
PAID_KINDS = (EntryKind.PAYMENT, EntryKind.REVERSAL)
OTHER_KINDS = (EntryKind.WRITE_OFF, EntryKind.TRANSFER)


class FundError(ValueError):
    """A question about a fund that has no answer (no fund, months out of order); the message
    names the building and the field."""


@dataclass(frozen=True)
class Contributions:
    """Contributions of an account or a building over a range of months, kopecks."""

    opening: int = 0
    charged: int = 0
    penalties: int = 0
    paid: int = 0
    penalties_paid: int = 0
    other: int = 0
    closing: int = 0

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.names()}

    def __add__(self, other: Contributions) -> Contributions:
        return Contributions(
            **{name: getattr(self, name) + getattr(other, name) for name in self.names()}
        )


FIGURES = Contributions.names()


@dataclass(frozen=True)
class AccountContributions:
    account_id: int
    number: str
    premises: str
    payer: str
    figures: Contributions


@dataclass(frozen=True)
class FundStatement:
    """The fund statement of a building for the months ``start``…``end``.

    ``fund`` is the fund row in force at the end of the range (or the latest before it; none
    when the building has no fund settings yet); ``contributions`` the building's totals;
    ``accounts`` the same per account, sorted by number (they sum to the building's).
    """

    building: Building
    fund: CapitalRepairFund | None
    start: date
    end: date
    opening: int
    contributions: Contributions
    spent: int
    closing: int
    spendings: list[FundSpending]
    accounts: list[AccountContributions]

    @property
    def charged(self) -> int:
        return self.contributions.charged

    @property
    def paid(self) -> int:
        return self.contributions.paid

    @property
    def penalties_paid(self) -> int:
        return self.contributions.penalties_paid

    @property
    def received(self) -> int:
        return self.contributions.paid + self.contributions.penalties_paid

    @property
    def owners_debt(self) -> int:
        return self.contributions.closing


# ----------------------------------------------------------------------------- funds


def building_funds(*, building: Building) -> QuerySet[CapitalRepairFund]:
    """Every fund row of the building, newest first, with its organizations and service."""
    return (
        CapitalRepairFund.objects.filter(
            organization_id=building.organization_id, building_id=building.pk
        )
        .select_related("payee", "account_owner", "service")
        .order_by("-valid_from")
    )


def building_exemptions(*, building: Building) -> QuerySet[CapitalRepairExemption]:
    """The building's exempt periods from the capital-repair contribution, latest first."""
    return CapitalRepairExemption.objects.filter(
        organization_id=building.organization_id, building_id=building.pk
    ).order_by("-valid_from")


def fund_in_force(*, building: Building, on: date) -> CapitalRepairFund | None:
    """The fund row of the building in force on ``on``."""
    return (
        building_funds(building=building)
        .filter(valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .first()
    )


def fund_for_range(*, building: Building, end: date) -> CapitalRepairFund | None:
    """The fund row in force at the end of month ``end``, else the latest one started before
    it (a fund that ended: the statement still has its history)."""
    last_day = Month.of(end).end
    return building_funds(building=building).filter(valid_from__lt=last_day).first()


def fund_service_ids(*, building: Building) -> list[int]:
    """The services the building's fund rows collect (normally one); without fund settings,
    the organization's service of the catalogue code ``capital_repair``."""
    ids = set(
        CapitalRepairFund.objects.filter(
            organization_id=building.organization_id, building_id=building.pk
        ).values_list("service_id", flat=True)
    )
    if not ids:
        ids = set(
            Service.objects.filter(
                organization_id=building.organization_id, code=CAPITAL_REPAIR_CODE
            ).values_list("pk", flat=True)
        )
    return sorted(ids)


def fund_warnings(*, fund: CapitalRepairFund, on: date) -> list[str]:
    """What makes the payment documents disagree with the fund settings on ``on``: the
    payee contract of the service in the building names another payee. (A special account's
    contributions get a block of their own with the special account's bank details on the
    ЕПД, whoever the payee is.)"""
    warnings: list[str] = []
    contract = (
        ServiceContract.objects.filter(
            organization_id=fund.organization_id,
            building_id=fund.building_id,
            service_id=fund.service_id,
            valid_from__lte=on,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("payee")
        .first()
    )
    if contract is None:
        if fund.payee_id != fund.organization_id:
            warnings.append(
                f"Нет договора с получателем по услуге «{fund.service.name}» на {on:%d.%m.%Y}: "
                f"ЕПД выставит взнос от имени своей организации, а не {fund.payee}"
            )
    elif contract.payee_id != fund.payee_id:
        warnings.append(
            f"По договору услугу «{fund.service.name}» получает {contract.payee}, "
            f"а в настройках фонда — {fund.payee}"
        )
    return warnings


# ----------------------------------------------------------------------------- contributions


def _check_range(start: date, end: date) -> None:
    if start.day != 1 or end.day != 1:
        raise FundError("Месяцы периода задаются первым днём месяца")
    if end < start:
        raise FundError(f"Конец периода {end:%m.%Y} раньше начала {start:%m.%Y}")


def _entries(building: Building, service_ids: Sequence[int], end: date) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(
        organization_id=building.organization_id,
        account__premises__building_id=building.pk,
        service_id__in=list(service_ids),
        period__lte=end,
    )


def _sums(start: date) -> dict[str, Any]:
    in_range = Q(period__gte=start)

    def total(condition: Q | None) -> Any:
        return Coalesce(Sum("amount_kopecks", filter=condition), 0)

    return {
        "opening": total(Q(period__lt=start)),
        "charged": total(in_range & Q(kind__in=CHARGE_KINDS)),
        "penalties": total(in_range & Q(kind=EntryKind.PENALTY)),
        "paid": total(in_range & Q(kind__in=PAID_KINDS, penalty=False)),
        "penalties_paid": total(in_range & Q(kind__in=PAID_KINDS, penalty=True)),
        "other": total(in_range & Q(kind__in=OTHER_KINDS)),
        "closing": total(None),
        "paid_before": total(Q(period__lt=start, kind__in=PAID_KINDS)),
    }


def _contributions(row: dict[str, Any]) -> Contributions:
    return Contributions(
        opening=int(row["opening"]),
        charged=int(row["charged"]),
        penalties=int(row["penalties"]),
        paid=-int(row["paid"]),
        penalties_paid=-int(row["penalties_paid"]),
        other=int(row["other"]),
        closing=int(row["closing"]),
    )


def contributions_by_account(
    *, building: Building, start: date, end: date, account_id: int | None = None
) -> list[AccountContributions]:
    """The building's contributions per account (or one account of it) for the months
    ``start``…``end``; accounts with no entry up to ``end`` are left out. One query for the
    sums and one for the accounts' numbers, however many accounts."""
    _check_range(start, end)
    service_ids = fund_service_ids(building=building)
    entries = _entries(building, service_ids, end)
    if account_id is not None:
        entries = entries.filter(account_id=account_id)
    grouped: Any = entries.values("account_id").annotate(**_sums(start)).order_by()
    rows: list[dict[str, Any]] = list(grouped)
    accounts = {
        a.pk: a
        for a in Account.objects.filter(pk__in=[r["account_id"] for r in rows]).select_related(
            "premises"
        )
    }
    result = []
    for row in rows:
        account = accounts[row["account_id"]]
        result.append(
            AccountContributions(
                account_id=account.pk,
                number=account.number,
                premises=account.premises.number,
                payer=account.payer_name,
                figures=_contributions(row),
            )
        )
    result.sort(key=lambda r: (r.number, r.account_id))
    return result


def building_contributions(*, building: Building, start: date, end: date) -> Contributions:
    """The building's contributions for the months ``start``…``end`` (one query)."""
    _check_range(start, end)
    row = _entries(building, fund_service_ids(building=building), end).aggregate(**_sums(start))
    return _contributions(row)


def fund_statement(
    *, building: Building, start: date, end: date, with_accounts: bool = True
) -> FundStatement:
    """The fund statement of the building for the months ``start``…``end``.

    A building without fund settings up to the end of the range still has its statement
    (of the ``capital_repair`` service, ``fund`` none): contributions are charged whether or
    not the settings were entered. The building's totals are summed by the database apart
    from the per-account rows, so a test can hold one against the other.
    """
    _check_range(start, end)
    fund = fund_for_range(building=building, end=end)
    service_ids = fund_service_ids(building=building)
    row = _entries(building, service_ids, end).aggregate(**_sums(start))
    contributions = _contributions(row)
    paid_before = -int(row["paid_before"])
    after = Month.of(end).end
    spendings_all = FundSpending.objects.filter(
        organization_id=building.organization_id, work__building_id=building.pk
    )
    spent_before = int(
        spendings_all.filter(paid_on__lt=start).aggregate(s=Sum("amount_kopecks"))["s"] or 0
    )
    spendings = list(
        spendings_all.filter(paid_on__gte=start, paid_on__lt=after)
        .select_related("work")
        .order_by("paid_on", "pk")
    )
    spent = sum(s.amount_kopecks for s in spendings)
    opening = paid_before - spent_before
    closing = opening + contributions.paid + contributions.penalties_paid - spent
    accounts = (
        contributions_by_account(building=building, start=start, end=end) if with_accounts else []
    )
    return FundStatement(
        building=building,
        fund=fund,
        start=start,
        end=end,
        opening=opening,
        contributions=contributions,
        spent=spent,
        closing=closing,
        spendings=spendings,
        accounts=accounts,
    )


def work_spent(*, building: Building) -> dict[int, int]:
    """Work id → kopecks the fund paid for it (all time), for the building's works."""
    rows = (
        FundSpending.objects.filter(
            organization_id=building.organization_id, work__building_id=building.pk
        )
        .values("work_id")
        .annotate(total=Sum("amount_kopecks"))
        .order_by()
    )
    return {r["work_id"]: int(r["total"]) for r in rows}


def special_account_rest(*, fund: CapitalRepairFund, on: date, exclude: int | None = None) -> int:
    """What a special account holds on ``on`` as far as this system knows: the
    contributions and penalties paid to the fund's payee (the account's owner) for the
    building's fund services in the months from the fund's start up to the month of ``on``,
    less the fund's payments from its start up to
    ``on`` (``exclude``: a spending left out). Money from outside — a loan, the regional
    operator's transfer at the switch — is not known here (`FundSpending.beyond_collected`)."""
    building = fund.building
    start = fund.valid_from.replace(day=1)
    to_payee = Q(payee_id=fund.payee_id)  # old debts paid to the regional operator are not here
    if fund.payee_id == fund.organization_id:
        to_payee |= Q(payee__isnull=True)
    paid = (
        _entries(building, fund_service_ids(building=building), Month.of(on).start)
        .filter(to_payee, period__gte=start, kind__in=PAID_KINDS)
        .aggregate(s=Sum("amount_kopecks"))["s"]
        or 0
    )
    spendings = FundSpending.objects.filter(
        organization_id=building.organization_id,
        work__building_id=building.pk,
        paid_on__gte=fund.valid_from,
        paid_on__lte=on,
    )
    if exclude is not None:
        spendings = spendings.exclude(pk=exclude)
    spent = spendings.aggregate(s=Sum("amount_kopecks"))["s"] or 0
    return -int(paid) - int(spent)
