"""Reads of the exchange: the month's beneficiaries with their charges, and the runs log.

`beneficiary_rows` gathers, for one organization and month, every person holding a benefit
valid in the month and registered in the month at an account, and for each service charged
on that account in the month: the line's supplier, tariff, norm and volume, the charge, the
benefit and the recalculations posted in the month, the payments of the month and the
balance at its end. A fixed number of queries whatever the number of beneficiaries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, Q, QuerySet, Sum, When

from raschet.billing.models import ChargeLine, LineKind
from raschet.billing.selectors import posted_run_ids
from raschet.core.fixedpoint import NORM_SCALE, RATE_SCALE, VOLUME_SCALE
from raschet.core.periods import Month
from raschet.exchange import layouts
from raschet.exchange.models import ExchangeLayout, ExchangeRun
from raschet.housing.models import Account
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import Organization
from raschet.registry.models import (
    BenefitCoverage,
    BenefitModel,
    Ownership,
    PersonBenefit,
    Registration,
)
from raschet.registry.selectors import resident_counts
from raschet.tariffs.models import AccountService, Method, Service

BENEFIT_MODEL_CODES: dict[str, int] = {BenefitModel.DISCOUNT.value: 1, BenefitModel.CASH.value: 2}
"""The export's ``benefit_model`` (``VID_LG``): 1 — a discount on the bill, 2 — ЕДК."""


@dataclass
class ServiceFigures:
    """One service of an account in a month; money in kopecks."""

    service: Service
    payee_id: int | None = None
    rate: int | None = None
    norm: int | None = None
    volume: int = 0
    charge: int = 0
    benefit: int = 0  # the discount of the month (≥ 0)
    benefit_cash: int = 0  # the ЕДК of the month (≥ 0), not part of the charge
    benefit_recalculated: int = 0  # the discount recalculated for earlier months
    benefit_cash_recalculated: int = 0  # the ЕДК recalculated for earlier months
    recalculation: int = 0
    payment: int = 0
    debt: int = 0
    debt_months: int = 0
    metered: bool = False


def snils_digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def snils_formatted(value: str) -> str:
    """``11223344595`` → ``112-233-445 95`` (the form on the insurance certificate)."""
    d = snils_digits(value)
    if len(d) != 11:
        return value or ""
    return f"{d[:3]}-{d[3:6]}-{d[6:9]} {d[9:]}"


def _overlapping(month: Month) -> Q:
    return Q(valid_from__lt=month.end) & (Q(valid_to__isnull=True) | Q(valid_to__gt=month.start))


DEBT_KINDS = (EntryKind.CHARGE, EntryKind.RECALCULATION, EntryKind.REDUCTION, EntryKind.BENEFIT)
"""The entries that bill a month (what `debt_months` counts)."""


def debt_months(overdue: int, billed_newest_first: Sequence[int]) -> int:
    """How many months the overdue principal covers: the latest billed months before the
    export month, newest first, until their charges reach ``overdue`` (a part of a month
    counts as a month). Payments settle the oldest months first (rules.md §14 "Payment
    allocation"), so what stays unpaid is the latest months. When the history runs out
    first (a debt brought in as an opening balance), the months there are."""
    if overdue <= 0:
        return 0
    covered, months = 0, 0
    for billed in billed_newest_first:
        if billed <= 0:
            continue
        months += 1
        covered += billed
        if covered >= overdue:
            break
    return months


