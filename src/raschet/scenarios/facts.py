"""The facts of a scenario file as frozen dataclasses (parsed by `raschet.scenarios.schema`).

Every fact keeps ``where`` (file, path, line) so that a later error names its place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from raschet.scenarios.yamlnodes import Where


@dataclass(frozen=True)
class TariffRow:
    where: Where
    valid_from: date
    valid_to: date | None
    rate: Decimal
    zone: str = "single"
    building: str | None = None


@dataclass(frozen=True)
class NormRow:
    where: Where
    valid_from: date
    valid_to: date | None
    basis: str
    value: Decimal
    rooms: int | None = None
    residents: int | None = None
    building: str | None = None


@dataclass(frozen=True)
class ServiceRates:
    where: Where
    code: str
    tariffs: tuple[TariffRow, ...]
    norms: tuple[NormRow, ...]
    basis: str | None = None  # the charge basis when it differs from the catalogue's


@dataclass(frozen=True)
class BenefitCategoryDef:
    where: Where
    code: str
    name: str
    percent: Decimal
    covers: str
    services: dict[str, str]
    model: str = "discount"  # discount | cash (ЕДК, rules.md §4.2)


@dataclass(frozen=True)
class SocialNorms:
    single: Decimal
    two: Decimal
    per_person: Decimal


@dataclass(frozen=True)
class BenefitRight:
    where: Where
    category: str
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class ResidentDef:
    where: Where
    name: str
    valid_from: date | None  # None: the account's opening date
    valid_to: date | None
    kind: str = "permanent"
    benefits: tuple[BenefitRight, ...] = ()


@dataclass(frozen=True)
class AccountServiceDef:
    where: Where
    service: str
    method: str | None  # None: "meter" when the account has a meter of it, else "norm"
    meter_possible: bool
    zones: int | None
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class ReadingDef:
    where: Where
    period: date
    values: tuple[tuple[str, Decimal], ...]  # (zone, value)


@dataclass(frozen=True)
class StateDef:
    where: Where
    state: str
    since: date


@dataclass(frozen=True)
class MeterDef:
    where: Where
    service: str
    serial: str
    zones: tuple[str, ...]
    installed: date | None
    verification_due: date | None
    readings: tuple[ReadingDef, ...]
    states: tuple[StateDef, ...]


@dataclass(frozen=True)
class AbsenceDef:
    where: Where
    persons: int
    left: date
    returned: date
    applied: date | None


@dataclass(frozen=True)
class QualityActDef:
    where: Where
    service: str
    period: date
    kind: str
    events_hours: tuple[int, ...]
    hours: int
    degrees: int
    temperature: Decimal | None = None
    days: int = 0
    overcharge: Decimal = Decimal(0)
    dead_end_accident: bool = False  # water: an accident on a dead-end main (24 h in a row)


@dataclass(frozen=True)
class AccountDef:
    where: Where
    number: str
    opened: date
    closed: date | None
    payer: str
    area_m2: Decimal | None
    owners: int
    residents: tuple[ResidentDef, ...]
    services: tuple[AccountServiceDef, ...]
    meters: tuple[MeterDef, ...]
    absences: tuple[AbsenceDef, ...]
    quality_acts: tuple[QualityActDef, ...]
    living_area_m2: Decimal | None = None


@dataclass(frozen=True)
class PremisesDef:
    where: Where
    number: str
    kind: str
    area_m2: Decimal
    rooms: int | None
    accounts: tuple[AccountDef, ...]
    communal: bool = False
    # rules.md §1.5: the date the premises went over to its own heating installation
    individual_heating_from: date | None = None


@dataclass(frozen=True)
class BuildingMeterDef:
    where: Where
    service: str
    serial: str
    volumes: tuple[tuple[date, Decimal], ...]


@dataclass(frozen=True)
class ExemptionDef:
    """A capital-repair exempt period of a building (rules.md §2.2; ЖК ст.169 ч.2, ч.3,
    ст.170 ч.5.1): ``reason`` is a `CapitalRepairExemption` reason code."""

    where: Where
    reason: str
    valid_from: date
    valid_to: date | None
    document: str = ""
    document_date: date | None = None


@dataclass(frozen=True)
class BuildingDef:
    where: Where
    id: str
    address: str
    area_total_m2: Decimal | None  # None: the sum of its premises
    area_common_m2: Decimal
    heating_mode: str
    heating_season_months: int
    common_property: str
    building_meters: tuple[BuildingMeterDef, ...]
    premises: tuple[PremisesDef, ...]
    quality_acts: tuple[QualityActDef, ...]
    exemptions: tuple[ExemptionDef, ...] = ()
    electricity_two_sources: bool = False  # 2 h of electricity interruption, not 24 h


@dataclass(frozen=True)
class AccountChange:
    where: Where
    number: str
    residents: tuple[ResidentDef, ...] | None  # replaces the registrations
    owners: int | None  # replaces the ownerships
    absences: tuple[AbsenceDef, ...]  # added
    quality_acts: tuple[QualityActDef, ...]  # added


@dataclass(frozen=True)
class BuildingChange:
    where: Where
    id: str
    exemptions: tuple[ExemptionDef, ...]  # added


@dataclass(frozen=True)
class ChangeDef:
    where: Where
    after_period: date
    services: dict[str, ServiceRates]  # tariffs / norms given replace the service's rows
    accounts: tuple[AccountChange, ...]
    buildings: tuple[BuildingChange, ...] = ()


@dataclass(frozen=True)
class ExpectedLine:
    where: Where
    account: str
    period: date
    service: str
    fields: dict[str, Any]  # decimals as Decimal, tariff may be None, reasons a tuple


@dataclass(frozen=True)
class Scenario:
    file: str
    name: str
    settings: dict[str, Any]
    services: dict[str, ServiceRates]
    benefit_categories: tuple[BenefitCategoryDef, ...]
    social_norms: SocialNorms | None
    buildings: tuple[BuildingDef, ...]
    periods: tuple[date, ...]
    changes: tuple[ChangeDef, ...] = ()
    expect: tuple[ExpectedLine, ...] = field(default=())

    def accounts(self) -> list[tuple[BuildingDef, PremisesDef, AccountDef]]:
        return [(b, p, a) for b in self.buildings for p in b.premises for a in p.accounts]
