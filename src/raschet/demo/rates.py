"""Tariffs, norms and benefit categories of the demo, Тверь-like for 2024–2026.

Rates are the ones in force from 1 July 2025 (the big annual indexation); the rows before it
are the same divided by the indexation factor, and from 1 January 2026 they rise again (VAT
from 20 % to 22 %). Ranges are half-open and never overlap.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from raschet.organizations.models import Organization
from raschet.registry.models import BenefitBase, BenefitCategory, BenefitCoverage, BenefitModel
from raschet.tariffs.models import Norm, NormBasis, RateBasis, Service, Tariff, Zone

# (valid_from, valid_to, factor applied to the 2025-07-01 rate)
PERIODS: tuple[tuple[date, date | None, Decimal], ...] = (
    (date(2024, 7, 1), date(2025, 7, 1), Decimal("0.893")),
    (date(2025, 7, 1), date(2026, 1, 1), Decimal("1")),
    (date(2026, 1, 1), None, Decimal("1.017")),
)
NORMS_FROM = date(2017, 6, 1)

DECISIONS = {
    date(2024, 7, 1): "Приказ ГУ РЭК Тверской области от 20.12.2023 № 412-нп",
    date(2025, 7, 1): "Приказ ГУ РЭК Тверской области от 19.12.2024 № 389-нп",
    date(2026, 1, 1): "Приказ ГУ РЭК Тверской области от 28.11.2025 № 301-нп",
}
NORM_DECISION = "Приказ ГУ РЭК Тверской области от 31.05.2017 № 58-нп"

# service code → [(zone, basis, rate from 2025-07-01)]
RATES: dict[str, list[tuple[str, str, str]]] = {
    "cold_water": [(Zone.SINGLE, RateBasis.PER_UNIT, "50.93")],
    "hot_water": [(Zone.SINGLE, RateBasis.PER_UNIT, "250.12")],
    "wastewater": [(Zone.SINGLE, RateBasis.PER_UNIT, "45.07")],
    "electricity": [
        (Zone.SINGLE, RateBasis.PER_UNIT, "6.17"),
        (Zone.DAY, RateBasis.PER_UNIT, "7.10"),
        (Zone.NIGHT, RateBasis.PER_UNIT, "3.55"),
        (Zone.PEAK, RateBasis.PER_UNIT, "7.81"),
        (Zone.SEMI_PEAK, RateBasis.PER_UNIT, "6.17"),
    ],
    "heating": [(Zone.SINGLE, RateBasis.PER_UNIT, "2850.46")],
    "gas": [(Zone.SINGLE, RateBasis.PER_UNIT, "8.39")],
    "solid_waste": [(Zone.SINGLE, RateBasis.PER_PERSON, "149.87")],
    "capital_repair": [(Zone.SINGLE, RateBasis.PER_M2, "11.96")],
    "common_cold_water": [(Zone.SINGLE, RateBasis.PER_UNIT, "50.93")],
    "common_hot_water": [(Zone.SINGLE, RateBasis.PER_UNIT, "250.12")],
    "common_wastewater": [(Zone.SINGLE, RateBasis.PER_UNIT, "45.07")],
    "common_electricity": [(Zone.SINGLE, RateBasis.PER_UNIT, "6.17")],
}

# service code → [(basis, value)] for rows with any rooms/residents
FLAT_NORMS: dict[str, list[tuple[str, str]]] = {
    "cold_water": [(NormBasis.PER_PERSON, "4.9")],
    "hot_water": [(NormBasis.PER_PERSON, "3.6")],
    "wastewater": [(NormBasis.PER_PERSON, "8.5")],
    "gas": [(NormBasis.PER_PERSON, "10.0")],
    "heating": [(NormBasis.PER_M2, "0.0215")],
    "solid_waste": [(NormBasis.PER_PERSON, "1")],
    "common_cold_water": [(NormBasis.PER_M2_COMMON, "0.0273")],
    "common_hot_water": [(NormBasis.PER_M2_COMMON, "0.0273")],
    "common_wastewater": [(NormBasis.PER_M2_COMMON, "0.0546")],
    "common_electricity": [(NormBasis.PER_M2_COMMON, "1.41")],
}

# Electricity, kWh per person per month, by rooms (rows) and residents (columns 1..5+);
# a house with gas stoves. The last row and column cover larger flats and households.
ELECTRICITY_NORMS = {
    1: ("145", "90", "70", "57", "50"),
    2: ("168", "104", "81", "66", "58"),
    3: ("182", "113", "88", "71", "62"),
    4: ("191", "119", "92", "74", "65"),
}
# Common-property electricity where the building has lifts (nine floors and up), kWh/m².
LIFT_COMMON_ELECTRICITY = "2.95"
# Heating spread evenly over 12 months instead of 7 heating months (ПП 354 п.42(1)).
HEATING_SEASON_MONTHS = 7

_CENT = Decimal("0.01")


def indexed(rate: Decimal, factor: Decimal) -> Decimal:
    return (rate * factor).quantize(_CENT, rounding=ROUND_HALF_UP)


def tariffs_make(organization: Organization, services: dict[str, Service]) -> list[Tariff]:
    """Organization-wide tariffs for every catalogue service except maintenance (which is
    set per building by the owners' meeting)."""
    rows = []
    for code, zones in RATES.items():
        for zone, basis, rate in zones:
            for start, end, factor in PERIODS:
                rows.append(
                    Tariff(
                        organization=organization,
                        service=services[code],
                        zone=zone,
                        basis=basis,
                        rate=indexed(Decimal(rate), factor),
                        valid_from=start,
                        valid_to=end,
                        decision=DECISIONS[start],
                    )
                )
    return rows


def norms_make(organization: Organization, services: dict[str, Service]) -> list[Norm]:
    rows = []
    for code, values in FLAT_NORMS.items():
        for basis, value in values:
            rows.append(
                Norm(
                    organization=organization,
                    service=services[code],
                    basis=basis,
                    value=Decimal(value),
                    valid_from=NORMS_FROM,
                    decision=NORM_DECISION,
                )
            )
    for rooms, by_residents in ELECTRICITY_NORMS.items():
        for residents, value in enumerate(by_residents, start=1):
            rows.append(
                Norm(
                    organization=organization,
                    service=services["electricity"],
                    basis=NormBasis.PER_PERSON,
                    rooms=rooms,
                    residents=residents,
                    value=Decimal(value),
                    valid_from=NORMS_FROM,
                    decision=NORM_DECISION,
                )
            )
    return rows


_HOUSING_AND_COMMUNAL = {
    "maintenance": BenefitBase.SOCIAL_NORM_AREA,
    "heating": BenefitBase.SOCIAL_NORM_AREA,
    "cold_water": BenefitBase.CONSUMPTION_NORM,
    "hot_water": BenefitBase.CONSUMPTION_NORM,
    "wastewater": BenefitBase.CONSUMPTION_NORM,
    "electricity": BenefitBase.CONSUMPTION_NORM,
    "gas": BenefitBase.CONSUMPTION_NORM,
    "solid_waste": BenefitBase.PER_PERSON_SHARE,
}
_COMMUNAL_SHARE = {
    code: BenefitBase.PER_PERSON_SHARE
    for code in ("heating", "cold_water", "hot_water", "wastewater", "electricity", "solid_waste")
}

# (code, name, percent, covers, service bases, document template); veterans get the federal
# and regional ЕДК (rules.md §4.1, §4.2: cash from the social protection body), the others a
# discount on the bill
BENEFITS = (
    (
        "disabled",
        "Инвалиды и семьи с детьми-инвалидами",
        "50",
        BenefitCoverage.BENEFICIARY,
        _HOUSING_AND_COMMUNAL,
        "Справка МСЭ-{year} № {number}",
    ),
    (
        "labour-veterans",
        "Ветераны труда",
        "50",
        BenefitCoverage.BENEFICIARY,
        _HOUSING_AND_COMMUNAL,
        "Удостоверение ветерана труда серия Т-II № {number}",
    ),
    (
        "combat-veterans",
        "Ветераны боевых действий",
        "50",
        BenefitCoverage.BENEFICIARY,
        _HOUSING_AND_COMMUNAL,
        "Удостоверение ветерана боевых действий серия БК № {number}",
    ),
    (
        "large-families",
        "Многодетные семьи",
        "30",
        BenefitCoverage.FAMILY,
        _COMMUNAL_SHARE,
        "Удостоверение многодетной семьи № {number} от {year} г.",
    ),
)


CASH_BENEFITS = frozenset({"labour-veterans", "combat-veterans"})
"""Demo categories of the ЕДК model (`BenefitModel.CASH`)."""


def benefit_categories_make(organization: Organization) -> list[BenefitCategory]:
    return [
        BenefitCategory(
            organization=organization,
            code=code,
            name=name,
            percent=Decimal(percent),
            covers=covers,
            service_bases={k: str(v) for k, v in bases.items()},
            model=BenefitModel.CASH if code in CASH_BENEFITS else BenefitModel.DISCOUNT,
        )
        for code, name, percent, covers, bases, _ in BENEFITS
    ]


BENEFIT_DOCUMENTS = {code: template for code, *_, template in BENEFITS}
