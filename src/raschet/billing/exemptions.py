"""Exempt periods of the capital-repair contribution, as the billing snapshot reads them.

A building's `raschet.capitalrepair.models.CapitalRepairExemption` rows (ЖК ст.169 ч.2, ч.3,
ст.170 ч.5.1; rules.md §2.2) take days out of its contribution lines: the general builder
of `raschet.billing.snapshot` cuts the month at their bounds and leaves the exempt
sub-periods out, exactly as it leaves out the days before an account was opened or after it
was closed. What remains is charged by days (``area × rate × days / days in month``). The
derivation of a line that lost days says why, in Russian (`note`), and a recalculation
caused by an exemption entered later names it.

Which services: the contribution services of the building — the service of any of its
fund settings (`CapitalRepairFund.service`) and the organization's catalogue service
``capital_repair``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from raschet.core.periods import Month

CAPITAL_REPAIR_CODE = "capital_repair"

#: Why the days are not charged, as the derivation says it (`ExemptionReason` values), and
#: the rule.
REASONS_RU: dict[str, tuple[str, str]] = {
    "emergency": ("дом признан аварийным", "ЖК ст.169 ч.2"),
    "land_withdrawal": (
        "земельный участок под домом изымается для государственных или муниципальных нужд",
        "ЖК ст.169 ч.2",
    ),
    "programme_wait": (
        "обязанность по уплате взносов ещё не возникла после включения дома в региональную "
        "программу",
        "ЖК ст.169 ч.3",
    ),
    "new_building": (
        "новый дом: срок после ввода в эксплуатацию по региональной программе",
        "ЖК ст.170 ч.5.1",
    ),
}
REASON_MAX = 300  # ChargeLine.reason


@dataclass(frozen=True)
class ExemptPeriod:
    """One exemption of a building on ``[start, end)`` (``end`` None: open)."""

    start: date
    end: date | None
    reason: str
    document: str = ""
    document_date: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class BuildingExemptions:
    """The exempt periods of a building touching a month and the services they exempt."""

    services: frozenset[int]
    periods: tuple[ExemptPeriod, ...]

    def applies_to(self, service_id: int) -> bool:
        return service_id in self.services

    def cuts(self, start: date, end: date) -> set[date]:
        """The periods' bounds strictly inside ``[start, end)``."""
        out: set[date] = set()
        for p in self.periods:
            for d in (p.start, p.end):
                if d is not None and start < d < end:
                    out.add(d)
        return out

    def period_on(self, day: date) -> ExemptPeriod | None:
        for p in self.periods:
            if p.covers(day):
                return p
        return None


def load_exemptions(
    organization_id: int, building_ids: list[int], month: Month
) -> dict[int, BuildingExemptions]:
    """The exemptions of ``building_ids`` touching ``month``, by building (one query for the
    periods, one for the services; none more when no building has one)."""
    from raschet.capitalrepair.models import CapitalRepairFund
    from raschet.tariffs.models import Service

    touching = _touching(organization_id, building_ids, month)
    rows = list(touching.order_by("building_id", "valid_from"))
    if not rows:
        return {}
    buildings = sorted({r.building_id for r in rows})
    catalogue = set(
        Service.objects.filter(
            organization_id=organization_id, code=CAPITAL_REPAIR_CODE
        ).values_list("pk", flat=True)
    )
    funds: dict[int, set[int]] = {}
    for bid, sid in CapitalRepairFund.objects.filter(
        organization_id=organization_id, building_id__in=buildings
    ).values_list("building_id", "service_id"):
        funds.setdefault(bid, set()).add(sid)
    out: dict[int, BuildingExemptions] = {}
    for bid in buildings:
        periods = tuple(
            ExemptPeriod(
                start=r.valid_from,
                end=r.valid_to,
                reason=r.reason,
                document=r.document,
                document_date=r.document_date,
            )
            for r in rows
            if r.building_id == bid
        )
        out[bid] = BuildingExemptions(
            services=frozenset(catalogue | funds.get(bid, set())), periods=periods
        )
    return out


def exempt_building_ids(organization_id: int, building_ids: list[int], month: Month) -> set[int]:
    """Buildings of ``building_ids`` with an exemption touching ``month`` (the vectorised
    snapshot sends their accounts to the general builder)."""
    touching = _touching(organization_id, building_ids, month)
    return set(touching.values_list("building_id", flat=True))


def _touching(organization_id: int, building_ids: list[int], month: Month) -> QuerySet[Any]:
    """The exempt periods of ``building_ids`` with at least one day in ``month``."""
    from raschet.capitalrepair.models import CapitalRepairExemption

    return CapitalRepairExemption.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=month.start),
        organization_id=organization_id,
        building_id__in=building_ids,
        valid_from__lt=month.end,
    )


def period_text(period: ExemptPeriod) -> str:
    """«освобождён от взноса на капремонт с 10.02.2025 по 15.03.2025: дом признан
    аварийным, постановление № 12 от 01.02.2025 (ЖК ст.169 ч.2)» — ``по`` is the last exempt
    day; an open period has no ``по``."""
    text = f"освобождён от взноса на капремонт с {period.start:%d.%m.%Y}"
    if period.end is not None:
        text += f" по {period.end - timedelta(days=1):%d.%m.%Y}"
    why, law = REASONS_RU.get(period.reason, (period.reason, ""))
    text += ": " + why
    if period.document or period.document_date:
        text += ", " + (period.document or "документ")
        if period.document_date is not None:
            text += f" от {period.document_date:%d.%m.%Y}"
    return text + (f" ({law})" if law else "")


def note(used: dict[ExemptPeriod, int]) -> str:
    """The derivation's sentence for a line that lost days to exemptions: each period and
    how many days of the line's month it took (at most `REASON_MAX` characters)."""
    parts = [
        f"{period_text(p)}; не начислено дней: {days}"
        for p, days in sorted(used.items(), key=lambda kv: kv[0].start)
    ]
    text = "; ".join(parts)
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"
