"""Write a parsed scenario into a fresh organization, in one transaction.

Every row goes through ``full_clean()`` first, so a value the models refuse (an account
number with spaces, overlapping tariffs…) fails with the model's message and the scenario
file's place. Defaults (see ``docs/scenarios.md``): an account opened on 2000-01-01 with one
owner; residents and connected services from the account's opening; a service is by meter
when the account has a meter of it (wastewater: when it has a cold or hot water meter);
meter readings are stored for the month they are written under, the first one as the
initial reading.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import translation

from raschet.billing.models import Absence, QualityAct
from raschet.capitalrepair.models import CapitalRepairExemption
from raschet.housing.models import Account, Building, Premises
from raschet.metering.models import (
    BuildingMeter,
    BuildingMeterReading,
    Meter,
    MeterState,
    MeterStateChange,
    Reading,
    ReadingKind,
    ReadingSource,
)
from raschet.organizations.models import Organization, OrganizationKind
from raschet.registry.models import (
    BenefitCategory,
    Ownership,
    Person,
    PersonBenefit,
    Registration,
)
from raschet.scenarios.facts import (
    AbsenceDef,
    AccountDef,
    ChangeDef,
    ExemptionDef,
    QualityActDef,
    ResidentDef,
    Scenario,
    ServiceRates,
    StateDef,
)
from raschet.scenarios.yamlnodes import ScenarioError, Where
from raschet.tariffs.models import AccountService, Norm, Service, Tariff
from raschet.tariffs.services import services_install_catalogue

# A valid legal entity (the same details as the test factories; check digits hold).
_LEGAL = {
    "inn": "7707083893",
    "kpp": "770701001",
    "ogrn": "1027700132195",
    "bic": "044525225",
    "settlement_account": "40702810938000000001",
    "correspondent_account": "30101810400000000225",
}
_RATE_BASIS_BY_UNIT = {"m2": "per_m2", "person": "per_person", "flat": "per_premises"}
READING_DAY = 20  # readings are dated the 20th: inside the default window (cut-off the 25th)


def _message(exc: ValidationError, model: type[models.Model]) -> str:
    if not hasattr(exc, "error_dict"):
        return "; ".join(str(m) for m in exc.messages)
    parts = []
    for name, errors in exc.message_dict.items():
        try:
            label = str(getattr(model._meta.get_field(name), "verbose_name", ""))
        except Exception:  # NON_FIELD_ERRORS is not a field
            label = ""
        text = "; ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


def _save(obj: models.Model, where: Where | None, *, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ScenarioError(where, _message(exc, type(obj))) from exc
    obj.save()


def _person(org: Organization, name: str) -> Person:
    parts = name.split()
    return Person(
        organization=org,
        last_name=parts[0],
        first_name=parts[1] if len(parts) > 1 else "—",
        middle_name=" ".join(parts[2:]),
    )


class _Loader:
    def __init__(self, scenario: Scenario, org: Organization) -> None:
        self.s = scenario
        self.org = org
        self.services: dict[str, Service] = {}
        self.buildings: dict[str, Building] = {}
        self.accounts: dict[str, Account] = {}
        self.account_defs: dict[str, AccountDef] = {}
        self.categories: dict[str, BenefitCategory] = {}

    def run(self) -> None:
        self.services = {s.code: s for s in services_install_catalogue(organization=self.org)}
        for c in self.s.benefit_categories:
            cat = BenefitCategory(
                organization=self.org,
                code=c.code,
                name=c.name,
                percent=c.percent,
                covers=c.covers,
                service_bases=dict(c.services),
                model=c.model,
            )
            _save(cat, c.where)
            self.categories[c.code] = cat
        for b in self.s.buildings:
            self._building(b)
        self._rates(self.s.services)
        for b in self.s.buildings:
            for act in b.quality_acts:
                self._quality(act, building=self.buildings[b.id], account=None)
            for ex in b.exemptions:
                self._exemption(ex, self.buildings[b.id])

    # -- housing stock -----------------------------------------------------------------

    def _building(self, b: Any) -> None:
        residential = sum((p.area_m2 for p in b.premises if p.kind == "residential"), Decimal(0))
        non_residential = sum(
            (p.area_m2 for p in b.premises if p.kind != "residential"), Decimal(0)
        )
        total = b.area_total_m2 if b.area_total_m2 is not None else residential + non_residential
        building = Building(
            organization=self.org,
            address=b.address,
            area_total_m2=total,
            area_residential_m2=residential,
            area_non_residential_m2=non_residential,
            area_common_m2=b.area_common_m2,
            heating_mode=b.heating_mode,
            heating_season_months=b.heating_season_months,
            common_property_mode=b.common_property,
            electricity_two_sources=b.electricity_two_sources,
        )
        _save(building, b.where)
        self.buildings[b.id] = building
        for bm in b.building_meters:
            first = min((m for m, _ in bm.volumes), default=self.s.periods[0])
            meter = BuildingMeter(
                organization=self.org,
                building=building,
                service=self.services[bm.service],
                serial_number=bm.serial,
                installed_on=date(first.year - 1, 1, 1),
            )
            _save(meter, bm.where)
            for month, volume in bm.volumes:
                _save(
                    BuildingMeterReading(
                        organization=self.org,
                        building_meter=meter,
                        period=month,
                        volume=volume,
                        source=ReadingSource.OPERATOR,
                    ),
                    bm.where,
                )
        for p in b.premises:
            premises = Premises(
                organization=self.org,
                building=building,
                number=p.number,
                kind=p.kind,
                area_total_m2=p.area_m2,
                rooms=p.rooms,
                is_communal_flat=p.communal,
                individual_heating_from=p.individual_heating_from,
            )
            _save(premises, p.where)
            for a in p.accounts:
                self._account(a, premises)

    def _account(self, a: AccountDef, premises: Premises) -> None:
        account = Account(
            organization=self.org,
            number=a.number,
            premises=premises,
            opened_on=a.opened,
            closed_on=a.closed,
            payer_name=a.payer,
            area_m2=a.area_m2,
            living_area_m2=a.living_area_m2,
        )
        _save(account, a.where)
        self.accounts[a.number] = account
        self.account_defs[a.number] = a
        self._owners(account, a.owners, a.where)
        self._residents(account, a.residents)
        metered = {m.service for m in a.meters}
        for svc in a.services:
            method = svc.method
            if method is None:
                if svc.service == "wastewater":
                    has_water = metered & {"cold_water", "hot_water"}
                    method = "meter" if has_water else "norm"
                else:
                    method = "meter" if svc.service in metered else "norm"
            zones = svc.zones or max(
                (len(m.zones) for m in a.meters if m.service == svc.service), default=1
            )
            _save(
                AccountService(
                    organization=self.org,
                    account=account,
                    service=self.services[svc.service],
                    method=method,
                    meter_possible=svc.meter_possible,
                    zones=zones,
                    valid_from=svc.valid_from or a.opened,
                    valid_to=svc.valid_to,
                ),
                svc.where,
            )
        for m in a.meters:
            self._meter(account, premises, m)
        for absence in a.absences:
            self._absence(account, absence)
        for act in a.quality_acts:
            self._quality(act, building=premises.building, account=account)

    def _owners(self, account: Account, count: int, where: Where) -> None:
        for i in range(count):
            person = _person(self.org, f"Собственник {i + 1} {account.number}")
            _save(person, where)
            _save(
                Ownership(
                    organization=self.org,
                    premises=account.premises,
                    person=person,
                    share_numerator=1,
                    share_denominator=count,
                    valid_from=account.opened_on,
                ),
                where,
            )

    def _residents(self, account: Account, residents: tuple[ResidentDef, ...]) -> None:
        for r in residents:
            person = _person(self.org, r.name)
            _save(person, r.where)
            start = r.valid_from or account.opened_on
            _save(
                Registration(
                    organization=self.org,
                    account=account,
                    person=person,
                    kind=r.kind,
                    valid_from=start,
                    valid_to=r.valid_to,
                ),
                r.where,
            )
            for right in r.benefits:
                _save(
                    PersonBenefit(
                        organization=self.org,
                        person=person,
                        category=self.categories[right.category],
                        valid_from=right.valid_from or start,
                        valid_to=right.valid_to,
                    ),
                    right.where,
                )

    def _meter(self, account: Account, premises: Premises, m: Any) -> None:
        first = m.readings[0].period
        meter = Meter(
            organization=self.org,
            premises=premises,
            service=self.services[m.service],
            serial_number=m.serial,
            zones=len(m.zones),
            integer_digits=12,
            installed_on=m.installed or first,
            verification_due=m.verification_due,
        )
        _save(meter, m.where)
        previous: dict[str, Decimal] = {}
        for i, r in enumerate(m.readings):
            for zone, value in r.values:
                initial = i == 0
                reading = Reading(
                    organization_id=self.org.pk,
                    meter=meter,
                    zone=zone,
                    period=r.period,
                    kind=ReadingKind.INITIAL if initial else ReadingKind.REGULAR,
                    value=value,
                    volume=None if initial else value - previous[zone],
                    taken_on=max(r.period.replace(day=READING_DAY), meter.installed_on),
                    source=ReadingSource.OPERATOR,
                )
                _save(reading, r.where, exclude=["organization"])
                previous[zone] = value
        states = list(m.states)
        if m.verification_due is not None and not any(
            s.since == m.verification_due for s in states
        ):
            states.append(StateDef(m.where, "verification_expired", m.verification_due))
        for s in states:
            if s.state not in MeterState.values:
                raise ScenarioError(
                    s.where,
                    f"состояние счётчика «{s.state}» пока не поддерживается "
                    "(нет такого состояния в учёте счётчиков)",
                )
            _save(
                MeterStateChange(organization=self.org, meter=meter, state=s.state, since=s.since),
                s.where,
            )

    def _absence(self, account: Account, a: AbsenceDef) -> None:
        _save(
            Absence(
                organization=self.org,
                account=account,
                persons=a.persons,
                left_on=a.left,
                returned_on=a.returned,
                applied_on=a.applied or a.returned,
            ),
            a.where,
        )

    def _quality(self, act: QualityActDef, *, building: Building, account: Account | None) -> None:
        _save(
            QualityAct(
                organization=self.org,
                building=building,
                account=account,
                service=self.services[act.service],
                period=act.period,
                kind=act.kind,
                events_hours=list(act.events_hours),
                hours=act.hours if act.kind != "interruption" else sum(act.events_hours),
                degrees=act.degrees,
                temperature_c=act.temperature,
                dead_end_accident=act.dead_end_accident,
                days=act.days,
                overcharge=act.overcharge,
            ),
            act.where,
        )

    # -- tariffs and norms -------------------------------------------------------------

    def _rates(self, rates: dict[str, ServiceRates]) -> None:
        for code, r in rates.items():
            service = self.services[code]
            if r.basis is not None and r.basis != service.basis:
                service.basis = r.basis
                service.unit = {"volume": "m3", "area": "m2", "person": "person"}[r.basis]
                service.save(update_fields=["basis", "unit"])
            basis = _RATE_BASIS_BY_UNIT.get(service.unit, "per_unit")
            tariff_groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
            for t in r.tariffs:
                tariff_groups[(t.zone, t.building)].append(t)
            for rows in tariff_groups.values():
                rows.sort(key=lambda t: t.valid_from)
                for i, t in enumerate(rows):
                    end = t.valid_to
                    if end is None and i + 1 < len(rows):
                        end = rows[i + 1].valid_from
                    _save(
                        Tariff(
                            organization=self.org,
                            service=service,
                            building=self.buildings[t.building] if t.building else None,
                            zone=t.zone,
                            basis=basis,
                            rate=t.rate,
                            valid_from=t.valid_from,
                            valid_to=end,
                        ),
                        t.where,
                    )
            norm_groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
            for n in r.norms:
                norm_groups[(n.basis, n.rooms, n.residents, n.building)].append(n)
            for rows in norm_groups.values():
                rows.sort(key=lambda n: n.valid_from)
                for i, n in enumerate(rows):
                    end = n.valid_to
                    if end is None and i + 1 < len(rows):
                        end = rows[i + 1].valid_from
                    _save(
                        Norm(
                            organization=self.org,
                            service=service,
                            building=self.buildings[n.building] if n.building else None,
                            basis=n.basis,
                            rooms=n.rooms,
                            residents=n.residents,
                            value=n.value,
                            valid_from=n.valid_from,
                            valid_to=end,
                        ),
                        n.where,
                    )

    def _exemption(self, ex: ExemptionDef, building: Building) -> None:
        _save(
            CapitalRepairExemption(
                organization=self.org,
                building=building,
                reason=ex.reason,
                valid_from=ex.valid_from,
                valid_to=ex.valid_to,
                document=ex.document,
                document_date=ex.document_date,
            ),
            ex.where,
        )

    # -- changes after a closed month ----------------------------------------------------

    def apply(self, change: ChangeDef) -> None:
        for code in change.services:
            rates = change.services[code]
            if rates.tariffs:
                Tariff.objects.filter(organization=self.org, service=self.services[code]).delete()
            if rates.norms:
                Norm.objects.filter(organization=self.org, service=self.services[code]).delete()
        self._rates(change.services)
        for bc in change.buildings:
            for ex in bc.exemptions:
                self._exemption(ex, self.buildings[bc.id])
        for ac in change.accounts:
            account = self.accounts[ac.number]
            if ac.owners is not None:
                Ownership.objects.filter(premises=account.premises).delete()
                self._owners(account, ac.owners, ac.where)
            if ac.residents is not None:
                registrations = Registration.objects.filter(account=account)
                PersonBenefit.objects.filter(person__in=registrations.values("person")).delete()
                registrations.delete()
                self._residents(account, ac.residents)
            for absence in ac.absences:
                self._absence(account, absence)
            for act in ac.quality_acts:
                self._quality(act, building=account.premises.building, account=account)


class LoadedScenario:
    """The organization a scenario was loaded into, and how to apply its later changes."""

    def __init__(self, loader: _Loader) -> None:
        self._loader = loader
        self.organization = loader.org

    @transaction.atomic
    def apply_change(self, change: ChangeDef) -> None:
        with translation.override("ru"):
            self._loader.apply(change)


def _unique_code() -> str:
    taken = set(
        Organization.objects.filter(code__startswith="scenario").values_list("code", flat=True)
    )
    n = 1
    while f"scenario{n}" in taken:
        n += 1
    return f"scenario{n}"


@transaction.atomic
def scenario_load(scenario: Scenario) -> LoadedScenario:
    """Create a fresh organization holding every fact of ``scenario``."""
    with translation.override("ru"):
        social = scenario.social_norms
        org = Organization(
            code=_unique_code(),
            kind=OrganizationKind.MANAGEMENT_COMPANY,
            name=f"Сценарий «{scenario.name}»"[:300],
            billing_settings=dict(scenario.settings),
            **_LEGAL,
        )
        if social is not None:
            org.social_norm_single_m2 = social.single
            org.social_norm_two_m2 = social.two
            org.social_norm_per_person_m2 = social.per_person
        _save(org, Where(scenario.file, "settings", None))
        loader = _Loader(scenario, org)
        loader.run()
    return LoadedScenario(loader)