def _service_figures(
    organization_id: int, month: Month, account_ids: Sequence[int]
) -> dict[int, dict[int, ServiceFigures]]:
    """Account → service → figures of the month (posted lines and ledger entries, the
    connected services for the meter flag)."""
    services = {s.pk: s for s in Service.objects.filter(organization_id=organization_id)}
    by_account: dict[int, dict[int, ServiceFigures]] = defaultdict(dict)
    lines = ChargeLine.objects.filter(
        run_id__in=posted_run_ids(organization_id),
        account_id__in=account_ids,
        period=month.start,
    ).order_by("pk")
    for line in lines:
        service = services.get(line.service_id)
        if service is None:
            continue
        fig = by_account[line.account_id].get(line.service_id)
        if fig is None:
            fig = by_account[line.account_id][line.service_id] = ServiceFigures(service=service)
        if line.corrects_period == month.start:
            if line.kind == LineKind.CHARGE:
                fig.payee_id = line.payee_id
                fig.rate = line.rate if line.segments == 1 else None
                fig.norm = line.norm
            fig.volume += line.volume
            fig.charge += line.amount + line.reduction
            fig.benefit -= line.benefit
            fig.benefit_cash -= line.benefit_cash
        else:
            fig.recalculation += line.amount + line.reduction + line.benefit
            fig.benefit_recalculated -= line.benefit
            fig.benefit_cash_recalculated -= line.benefit_cash
    entries = (
        LedgerEntry.objects.filter(
            organization_id=organization_id,
            account_id__in=account_ids,
            service_id__isnull=False,
            period__lte=month.start,
        )
        .values("account_id", "service_id")
        .annotate(
            paid=Sum(
                Case(
                    When(
                        period=month.start,
                        kind__in=[EntryKind.PAYMENT, EntryKind.REVERSAL],
                        then="amount_kopecks",
                    ),
                    default=0,
                )
            ),
            balance=Sum("amount_kopecks"),
            penalties=Sum(Case(When(penalty=True, then="amount_kopecks"), default=0)),
        )
        .order_by()
    )
    overdue: dict[tuple[int, int], int] = {}
    for row in entries:
        fig = by_account.get(row["account_id"], {}).get(row["service_id"])
        if fig is None:
            continue  # a service not charged this month is not a row of the file
        fig.payment = -int(row["paid"] or 0)
        fig.debt = int(row["balance"] or 0)
        overdue[(row["account_id"], row["service_id"])] = fig.debt - int(row["penalties"] or 0)
    billed: dict[tuple[int, int], list[tuple[date, int]]] = defaultdict(list)
    for month_row in (
        LedgerEntry.objects.filter(
            organization_id=organization_id,
            account_id__in=account_ids,
            service_id__isnull=False,
            period__lte=month.start,
            penalty=False,
            kind__in=DEBT_KINDS,
        )
        .values("account_id", "service_id", "period")
        .annotate(t=Sum("amount_kopecks"))
        .order_by()
    ):
        key = (month_row["account_id"], month_row["service_id"])
        billed[key].append((month_row["period"], int(month_row["t"])))
    for key, principal in overdue.items():
        months = sorted(billed.get(key, []), reverse=True)
        own = sum(t for period, t in months if period == month.start)  # not due yet
        before = [t for period, t in months if period < month.start]
        by_account[key[0]][key[1]].debt_months = debt_months(principal - own, before)
    metered = AccountService.objects.filter(
        _overlapping(month),
        organization_id=organization_id,
        account_id__in=account_ids,
        method=Method.METER,
    ).values_list("account_id", "service_id")
    for account_id, service_id in metered:
        fig = by_account.get(account_id, {}).get(service_id)
        if fig is not None:
            fig.metered = True
    return by_account


