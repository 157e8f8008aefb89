"""Which facts changed after a month was closed (the trigger of recompute-and-diff).

A fact table with an audit trail (django-simple-history) shows a change by a history record
written after the month was closed whose row is valid during the month; acts and readings by
their entry time. Any such change makes the whole month of the organization recomputed; the
diff against what is posted keeps unaffected accounts silent.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Q

from raschet.core.periods import Month


def _history_models() -> list[Any]:
    from raschet.capitalrepair.models import CapitalRepairExemption
    from raschet.housing.models import Account, Building, Premises
    from raschet.registry.models import (
        Ownership,
        PersonBenefit,
        Registration,
        TemporaryResidentAct,
    )
    from raschet.tariffs.models import AccountService, Norm, ServiceContract, Tariff

    models: list[Any] = [
        Tariff,
        Norm,
        AccountService,
        ServiceContract,
        Registration,
        TemporaryResidentAct,
        Ownership,
        PersonBenefit,
        Account,
        Premises,
        Building,
        # a capital-repair exemption entered or changed for a closed month (rules.md §2.2)
        CapitalRepairExemption,
    ]
    return [m.history.model for m in models if hasattr(m, "history")]  # type: ignore[attr-defined]


def changed_since(organization_id: int, month_start: date, since: datetime) -> bool:
    """True when a fact valid in the month was written after ``since``.

    For an effective-dated row, *any* version of a row changed after ``since`` that covers
    the month counts, not only the new one: a deregistration moved back from 17.03 to 17.01
    leaves a record valid until 17.01, yet February and March, in which the person counted
    before, change too. Reopening a month whose figures did not move costs a recomputation
    whose diff is empty; missing one would leave a wrong charge.
    """
    from raschet.billing.models import Absence, ActState, QualityAct
    from raschet.metering.models import BuildingMeterReading, Reading

    month = Month.of(month_start)
    for model in _history_models():
        qs = model.objects.filter(organization_id=organization_id, history_date__gt=since)
        names = {f.name for f in model._meta.fields}
        if "valid_from" in names:
            changed_rows = qs.values("id")
            qs = (
                model.objects.filter(organization_id=organization_id, id__in=changed_rows)
                .filter(valid_from__lt=month.end)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=month.start))
            )
        if qs.exists():
            return True
    if Absence.objects.filter(
        organization_id=organization_id,
        entered_at__gt=since,
        left_on__lt=month.end,
        returned_on__gt=month.start,
    ).exists():
        return True
    # An act counts from its confirmation (a draft from the portal is entered earlier but
    # does not change a charge until an operator confirms it).
    if (
        QualityAct.objects.filter(
            organization_id=organization_id, period=month.start, state=ActState.CONFIRMED
        )
        .filter(Q(entered_at__gt=since) | Q(confirmed_at__gt=since))
        .exists()
    ):
        return True
    if Reading.objects.filter(
        organization_id=organization_id, entered_at__gt=since, period__lte=month.start
    ).exists():
        return True
    return BuildingMeterReading.objects.filter(
        organization_id=organization_id, entered_at__gt=since, period=month.start
    ).exists()
