"""The passport desk's writes: register, deregister, temporary residents by act; their
refusals; the household history; and that a change in a closed month reaches billing as a
recalculation in the next run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from raschet.billing.models import ChargeLine, LineKind
from raschet.billing.services import billing_month_close, billing_run
from raschet.registry.models import Registration, RegistrationKind, Relation
from raschet.registry.selectors import household_history, resident_count
from raschet.registry.services import (
    RegistrationError,
    person_create,
    person_deregister,
    person_register,
    resident_act_register,
)
from tests.factories import (
    AccountFactory,
    AccountServiceFactory,
    NormFactory,
    PersonFactory,
    RegistrationFactory,
    ServiceFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
MAR = date(2025, 3, 1)


@pytest.fixture
def account():
    return AccountFactory()


def person_of(account, **kw):
    return PersonFactory(organization=account.organization, **kw)


# ----------------------------------------------------------------------------- register


def test_register_permanent_and_temporary_count_as_residents(account):
    a, b = person_of(account), person_of(account)
    out = person_register(
        account=account,
        person=a,
        kind=RegistrationKind.PERMANENT,
        valid_from=date(2025, 3, 10),
        relation=Relation.OWNER,
        arrived_from="г. Тверь, ул. Мира, д. 1",
        reason="собственник",
        document="заявление ф.6 от 05.03.2025",
    )
    assert out.warnings == [] and out.closed_months == []
    reg = out.obj
    assert (reg.arrived_from, reg.reason, reg.document) == (
        "г. Тверь, ул. Мира, д. 1",
        "собственник",
        "заявление ф.6 от 05.03.2025",
    )
    person_register(
        account=account,
        person=b,
        kind=RegistrationKind.TEMPORARY,
        valid_from=date(2025, 4, 1),
        valid_to=date(2025, 7, 1),
        relation=Relation.RELATIVE,
    )
    assert resident_count(account, date(2025, 3, 9)) == 0
    assert resident_count(account, date(2025, 4, 1)) == 2
    assert resident_count(account, date(2025, 7, 1)) == 1


def test_a_second_permanent_registration_elsewhere_is_refused(account):
    person = person_of(account, last_name="Петров", first_name="Пётр", middle_name="")
    person_register(account=account, person=person, kind="permanent", valid_from=JAN)
    elsewhere = AccountFactory(premises__building=account.premises.building)
    with pytest.raises(RegistrationError, match=r"уже зарегистрирован.*по месту жительства"):
        person_register(account=elsewhere, person=person, kind="permanent", valid_from=MAR)
    # a temporary stay elsewhere is allowed beside the permanent registration
    person_register(
        account=elsewhere,
        person=person,
        kind="temporary",
        valid_from=MAR,
        valid_to=date(2025, 6, 1),
    )
    # once deregistered, the new permanent registration from that day is allowed
    person_deregister(registration=Registration.objects.get(account=account), on=MAR)
    person_register(account=elsewhere, person=person, kind="permanent", valid_from=date(2025, 6, 1))
    assert Registration.objects.filter(person=person).count() == 3


def test_temporary_without_end_and_bad_dates_are_refused(account):
    person = person_of(account)
    with pytest.raises(RegistrationError, match="укажите дату окончания"):
        person_register(account=account, person=person, kind="temporary", valid_from=JAN)
    with pytest.raises(RegistrationError, match="должна быть позже"):
        person_register(
            account=account, person=person, kind="temporary", valid_from=FEB, valid_to=JAN
        )
    with pytest.raises(RegistrationError, match="Неизвестный вид"):
        person_register(account=account, person=person, kind="forever", valid_from=JAN)
    assert not Registration.objects.exists()


def test_the_same_person_twice_at_one_account_is_refused(account):
    person = person_of(account)
    person_register(account=account, person=person, kind="temporary", valid_from=JAN, valid_to=MAR)
    with pytest.raises(RegistrationError, match="Пересекается с другой записью"):
        person_register(
            account=account,
            person=person,
            kind="temporary",
            valid_from=FEB,
            valid_to=date(2025, 5, 1),
        )


def test_a_person_of_another_organization_is_refused(account):
    stranger = PersonFactory()
    with pytest.raises(RegistrationError, match="разным организациям"):
        person_register(account=account, person=stranger, kind="permanent", valid_from=JAN)


def test_deregistration_before_registration_or_after_the_end_is_refused(account):
    person = person_of(account)
    reg = person_register(account=account, person=person, kind="permanent", valid_from=FEB).obj
    with pytest.raises(RegistrationError, match=r"позже даты регистрации 01\.02\.2025"):
        person_deregister(registration=reg, on=JAN)
    with pytest.raises(RegistrationError, match="позже даты регистрации"):
        person_deregister(registration=reg, on=FEB)
    out = person_deregister(registration=reg, on=MAR, departed_to="г. Москва", reason="выбыл")
    assert out.obj.valid_to == MAR and out.obj.departed_to == "г. Москва"
    with pytest.raises(RegistrationError, match=r"уже 01\.03\.2025"):
        person_deregister(registration=reg, on=date(2025, 4, 1))


def test_resident_act_counts_and_bad_numbers_are_refused(account):
    out = resident_act_register(
        account=account,
        persons=2,
        valid_from=FEB,
        valid_to=MAR,
        act_number="7-А",
        act_date=date(2025, 1, 30),
    )
    assert out.obj.persons == 2
    assert resident_count(account, FEB) == 2
    for persons in (0, -1, 101):
        with pytest.raises(RegistrationError, match="проживающ"):
            resident_act_register(account=account, persons=persons, valid_from=FEB)
    with pytest.raises(RegistrationError, match="позже даты начала"):
        resident_act_register(account=account, persons=1, valid_from=MAR, valid_to=FEB)


def test_person_create_validates(account):
    with pytest.raises(RegistrationError, match="фамилию и имя"):
        person_create(organization_id=account.organization_id, last_name=" ", first_name="Иван")
    with pytest.raises(RegistrationError, match=r"SNILS|СНИЛС"):
        person_create(
            organization_id=account.organization_id,
            last_name="Иванов",
            first_name="Иван",
            snils="112-233-445 00",
        )
    p = person_create(
        organization_id=account.organization_id,
        last_name="Иванов",
        first_name="Иван",
        birth_date=date(1990, 1, 2),
    )
    assert p.pk and p.full_name == "Иванов Иван"


def test_household_history_is_in_date_order(account):
    a = person_of(account, last_name="Акимов", first_name="Антон", middle_name="")
    b = person_of(account, last_name="Борисова", first_name="Бэла", middle_name="")
    reg_a = person_register(account=account, person=a, kind="permanent", valid_from=FEB).obj
    person_register(
        account=account, person=b, kind="temporary", valid_from=JAN, valid_to=date(2025, 6, 1)
    )
    resident_act_register(account=account, persons=3, valid_from=MAR, valid_to=date(2025, 4, 1))
    person_deregister(registration=reg_a, on=date(2025, 5, 1), departed_to="г. Омск")
    events = household_history(account)
    assert [(e.day, e.kind) for e in events] == [
        (JAN, "registered"),
        (FEB, "registered"),
        (MAR, "act_starts"),
        (date(2025, 4, 1), "act_ends"),
        (date(2025, 5, 1), "deregistered"),
        (date(2025, 6, 1), "stay_ends"),
    ]
    assert events[0].person == "Борисова Бэла"
    assert "г. Омск" in events[4].detail


# ----------------------------------------------------------------------------- billing


@pytest.fixture
def billed():
    """An account charged cold water by the norm × residents (1 resident), January posted
    and closed."""
    acc = AccountFactory()
    org = acc.organization
    water = ServiceFactory(organization=org)
    TariffFactory(service=water, rate=Decimal("50.00"))
    NormFactory(service=water, value=Decimal("5.0"))
    AccountServiceFactory(account=acc, service=water, method="norm", meter_possible=False)
    RegistrationFactory(account=acc, valid_from=date(2020, 1, 1))
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    return acc


def _recalc(run, month):
    return ChargeLine.objects.filter(
        run_id=run.pk, corrects_period=month, kind=LineKind.RECALCULATION
    )


def test_registration_in_a_closed_month_is_recalculated_in_the_next_run(billed):
    org = billed.organization
    posted = ChargeLine.objects.get(corrects_period=JAN, kind=LineKind.CHARGE).amount
    assert posted == 25000  # 1 × 5 m³ × 50.00
    out = person_register(
        account=billed,
        person=person_of(billed),
        kind="permanent",
        valid_from=date(2025, 1, 17),  # 15 of 31 days in January
        relation=Relation.CHILD,
    )
    assert out.closed_months == [JAN]
    assert "01.2025" in out.warnings[0] and "перерасч" in out.warnings[0]
    run = billing_run(organization=org, period=FEB)
    assert run.months_recomputed == [JAN.isoformat()]
    recalc = _recalc(run, JAN).get()
    assert recalc.account_id == billed.pk
    assert recalc.amount == round(25000 * 15 / 31)  # 12097: the second person, 15 days
    assert ChargeLine.objects.get(run_id=run.pk, corrects_period=FEB).amount == 50000


def test_deregistration_in_a_closed_month_is_recalculated(billed):
    org = billed.organization
    reg = Registration.objects.get(account=billed)
    out = person_deregister(registration=reg, on=date(2025, 1, 17), reason="выбыл")
    assert out.closed_months == [JAN]
    run = billing_run(organization=org, period=FEB)
    recalc = _recalc(run, JAN).get()
    # nobody lives there from 17 January and there are no owners: the norm has no persons
    assert recalc.amount < 0


def test_retroactive_deregistration_over_two_closed_months_recalculates_both(billed):
    """The history record of a deregistration carries only the new range [from, 17.01);
    February, in which the person counted before, must be recalculated too."""
    org = billed.organization
    billing_run(organization=org, period=FEB)
    billing_month_close(organization=org, period=FEB)
    reg = Registration.objects.get(account=billed)
    out = person_deregister(registration=reg, on=date(2025, 1, 17))
    assert out.closed_months == [JAN, FEB]
    run = billing_run(organization=org, period=MAR)
    assert sorted(run.months_recomputed) == [JAN.isoformat(), FEB.isoformat()]
    assert _recalc(run, FEB).get().amount == -25000
