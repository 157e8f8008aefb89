"""Schemas of the billing API: runs, their trial report, an account's charge lines.

Money is given twice: in rubles as a decimal string with two places (``"1123.01"``) and in
kopecks as an integer (``112301``), the unit the ledger keeps; never a JSON float. Volumes,
tariffs, norms and areas are decimal strings at the scale they are stored with (volume and
norm 6 places, tariff 4, area 2), so nothing is rounded on the way.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BeforeValidator

from raschet.api.metering_schemas import PERIOD_PATTERN, Period
from raschet.billing.models import LineKind, RunState

MONEY_PATTERN = r"^-?[0-9]{1,17}\.[0-9]{2}$"
VOLUME_PATTERN = r"^-?[0-9]{1,13}\.[0-9]{6}$"
RATE_PATTERN = r"^-?[0-9]{1,15}\.[0-9]{4}$"
AREA_PATTERN = r"^-?[0-9]{1,17}\.[0-9]{2}$"


def _period_in(value: Any) -> Any:
    """A query's ``YYYY-MM``, refused with a message saying what is expected."""
    if not isinstance(value, str) or not re.fullmatch(PERIOD_PATTERN, value):
        raise ValueError(_("expected a billing month as YYYY-MM, e.g. 2025-01"))
    return value


# The validator comes last so that it runs first (its message instead of pydantic's
# "should match pattern"); the pattern before it is what the OpenAPI schema shows.
PeriodIn = Annotated[
    str,
    Field(pattern=PERIOD_PATTERN, description="Billing month, YYYY-MM", examples=["2025-01"]),
    BeforeValidator(_period_in),
]

Money = Annotated[
    str,
    Field(pattern=MONEY_PATTERN, description="Rubles, decimal string", examples=["1123.01"]),
]
Volume = Annotated[
    str,
    Field(
        pattern=VOLUME_PATTERN,
        description="Volume in the service's unit, decimal string with six places",
        examples=["14.700000"],
    ),
]
Rate = Annotated[
    str,
    Field(pattern=RATE_PATTERN, description="₽ per unit, four places", examples=["50.9300"]),
]
Norm = Annotated[
    str,
    Field(pattern=VOLUME_PATTERN, description="Norm per unit of basis, six places"),
]
Area = Annotated[
    str, Field(pattern=AREA_PATTERN, description="m², decimal string", examples=["54.30"])
]


class ServiceTotalOut(Schema):
    service_id: int
    service: str = Field(description="Service name")
    previous: Money = Field(description="Posted for the previous month")
    previous_kopecks: int
    current: Money = Field(description="Computed by this run for its month")
    current_kopecks: int


class ChangedAccountOut(Schema):
    account_id: int
    account: str = Field(description="Account number")
    previous: Money
    previous_kopecks: int
    current: Money
    current_kopecks: int


class RunReportOut(Schema):
    previous_period: Period | None = Field(description="The month compared against")
    services: list[ServiceTotalOut]
    recalculation_total: Money = Field(description="Recalculations of earlier months")
    recalculation_total_kopecks: int
    threshold_percent: int = Field(description="Accounts changed by more than this are listed")
    changed_accounts: list[ChangedAccountOut] = Field(description="The largest changes first")
    changed_accounts_count: int = Field(description="All accounts over the threshold")


class RunOut(Schema):
    id: int
    organization_id: int
    period: Period
    state: RunState = Field(description="computing, computed (not posted), posted, failed")
    trial: bool
    accounts_total: int
    accounts_done: int
    lines_count: int
    months_recomputed: list[Period] = Field(
        description="Closed months recomputed because their facts changed"
    )
    created_at: datetime
    finished_at: datetime | None = Field(description="When the computation finished")
    posted_at: datetime | None
    error: str = Field(description="Why the run failed, if it did")

    @staticmethod
    def resolve_months_recomputed(obj: Any) -> list[str]:
        return [text[:7] for text in obj.months_recomputed]


class RunDetailOut(RunOut):
    report: RunReportOut | None = Field(description="The trial report; null while computing")


class ChargeLineOut(Schema):
    id: int
    run_id: int
    kind: LineKind = Field(description="charge: the month's own; recalculation: a difference")
    period: Period = Field(description="Month the line is posted in")
    corrects_period: Period = Field(description="Month the figures are for")
    reason: str = Field(description="Why a recalculation was made (empty for a charge)")
    service_id: int
    service_code: str
    service_name: str
    unit: str = Field(description="Unit of the volume")
    method: str = Field(
        description="How the volume was found: meter, average, norm, norm_coefficient, area…"
    )
    volume: Volume
    coefficient_volume: Volume = Field(description="Volume added by the coefficient 1.5")
    tariff: Rate | None = Field(description="Tariff; null when it changed within the month")
    norm: Norm | None
    persons: int
    area_m2: Area
    average_months: int = Field(description="Months in the average, when billed by average")
    segments: int = Field(description="Sub-periods of the month (tariff or facts changed)")
    amount: Money = Field(description="Charged, incl. the coefficient part")
    amount_kopecks: int
    coefficient_amount: Money = Field(description="Part caused by the coefficient 1.5")
    coefficient_amount_kopecks: int
    reduction: Money = Field(
        description="Temporary absence, quality and upkeep acts, the fine included (≤ 0)"
    )
    reduction_kopecks: int
    fine: Money = Field(
        description="Part of the reduction: 50 % of an unlawful over-charge (≤ 0, ЖК ст.157 ч.6)"
    )
    fine_kopecks: int
    benefit: Money = Field(description="Benefits of discount categories (≤ 0)")
    benefit_kopecks: int
    benefit_cash: Money = Field(
        description=(
            "Cash compensation (ЕДК) of cash categories (≤ 0): paid by the social protection "
            "body, not part of the total"
        )
    )
    benefit_cash_kopecks: int
    total: Money = Field(description="amount + reduction + benefit (the ЕДК is not part of it)")
    total_kopecks: int
    explanation: str = Field(description="The derivation, in Russian, several lines")


class AccountChargesOut(Schema):
    account_id: int
    account: str = Field(description="Account number")
    period: Period
    run_id: int | None = Field(description="The unposted run shown, if one was asked for")
    lines: list[ChargeLineOut]
    charges_total: Money = Field(description="The month's own charges")
    charges_total_kopecks: int
    recalculations_total: Money
    recalculations_total_kopecks: int
    total: Money
    total_kopecks: int
