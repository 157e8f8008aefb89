"""`demo_build`: exact size, determinism, realism rules and valid rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.db import connection

from raschet.demo import orgs
from raschet.demo.services import (
    DEMO_HASH_ITERATIONS,
    demo_build,
    demo_exists,
    demo_logins,
)
from raschet.demo.stock import AS_OF, MAX_FLATS, MIN_FLATS
from raschet.housing.models import Account, Building, Premises, PremisesKind
from raschet.organizations.models import Membership, Organization, OrganizationKind, Role
from raschet.registry.models import (
    BenefitCategory,
    Ownership,
    Person,
    PersonBenefit,
    Registration,
    RegistrationKind,
    TemporaryResidentAct,
)
from raschet.registry.selectors import resident_counts
from raschet.tariffs.models import AccountService, Method, Norm, ServiceContract, Tariff
from tests.factories import BuildingFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

N = 150
SAMPLE = 80


def _digest() -> str:
    """A hash of the main tables by natural keys (never by ids)."""
    tables = {
        "organizations": Organization.objects.values_list(
            "code", "name", "inn", "kpp", "ogrn", "bic", "settlement_account", "color_primary"
        ),
        "buildings": Building.objects.values_list(
            "organization__code",
            "address",
            "fias_guid",
            "year_built",
            "floors",
            "entrances",
            "area_total_m2",
            "area_common_m2",
            "heating_mode",
        ),
        "premises": Premises.objects.values_list(
            "building__address", "number", "kind", "area_total_m2", "rooms", "is_communal_flat"
        ),
        "accounts": Account.objects.values_list(
            "organization__code",
            "number",
            "premises__building__address",
            "premises__number",
            "payer_name",
            "tenure",
            "area_m2",
            "opened_on",
        ),
        "persons": Person.objects.values_list(
            "organization__code", "last_name", "first_name", "middle_name", "birth_date", "snils"
        ),
        "registrations": Registration.objects.values_list(
            "account__number",
            "person__last_name",
            "person__first_name",
            "person__birth_date",
            "kind",
            "relation",
            "valid_from",
            "valid_to",
        ),
        "ownerships": Ownership.objects.values_list(
            "premises__building__address",
            "premises__number",
            "person__last_name",
            "person__birth_date",
            "share_numerator",
            "share_denominator",
            "valid_from",
        ),
        "account_services": AccountService.objects.values_list(
            "organization__code",
            "account__number",
            "service__code",
            "method",
            "meter_possible",
            "zones",
            "valid_from",
        ),
        "tariffs": Tariff.objects.values_list(
            "organization__code",
            "service__code",
            "building__address",
            "zone",
            "rate",
            "valid_from",
            "valid_to",
        ),
        "benefits": PersonBenefit.objects.values_list(
            "person__last_name", "person__birth_date", "category__code", "valid_from"
        ),
    }
    sha = hashlib.sha256()
    for name, rows in tables.items():
        sha.update(name.encode())
        for row in sorted(repr(r) for r in rows):
            sha.update(row.encode())
    return sha.hexdigest()


def _managers() -> list[Organization]:
    return list(Organization.objects.filter(code__in=orgs.MANAGERS))


@pytest.mark.parametrize("accounts", [1, 37, N])
def test_builds_exactly_the_requested_number_of_accounts(accounts):
    result = demo_build(accounts=accounts, seed=1)
    assert Account.objects.count() == accounts
    assert result.accounts == accounts
    assert result.buildings == Building.objects.count()
    assert result.persons == Person.objects.count()
    assert f"{Building.objects.count()} дом" in result.summary


def test_zero_or_negative_accounts_are_refused():
    with pytest.raises(ValueError, match="больше нуля"):
        demo_build(accounts=0, seed=1)
    assert not demo_exists()


def test_same_seed_gives_the_same_data_and_another_seed_does_not():
    demo_build(accounts=N, seed=11)
    first = _digest()
    demo_build(accounts=N, seed=11)
    assert _digest() == first
    assert Account.objects.count() == N  # the rebuild replaced the data, not doubled it
    demo_build(accounts=N, seed=12)
    assert _digest() != first


def test_rebuild_keeps_other_organizations_data():
    other = OrganizationFactory(code="real-uk")
    BuildingFactory(organization=other, address="г. Тверь, ул. Чужая, д. 1")
    assert not demo_exists()
    demo_build(accounts=40, seed=1)
    assert demo_exists()
    demo_build(accounts=40, seed=2)
    assert Building.objects.filter(organization=other).count() == 1
    assert Account.objects.count() == 40
    connection.check_constraints()


def test_buildings_have_20_to_300_flats_except_the_cut_last_one():
    demo_build(accounts=1200, seed=3)
    flats = Counter(
        Premises.objects.filter(kind=PremisesKind.RESIDENTIAL).values_list("building_id", flat=True)
    )
    ids = sorted(Building.objects.values_list("pk", flat=True))
    assert len(ids) >= 4
    for building_id in ids[:-1]:
        assert MIN_FLATS <= flats[building_id] <= MAX_FLATS, building_id
    assert 1 <= flats[ids[-1]] <= MAX_FLATS
    assert {b.floors for b in Building.objects.all()} <= {5, 9, 12, 16}
    assert Premises.objects.filter(is_communal_flat=True).exists()
    assert Premises.objects.filter(kind=PremisesKind.NON_RESIDENTIAL).exists()
    gas = Building.objects.filter(premises__accounts__services__service__code="gas").distinct()
    assert gas.exists()
    assert all(b.year_built < 1990 and b.floors <= 9 for b in gas)


def test_building_areas_add_up():
    demo_build(accounts=N, seed=4)
    for building in Building.objects.all():
        premises = list(building.premises.all())
        residential = sum(
            (p.area_total_m2 for p in premises if p.kind == PremisesKind.RESIDENTIAL), Decimal(0)
        )
        other = sum(
            (p.area_total_m2 for p in premises if p.kind != PremisesKind.RESIDENTIAL), Decimal(0)
        )
        assert building.area_residential_m2 == residential
        assert building.area_non_residential_m2 == other
        assert building.area_total_m2 == residential + other
        assert (
            Decimal("0.15") <= building.area_common_m2 / building.area_total_m2 <= Decimal("0.20")
        )
        assert building.address.startswith("г. Тверь, ")
    for premises in Premises.objects.filter(is_communal_flat=True):
        areas = [a.area_m2 for a in premises.accounts.all()]
        assert len(areas) >= 2 and None not in areas
        assert sum(areas) == premises.area_total_m2


def test_every_row_passes_full_clean():
    demo_build(accounts=60, seed=5)
    models = (
        Organization,
        Building,
        Premises,
        Account,
        Person,
        Ownership,
        Registration,
        TemporaryResidentAct,
        BenefitCategory,
        PersonBenefit,
        ServiceContract,
        Tariff,
        Norm,
        AccountService,
    )
    for model in models:
        rows = list(model.objects.order_by("pk"))
        rows = rows[:: max(1, len(rows) // SAMPLE)]  # a spread sample: full_clean queries
        assert rows or model is TemporaryResidentAct, model
        for row in rows:
            row.full_clean()
    connection.check_constraints()


def test_organizations_are_complete_and_valid():
    demo_build(accounts=20, seed=1)
    by_code = {o.code: o for o in Organization.objects.all()}
    for organization in by_code.values():
        organization.full_clean()
        assert organization.settlement_account and organization.correspondent_account
    kinds = Counter(o.kind for o in by_code.values())
    assert kinds[OrganizationKind.BILLING_CENTRE] == 1
    assert kinds[OrganizationKind.MANAGEMENT_COMPANY] == 2
    assert kinds[OrganizationKind.HOMEOWNERS_ASSOCIATION] == 1
    assert kinds[OrganizationKind.SUPPLIER] >= 4
    assert kinds[OrganizationKind.CAPITAL_REPAIR_OPERATOR] == 1
    centre = by_code[orgs.RC]
    for code in orgs.MANAGERS:
        assert by_code[code].served_by == centre
    colours = {by_code[c].color_primary for c in orgs.MANAGERS}
    assert len(colours) == len(orgs.MANAGERS)


def test_all_tariffs_and_norms_are_clean_and_change_on_the_right_dates():
    demo_build(accounts=N, seed=6)
    for row in [*Tariff.objects.all(), *Norm.objects.all()]:
        row.full_clean()  # includes the overlap check
    starts = set(Tariff.objects.values_list("valid_from", flat=True))
    assert {date(2025, 7, 1), date(2026, 1, 1)} <= starts
    cold = Tariff.objects.get(
        organization__code=orgs.UK_MAIN,
        service__code="cold_water",
        valid_from=date(2025, 7, 1),
    )
    assert cold.rate == Decimal("50.93")
    assert cold.valid_to == date(2026, 1, 1)
    maintenance = Tariff.objects.filter(service__code="maintenance", valid_to__isnull=True)
    assert maintenance.count() == Building.objects.count()
    assert all(Decimal(25) <= t.rate <= Decimal(41) for t in maintenance)
    zones = set(Tariff.objects.filter(service__code="electricity").values_list("zone", flat=True))
    assert zones == {"single", "day", "night", "peak", "semi_peak"}
    electricity_norms = Norm.objects.filter(
        organization__code=orgs.UK_MAIN, service__code="electricity"
    )
    assert electricity_norms.filter(rooms__isnull=False, residents__isnull=False).count() >= 4


def test_payees_by_service():
    demo_build(accounts=N, seed=7)
    payees = defaultdict(set)
    for service, payee in ServiceContract.objects.values_list("service__code", "payee__code"):
        payees[service].add(payee)
    assert payees["cold_water"] == {orgs.VODOKANAL}
    assert payees["heating"] == {orgs.TEPLOSET}
    assert payees["hot_water"] == {orgs.TEPLOSET}
    assert payees["electricity"] == {orgs.ENERGOSBYT}
    assert payees["solid_waste"] == {orgs.TKO}
    assert payees["capital_repair"] == {orgs.FUND}
    assert payees["maintenance"] <= set(orgs.MANAGERS)
    for contract in ServiceContract.objects.filter(service__code__startswith="common_"):
        assert contract.payee_id == contract.organization_id


def test_metering_mix():
    demo_build(accounts=300, seed=8)
    water = AccountService.objects.filter(service__code="cold_water")
    metered = water.filter(method=Method.METER).count()
    assert 0.75 <= metered / water.count() <= 0.95
    assert water.filter(method=Method.NORM, meter_possible=False).exists()
    assert water.filter(method=Method.NORM, meter_possible=True).exists()
    power = AccountService.objects.filter(service__code="electricity")
    assert power.filter(zones=2).exists() and power.filter(zones=3).exists()
    assert not power.filter(method=Method.NORM, zones__gt=1).exists()
    every = {"maintenance", "capital_repair", "heating", "common_cold_water"}
    for account in Account.objects.filter(premises__kind=PremisesKind.RESIDENTIAL)[:50]:
        codes = set(account.services.values_list("service__code", flat=True))
        assert every | {"solid_waste"} <= codes


def test_people_registrations_and_benefits():
    demo_build(accounts=N, seed=9)
    persons = Person.objects.count()
    holders = PersonBenefit.objects.values("person").distinct().count()
    assert 0.01 <= holders / persons <= 0.12
    assert Registration.objects.filter(kind=RegistrationKind.PERMANENT).count() > N
    assert Registration.objects.filter(
        kind=RegistrationKind.PERMANENT, valid_to__isnull=False
    ).exists()
    female = Person.objects.filter(middle_name__endswith="на")
    assert female.exists()
    assert not female.filter(last_name__endswith="ов").exists()
    assert Ownership.objects.filter(share_denominator=2).exists()
    for account in Account.objects.prefetch_related("registrations__person"):
        names = [r.person.full_name for r in account.registrations.all()]
        assert len(names) == len(set(names)), account.number
    assert Account.objects.filter(tenure="social_tenant").exists()
    living = 0
    for manager in _managers():
        counts = resident_counts(organization_id=manager.pk, on=AS_OF)
        living += sum(1 for n in counts.values() if n > 0)
    assert living / N >= 0.85


class DemoCostHasher(PBKDF2PasswordHasher):
    """The demo's hash cost as the preferred one, so a login does not re-hash at full cost
    (a second per user, which this test does not need to measure)."""

    iterations = DEMO_HASH_ITERATIONS


def test_logins_authenticate_with_their_roles(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.DemoCostHasher"]
    demo_build(accounts=20, seed=1)
    logins = demo_logins()
    assert {login.username for login in logins} >= {"admin", "operator", "cashier"}
    for login in logins:
        validate_password(login.password)
        user = authenticate(username=login.username, password=login.password)
        assert user is not None, login.username
        assert user.is_staff
        assert authenticate(username=login.username, password=login.password + "x") is None
    assert get_user_model().objects.get(username="admin").is_superuser
    roles = {
        (m.user.username, m.role, m.organization.code)
        for m in Membership.objects.select_related("user", "organization")
    }
    assert {r for _, r, _ in roles} == set(Role.values)
    assert ("operator", Role.OPERATOR, orgs.RC) in roles
    assert ("cashier", Role.CASHIER, orgs.UK_MAIN) in roles


def test_metered_flats_have_meters_and_a_readings_history():
    from django.db.models import Count

    from raschet.core.readings import reading_volume
    from raschet.metering.models import Meter, Reading, ReadingKind, ReadingState

    demo_build(accounts=300, seed=8)
    metered = AccountService.objects.filter(
        service__code__in=["cold_water", "hot_water", "electricity"], method=Method.METER
    )
    premises_services = set(metered.values_list("account__premises_id", "service_id"))
    meters = set(Meter.objects.values_list("premises_id", "service_id"))
    assert premises_services and premises_services <= meters
    assert Meter.objects.filter(zones=2).exists()
    # each meter zone: one initial reading and up to seven monthly ones, rising
    for meter in Meter.objects.order_by("pk")[:40]:
        for zone in meter.zone_codes:
            chain = list(Reading.objects.filter(meter=meter, zone=zone).order_by("period", "kind"))
            assert chain[0].kind == ReadingKind.INITIAL
            for before, after in pairwise(chain):
                check = reading_volume(
                    previous=before.value,
                    current=after.value,
                    integer_digits=meter.integer_digits,
                    average=None,
                )
                assert check.status.accepted and after.volume == after.value - before.value
    last = Reading.objects.filter(period="2026-09-01", kind=ReadingKind.REGULAR)
    missing = Meter.objects.exclude(pk__in=last.values("meter_id")).count()
    assert 0 < missing < Meter.objects.count() * 0.2
    assert Reading.objects.filter(state=ReadingState.FLAGGED).exists()
    per_meter = Reading.objects.values("meter_id", "zone").annotate(n=Count("id"))
    assert max(r["n"] for r in per_meter) == 8


def test_demo_takes_payments_through_the_registry_import():
    from django.db.models import Sum

    from raschet.ledger.models import EntryKind, LedgerEntry
    from raschet.payments.models import ImportState, Payment, PaymentState, RegistryImport

    demo_build(accounts=N, seed=6, today=date(2026, 11, 20))
    assert RegistryImport.objects.filter(state=ImportState.ACCEPTED).count() >= 2
    posted = Payment.objects.filter(state=PaymentState.POSTED)
    assert posted.count() > N  # two months of payments, most accounts pay
    paid = posted.aggregate(t=Sum("amount_kopecks"))["t"]
    allocated = LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).aggregate(
        t=Sum("amount_kopecks")
    )["t"]
    assert -allocated == paid
    # the payments of October were posted into October and closed with it
    assert posted.filter(posted_period=date(2026, 10, 1)).exists()


def test_the_demo_has_appeals_in_every_state_and_a_draft_act_and_a_rebuild_replaces_them():
    from raschet.appeals.models import Appeal, AppealState
    from raschet.billing.models import ActState, QualityAct

    demo_build(accounts=N, seed=1)
    states = set(Appeal.objects.values_list("state", flat=True))
    assert states == {AppealState.NEW, AppealState.IN_WORK, AppealState.ANSWERED}
    drafts = QualityAct.objects.filter(state=ActState.DRAFT, appeals__category="quality")
    assert drafts.exists()
    count = Appeal.objects.count()
    demo_build(accounts=N, seed=1)
    assert Appeal.objects.count() == count
    connection.check_constraints()
