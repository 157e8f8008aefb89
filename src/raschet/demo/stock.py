"""The demo's housing stock, people and connected services, built in memory.

`StockBuilder` turns one `random.Random` into unsaved model instances that refer to each
other by object; `raschet.demo.services` writes them in dependency order with
``bulk_create`` (which fills in the keys). Nothing here reads a clock or the database.

Rule for the size of buildings: every building has 20–300 flats except the last one, which
is cut so that the stock has exactly the requested number of accounts (it keeps at least
one account).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from raschet.demo import orgs
from raschet.demo.addresses import AddressBook
from raschet.demo.names import MALE_NAMES, SURNAMES, FullName, first_name, patronymic, surname
from raschet.demo.people import Household, day_between, household_make
from raschet.demo.rates import (
    HEATING_SEASON_MONTHS,
    LIFT_COMMON_ELECTRICITY,
    NORM_DECISION,
    NORMS_FROM,
    PERIODS,
    indexed,
)
from raschet.housing.models import (
    Account,
    Building,
    CommonPropertyMode,
    HeatingMode,
    Premises,
    PremisesKind,
    Tenure,
)
from raschet.organizations.models import Organization
from raschet.registry.models import (
    BenefitCategory,
    Ownership,
    Person,
    PersonBenefit,
    Registration,
    TemporaryResidentAct,
)
from raschet.tariffs.models import (
    Method,
    Norm,
    NormBasis,
    RateBasis,
    Service,
    ServiceContract,
    Tariff,
)

AS_OF = date(2026, 10, 1)
MIN_FLATS = 20
MAX_FLATS = 300

Progress = Callable[[str, int, int], None]

# Which organization is paid for each service (the managing one when absent).
PAYEE_BY_SERVICE = {
    "cold_water": orgs.VODOKANAL,
    "wastewater": orgs.VODOKANAL,
    "hot_water": orgs.TEPLOSET,
    "heating": orgs.TEPLOSET,
    "electricity": orgs.ENERGOSBYT,
    "gas": orgs.GAS,
    "solid_waste": orgs.TKO,
    "capital_repair": orgs.FUND,
}
_CONTRACT_PREFIX = {
    orgs.VODOKANAL: "ВК",
    orgs.TEPLOSET: "ТС",
    orgs.ENERGOSBYT: "ЭС",
    orgs.GAS: "ГС",
    orgs.TKO: "ТКО",
    orgs.FUND: "КР",
}
FLAT_SERVICES = (
    "maintenance",
    "capital_repair",
    "heating",
    "cold_water",
    "hot_water",
    "wastewater",
    "electricity",
    "solid_waste",
    "common_cold_water",
    "common_hot_water",
    "common_wastewater",
    "common_electricity",
)
SHOP_SERVICES = tuple(s for s in FLAT_SERVICES if s != "solid_waste")
WATER = ("cold_water", "hot_water", "wastewater")

# Flat layouts per floor and entrance (rooms of each flat), by number of flats per floor.
LAYOUTS = {
    3: ((1, 2, 3), (2, 2, 3), (1, 3, 2)),
    4: ((1, 2, 2, 3), (1, 1, 2, 3), (2, 1, 3, 2), (1, 2, 3, 3), (1, 2, 3, 4)),
    6: ((1, 1, 2, 2, 3, 3), (1, 2, 2, 1, 3, 2)),
}
# Typical total area ranges of a flat by rooms, for old / middle / new buildings, m².
AREAS = {
    "old": {1: (29.5, 33.0), 2: (41.0, 46.5), 3: (55.0, 61.0), 4: (61.0, 68.0)},
    "mid": {1: (32.0, 37.5), 2: (47.0, 54.0), 3: (60.0, 70.0), 4: (74.0, 82.0)},
    "new": {1: (36.0, 44.0), 2: (52.0, 64.0), 3: (72.0, 88.0), 4: (90.0, 110.0)},
}
_CENT = Decimal("0.01")


def money_area(value: float) -> Decimal:
    return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass
class Manager:
    """A managing organization (УК or ТСЖ) and what its rows refer to."""

    organization: Organization
    services: dict[str, Service]
    categories: dict[str, BenefitCategory]
    number_prefix: str
    gis_letters: str
    accounts_made: int = 0


@dataclass(frozen=True)
class Unit:
    """One premises as planned: a flat or a shop, and how many accounts it carries."""

    number: str
    kind: str
    area_m2: Decimal
    living_m2: Decimal | None
    rooms: int | None
    floor: int
    entrance: int
    accounts: int = 1

    @property
    def communal(self) -> bool:
        return self.accounts > 1


@dataclass
class BuildingPlan:
    floors: int
    entrances: int
    year_built: int
    units: list[Unit]
    has_gas: bool


@dataclass
class Stock:
    """Unsaved rows in the order they must be written."""

    buildings: list[Building] = field(default_factory=list)
    premises: list[Premises] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    ownerships: list[Ownership] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    acts: list[TemporaryResidentAct] = field(default_factory=list)
    benefits: list[PersonBenefit] = field(default_factory=list)
    contracts: list[ServiceContract] = field(default_factory=list)
    tariffs: list[Tariff] = field(default_factory=list)
    norms: list[Norm] = field(default_factory=list)
    account_services: list[AccountServiceRow] = field(default_factory=list)


class AccountServiceRow(NamedTuple):
    """An `AccountService` as a plain tuple: there are a dozen per account, and a model
    instance costs ten times more to make. Field names are the model's column attnames;
    ``account_id`` holds the unsaved Account until it is written."""

    organization_id: int
    account_id: Account
    service_id: int
    method: str
    meter_possible: bool
    zones: int
    valid_from: date
    valid_to: date | None = None


class StockBuilder:
    def __init__(
        self,
        rng: random.Random,
        *,
        managers: dict[str, Manager],
        payees: dict[str, Organization],
    ) -> None:
        self.rng = rng
        self.managers = managers
        self.payees = payees
        self.addresses = AddressBook(rng)
        self.stock = Stock()
        self._act_number = 0

    # ---- the whole stock ---------------------------------------------------------------

    def build(self, *, accounts: int, progress: Progress | None = None) -> Stock:
        remaining = accounts
        index = 0
        while remaining > 0:
            manager = self._manager_for(index)
            plan = self._plan()
            if sum(u.accounts for u in plan.units) > remaining:
                self._cut(plan, remaining)
            self._emit_building(manager, plan)
            remaining -= sum(u.accounts for u in plan.units)
            index += 1
            if progress is not None:
                progress("Дома, помещения и жители", accounts - remaining, accounts)
        return self.stock

    def _manager_for(self, index: int) -> Manager:
        """The first buildings go to each manager in turn (so a small demo shows all three);
        after that the two management companies share the rest 60/40."""
        first = (orgs.UK_MAIN, orgs.HOA, orgs.UK_SECOND)
        if index < len(first):
            return self.managers[first[index]]
        code = self.rng.choices((orgs.UK_MAIN, orgs.UK_SECOND), weights=(60, 40))[0]
        return self.managers[code]

    # ---- planning one building ---------------------------------------------------------

    def _plan(self) -> BuildingPlan:
        rng = self.rng
        floors = rng.choices((5, 9, 12, 16), weights=(40, 35, 12, 13))[0]
        year = {
            5: rng.randint(1958, 1989),
            9: rng.randint(1968, 2005),
            12: rng.randint(1978, 2015),
            16: rng.randint(1985, 2023),
        }[floors]
        era = "old" if year < 1975 else "mid" if year < 1996 else "new"
        per_floor = rng.choice((3, 4, 4)) if floors == 5 else rng.choice((4, 4, 4, 6))
        layout = rng.choice(LAYOUTS[per_floor])
        max_entrances = {5: 8, 9: 8, 12: 5, 16: 4}[floors]
        options = [
            e
            for e in range(1, max_entrances + 1)
            if MIN_FLATS <= floors * per_floor * e <= MAX_FLATS
        ]
        entrances = rng.choice(options)
        shop_entrances = 0
        if floors >= 9 and rng.random() < 0.35:
            shop_entrances = rng.randint(1, min(2, entrances))
            if floors * per_floor * entrances - shop_entrances * per_floor < MIN_FLATS:
                shop_entrances = 0
        areas = [money_area(rng.uniform(*AREAS[era][rooms])) for rooms in layout]
        living_ratio = [Decimal(str(round(rng.uniform(0.52, 0.66), 2))) for _ in layout]
        units: list[Unit] = []
        number = 0
        for entrance in range(1, entrances + 1):
            for floor in range(1, floors + 1):
                if floor == 1 and entrance <= shop_entrances:
                    continue
                for pos, rooms in enumerate(layout):
                    number += 1
                    communal = era == "old" and rooms in (2, 3) and rng.random() < 0.06
                    units.append(
                        Unit(
                            number=str(number),
                            kind=PremisesKind.RESIDENTIAL,
                            area_m2=areas[pos],
                            living_m2=(areas[pos] * living_ratio[pos]).quantize(_CENT),
                            rooms=rooms,
                            floor=floor,
                            entrance=entrance,
                            accounts=rooms if communal else 1,
                        )
                    )
        for k in range(1, shop_entrances * rng.randint(1, 2) + 1):
            units.append(
                Unit(
                    number=f"{k}Н",
                    kind=PremisesKind.NON_RESIDENTIAL,
                    area_m2=money_area(rng.uniform(45, 220)),
                    living_m2=None,
                    rooms=None,
                    floor=1,
                    entrance=(k - 1) % shop_entrances + 1,
                )
            )
        has_gas = floors <= 9 and (
            (year < 1975 and rng.random() < 0.8) or (year < 1990 and rng.random() < 0.4)
        )
        return BuildingPlan(floors, entrances, year, units, has_gas)

    @staticmethod
    def _cut(plan: BuildingPlan, limit: int) -> None:
        """Keep the first premises until ``limit`` accounts; a communal flat that does not
        fit whole keeps fewer rooms (one room makes it an ordinary flat)."""
        kept: list[Unit] = []
        used = 0
        for unit in plan.units:
            if used >= limit:
                break
            take = min(unit.accounts, limit - used)
            if take != unit.accounts:
                unit = Unit(**{**unit.__dict__, "accounts": take if take > 1 else 1})
            kept.append(unit)
            used += take
        plan.units = kept
        plan.entrances = max(u.entrance for u in kept)

    # ---- writing one building ----------------------------------------------------------

    def _emit_building(self, manager: Manager, plan: BuildingPlan) -> None:
        rng = self.rng
        org = manager.organization
        residential = sum(
            (u.area_m2 for u in plan.units if u.kind == PremisesKind.RESIDENTIAL), Decimal(0)
        )
        non_residential = sum(
            (u.area_m2 for u in plan.units if u.kind != PremisesKind.RESIDENTIAL), Decimal(0)
        )
        total = residential + non_residential
        evenly = rng.random() < 0.08
        building = Building(
            organization=org,
            address=self.addresses.building(),
            fias_guid=uuid.UUID(int=rng.getrandbits(128), version=4),
            year_built=plan.year_built,
            floors=plan.floors,
            entrances=plan.entrances,
            area_total_m2=total,
            area_residential_m2=residential,
            area_non_residential_m2=non_residential,
            area_common_m2=(total * Decimal(str(round(rng.uniform(0.151, 0.199), 3)))).quantize(
                _CENT
            ),
            heating_mode=HeatingMode.EVENLY if evenly else HeatingMode.SEASON,
            heating_season_months=HEATING_SEASON_MONTHS,
            common_property_mode=(
                CommonPropertyMode.ACTUAL if rng.random() < 0.1 else CommonPropertyMode.NORM_CAP
            ),
        )
        self.stock.buildings.append(building)
        managed_since = date(
            max(rng.randint(2008, 2016), plan.year_built + 1), rng.randint(1, 12), 1
        )
        self._emit_building_terms(manager, building, plan, managed_since, evenly=evenly)
        for unit in plan.units:
            self._emit_premises(manager, building, plan, unit, managed_since)

    def _emit_building_terms(
        self,
        manager: Manager,
        building: Building,
        plan: BuildingPlan,
        managed_since: date,
        *,
        evenly: bool,
    ) -> None:
        """Payee contracts, the maintenance rate and the building's own norms."""
        rng = self.rng
        org = manager.organization
        codes = [*FLAT_SERVICES, "gas"] if plan.has_gas else list(FLAT_SERVICES)
        for code in codes:
            payee_code = PAYEE_BY_SERVICE.get(code)
            payee = self.payees[payee_code] if payee_code else org
            prefix = _CONTRACT_PREFIX.get(payee_code or "", "УК")
            self.stock.contracts.append(
                ServiceContract(
                    organization=org,
                    building=building,
                    service=manager.services[code],
                    payee=payee,
                    contract_number=f"{prefix}-{managed_since.year}/{rng.randint(1, 999):03d}",
                    valid_from=managed_since,
                )
            )
        maintenance = Decimal(str(round(rng.uniform(25, 40), 2)))
        for start, end, factor in PERIODS:
            self.stock.tariffs.append(
                Tariff(
                    organization=org,
                    service=manager.services["maintenance"],
                    building=building,
                    basis=RateBasis.PER_M2,
                    rate=indexed(maintenance, factor),
                    valid_from=start,
                    valid_to=end,
                    decision=f"Протокол общего собрания собственников от "
                    f"{start - timedelta(days=rng.randint(20, 60)):%d.%m.%Y}",
                )
            )
        if plan.floors >= 9:
            self.stock.norms.append(
                Norm(
                    organization=org,
                    service=manager.services["common_electricity"],
                    building=building,
                    basis=NormBasis.PER_M2_COMMON,
                    value=Decimal(LIFT_COMMON_ELECTRICITY),
                    valid_from=NORMS_FROM,
                    decision=NORM_DECISION + " (дома с лифтами)",
                )
            )
        if evenly:
            self.stock.norms.append(
                Norm(
                    organization=org,
                    service=manager.services["heating"],
                    building=building,
                    basis=NormBasis.PER_M2,
                    value=(Decimal("0.0215") * HEATING_SEASON_MONTHS / 12).quantize(
                        Decimal("0.000001")
                    ),
                    valid_from=NORMS_FROM,
                    decision=NORM_DECISION + " (оплата равномерно в течение года)",
                )
            )

    def _emit_premises(
        self,
        manager: Manager,
        building: Building,
        plan: BuildingPlan,
        unit: Unit,
        managed_since: date,
    ) -> None:
        rng = self.rng
        org = manager.organization
        premises = Premises(
            organization=org,
            building=building,
            number=unit.number,
            kind=unit.kind,
            area_total_m2=unit.area_m2,
            area_living_m2=unit.living_m2,
            rooms=unit.rooms,
            floor=unit.floor,
            entrance=unit.entrance,
            is_communal_flat=unit.communal,
        )
        self.stock.premises.append(premises)
        if unit.kind != PremisesKind.RESIDENTIAL:
            account = self._account(
                manager, premises, opened_on=managed_since, payer=_shop_name(rng)
            )
            self._connect(manager, account, SHOP_SERVICES, metering=_Metering.all_meters())
            return
        metering = _Metering.draw(rng, has_gas=plan.has_gas)
        codes = [*FLAT_SERVICES, "gas"] if plan.has_gas else list(FLAT_SERVICES)
        room_areas = _split_area(rng, unit.area_m2, unit.accounts) if unit.communal else [None]
        for room_area in room_areas:
            size = rng.randint(1, 2) if unit.communal else _household_size(rng)
            household = household_make(
                rng,
                size=size,
                social=rng.random() < 0.06,
                owners_only=rng.random() < 0.04,
                earliest=date(plan.year_built, 6, 1),
                as_of=AS_OF,
            )
            opened_on = max(household.move_in, managed_since)
            account = self._account(
                manager,
                premises,
                opened_on=opened_on,
                payer=household.head.name.full,
                tenure=Tenure.SOCIAL_TENANT if household.social else Tenure.OWNER,
                area_m2=room_area,
                phone=household.head.phone,
            )
            share_denominator = unit.accounts
            self._emit_people(manager, account, premises, household, share_denominator)
            self._connect(manager, account, codes, metering=metering)

    def _account(
        self,
        manager: Manager,
        premises: Premises,
        *,
        opened_on: date,
        payer: str,
        tenure: str = Tenure.OWNER,
        area_m2: Decimal | None = None,
        phone: str = "",
    ) -> Account:
        manager.accounts_made += 1
        seq = manager.accounts_made
        account = Account(
            organization=manager.organization,
            number=f"{manager.number_prefix}{seq:06d}",
            premises=premises,
            opened_on=opened_on,
            payer_name=payer,
            tenure=tenure,
            area_m2=area_m2,
            gis_account_id=f"69{manager.gis_letters}{seq % 1_000_000:06d}",
            phone=phone,
        )
        if seq % 10 == 7:  # one in ten chose paper-free delivery of the ЕПД
            account.email = f"ls{account.number}@mail.example"
            account.paperless = True
        self.stock.accounts.append(account)
        return account

    def _connect(
        self,
        manager: Manager,
        account: Account,
        codes: list[str] | tuple[str, ...],
        *,
        metering: _Metering,
    ) -> None:
        for code in codes:
            method, possible, zones = metering.of(code)
            self.stock.account_services.append(
                AccountServiceRow(
                    organization_id=manager.organization.pk,
                    account_id=account,
                    service_id=manager.services[code].pk,
                    method=method,
                    meter_possible=possible,
                    zones=zones,
                    valid_from=account.opened_on,
                )
            )

    # ---- people ------------------------------------------------------------------------

    def _emit_people(
        self,
        manager: Manager,
        account: Account,
        premises: Premises,
        household: Household,
        share_denominator: int,
    ) -> None:
        rng = self.rng
        org = manager.organization
        for member in household.members:
            person = Person(
                organization=org,
                last_name=member.name.last_name,
                first_name=member.name.first_name,
                middle_name=member.name.middle_name,
                birth_date=member.birth_date,
                birth_place=member.birth_place,
                snils=member.snils,
                identity_document=member.identity_document,
                phone=member.phone,
            )
            self.stock.persons.append(person)
            if member.share is not None:
                numerator, denominator = member.share
                self.stock.ownerships.append(
                    Ownership(
                        organization=org,
                        premises=premises,
                        person=person,
                        share_numerator=numerator,
                        share_denominator=denominator * share_denominator,
                        valid_from=household.move_in,
                        title_document=household.title_document,
                    )
                )
            if member.registered_from is not None:
                self.stock.registrations.append(
                    Registration(
                        organization=org,
                        account=account,
                        person=person,
                        kind=member.registration_kind,
                        relation=member.relation,
                        valid_from=member.registered_from,
                        valid_to=member.registered_to,
                        arrived_from=member.arrived_from,
                        departed_to=member.departed_to,
                    )
                )
            if member.benefit is not None:
                code, since, document = member.benefit
                self.stock.benefits.append(
                    PersonBenefit(
                        organization=org,
                        person=person,
                        category=manager.categories[code],
                        valid_from=since,
                        document=document,
                    )
                )
        if household.members and not household.owners_only and rng.random() < 0.015:
            self._act_number += 1
            since = day_between(rng, date(2025, 6, 1), date(2026, 9, 1))
            self.stock.acts.append(
                TemporaryResidentAct(
                    organization=org,
                    account=account,
                    persons=rng.randint(1, 2),
                    act_number=f"{self._act_number}/{since.year}",
                    act_date=since,
                    valid_from=since,
                    valid_to=since + timedelta(days=rng.randint(120, 360))
                    if rng.random() < 0.5
                    else None,
                )
            )