def beneficiary_rows(*, organization: Organization, month: Month) -> list[dict[str, Any]]:
    """The rows of the month's export file: beneficiary × account × service, in the field
    names of `raschet.exchange.layouts.EXPORT_FIELDS` (money in kopecks, tariffs, norms and
    volumes as exact `Decimal`).

    A beneficiary is a person with a benefit valid on at least one day of the month who is
    registered (permanently or temporarily) at an account on at least one day of it. Only
    services with a posted line of the month are listed: a month not billed yet gives no rows.
    ``benefit`` is the benefit of the account's line of the row's category model
    (`BenefitModel`): a discount category's row carries the discount taken off the bill, a
    cash category's row the ЕДК the social body pays (rules.md §4.2), which the charge and
    the debt do not include. When several beneficiaries of one model live at one account,
    each of their rows shows the line's whole benefit of that model.
    ``benefit_recalculation`` is the same for the earlier months recalculated in this one —
    for ЕДК the only place the office learns of a changed compensation of a closed month
    (a discount's recalculation is also inside ``recalculation``).
    """
    org_id = organization.pk
    benefits = list(
        PersonBenefit.objects.filter(_overlapping(month), organization_id=org_id)
        .select_related("person", "category")
        .order_by("person_id", "category__code", "valid_from")
    )
    if not benefits:
        return []
    person_ids = {b.person_id for b in benefits}
    regs = (
        Registration.objects.filter(
            _overlapping(month), organization_id=org_id, person_id__in=person_ids
        )
        .select_related("account__premises__building")
        .order_by("person_id", "valid_from")
    )
    accounts_of: dict[int, dict[int, Account]] = defaultdict(dict)
    for reg in regs:
        accounts_of[reg.person_id][reg.account_id] = reg.account
    account_ids = sorted({a for accs in accounts_of.values() for a in accs})
    owned = set(
        Ownership.objects.filter(
            _overlapping(month), organization_id=org_id, person_id__in=person_ids
        ).values_list("person_id", "premises_id")
    )
    last_day = month.end - timedelta(days=1)
    residents = resident_counts(organization_id=org_id, on=last_day, account_ids=account_ids)
    figures = _service_figures(org_id, month, account_ids)
    payee_ids = {f.payee_id for accs in figures.values() for f in accs.values() if f.payee_id}
    payees = {o.pk: o for o in Organization.objects.filter(pk__in=payee_ids)}
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, int, int]] = set()
    for benefit in benefits:
        person = benefit.person
        category = benefit.category
        for account_id, account in accounts_of.get(person.pk, {}).items():
            key = (person.pk, category.pk, account_id)
            if key in seen:  # two periods of one benefit inside the month: one row set
                continue
            seen.add(key)
            registered = residents.get(account_id, 0)
            covered = registered if category.covers == BenefitCoverage.FAMILY else 1
            premises = account.premises
            building = premises.building
            person_part = {
                "period": f"{month.start:%Y-%m}",
                "last_name": person.last_name,
                "first_name": person.first_name,
                "middle_name": person.middle_name,
                "full_name": person.full_name,
                "birth_date": person.birth_date,
                "snils": snils_formatted(person.snils),
                "address": str(premises),
                "flat": premises.number,
                "fias_guid": str(building.fias_guid or ""),
                "account": account.number,
                "gis_account": account.gis_account_id,
                "area": account.charged_area_m2,
                "owner": 1 if (person.pk, premises.pk) in owned else 0,
                "registered": registered,
                "covered": covered,
                "category": category.code,
                "category_name": category.name,
                "benefit_model": BENEFIT_MODEL_CODES[category.model],
            }
            services = sorted(
                figures.get(account_id, {}).values(),
                key=lambda f: (f.service.sort_order, f.service.code),
            )
            for fig in services:
                payee = payees.get(fig.payee_id) if fig.payee_id else organization
                rows.append(
                    {
                        **person_part,
                        "service": fig.service.code,
                        "service_name": fig.service.name,
                        "supplier": payee.display_name if payee else "",
                        "supplier_inn": payee.inn if payee else "",
                        "tariff": (
                            Decimal(fig.rate) / RATE_SCALE if fig.rate is not None else None
                        ),
                        "norm": Decimal(fig.norm) / NORM_SCALE if fig.norm is not None else None,
                        "metered": 1 if fig.metered else 0,
                        "volume": Decimal(fig.volume) / VOLUME_SCALE,
                        "charge": fig.charge,
                        "recalculation": fig.recalculation,
                        "benefit": fig.benefit_cash if category.is_cash else fig.benefit,
                        "benefit_recalculation": (
                            fig.benefit_cash_recalculated
                            if category.is_cash
                            else fig.benefit_recalculated
                        ),
                        "payment": fig.payment,
                        "debt": fig.debt,
                        "debt_months": fig.debt_months,
                    }
                )
    rows.sort(key=lambda r: (r["address"], r["account"], r["last_name"], r["first_name"]))
    return rows


def runs_for(organization_ids: Iterable[int]) -> QuerySet[ExchangeRun]:
    """The exchange log of some organizations, newest first."""
    return (
        ExchangeRun.objects.filter(organization_id__in=list(organization_ids))
        .select_related("organization", "created_by")
        .defer("error_list")
        .order_by("-created_at", "-pk")
    )


def last_day(month: Month) -> date:
    return month.end - timedelta(days=1)


def layout_for(*, organization_id: int, name: str, direction: str) -> layouts.Layout:
    """The organization's layout ``name``, else the built-in one; `LayoutError` (Russian)
    when there is none or it is of the other direction or cannot be used."""
    own = ExchangeLayout.objects.filter(organization_id=organization_id, name=name).first()
    layout = own.as_layout() if own is not None else layouts.builtin_layout(name)
    if layout is None:
        known = ", ".join(n for n, _ in layout_choices(organization_id=organization_id))
        raise layouts.LayoutError(f"Нет макета «{name}» (есть: {known})")
    if layout.direction != direction:
        wanted = "выгрузки" if direction == layouts.EXPORT else "ответа соцзащиты"
        raise layouts.LayoutError(f"Макет «{name}» — не макет {wanted}")
    return layout


def layout_choices(*, organization_id: int, direction: str | None = None) -> list[tuple[str, str]]:
    """``(name, title)`` of the organization's layouts and the built-in ones it does not
    replace, optionally of one direction."""
    own = {
        row.name: (row.title or row.name, row.direction)
        for row in ExchangeLayout.objects.filter(organization_id=organization_id).only(
            "name", "title", "direction"
        )
    }
    choices = {n: (str(s["title"]), str(s["direction"])) for n, s in layouts.BUILTIN.items()}
    choices.update(own)
    return [
        (name, title)
        for name, (title, kind) in sorted(choices.items())
        if direction is None or kind == direction
    ]