@dataclass(frozen=True)
class _Metering:
    """How one premises' resources are measured: meter, or norm with/without a possible
    meter (the increasing coefficient applies only when a meter could be installed)."""

    water: tuple[str, bool]
    electricity: tuple[str, bool, int]
    gas: tuple[str, bool]

    @classmethod
    def draw(cls, rng: random.Random, *, has_gas: bool) -> _Metering:
        water_meter = rng.random() < 0.85
        water_possible = water_meter or rng.random() < 0.6
        electricity_meter = rng.random() < 0.85
        electricity_possible = electricity_meter or rng.random() < 0.6
        r = rng.random()
        zones = (2 if r < 0.10 else 3 if r < 0.13 else 1) if electricity_meter else 1
        gas_meter = has_gas and rng.random() < 0.3
        return cls(
            water=(Method.METER if water_meter else Method.NORM, water_possible),
            electricity=(
                Method.METER if electricity_meter else Method.NORM,
                electricity_possible,
                zones,
            ),
            gas=(Method.METER if gas_meter else Method.NORM, True),
        )

    @classmethod
    def all_meters(cls) -> _Metering:
        return cls(
            water=(Method.METER, True),
            electricity=(Method.METER, True, 1),
            gas=(Method.METER, True),
        )

    def of(self, code: str) -> tuple[str, bool, int]:
        if code in WATER:
            return self.water[0], self.water[1], 1
        if code == "electricity":
            return self.electricity
        if code == "gas":
            return self.gas[0], self.gas[1], 1
        return Method.NORM, True, 1


def _household_size(rng: random.Random) -> int:
    return rng.choices((1, 2, 3, 4, 5), weights=(25, 30, 25, 13, 7))[0]


def _split_area(rng: random.Random, area: Decimal, parts: int) -> list[Decimal]:
    """Rooms of a communal flat: shares of its area that add up to the whole exactly."""
    weights = [rng.uniform(0.8, 1.2) for _ in range(parts)]
    total = sum(weights)
    result = [(area * Decimal(str(round(w / total, 4)))).quantize(_CENT) for w in weights[:-1]]
    result.append(area - sum(result, Decimal(0)))
    return result


_SHOP_KINDS = ("Продукты", "Аптека", "Парикмахерская", "Цветы", "Ремонт обуви", "Оптика")


def _shop_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        name = FullName(
            surname(rng.choice(SURNAMES), female=False),
            first_name(rng, female=False),
            patronymic(rng.choice(MALE_NAMES), female=False),
            female=False,
        )
        return f"ИП {name.last_name} {name.first_name[0]}. {name.middle_name[0]}."
    return f"ООО «{rng.choice(_SHOP_KINDS)} {rng.choice(('24', 'Плюс', 'на углу', 'Тверь'))}»"
