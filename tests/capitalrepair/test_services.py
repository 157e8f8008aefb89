"""Fund settings from a date and payments from the fund: what is accepted, what is refused
with a message naming the field, and what the database forbids by itself."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from raschet.capitalrepair.models import CapitalRepairFund, FundModel, FundSpending
from raschet.capitalrepair.selectors import fund_in_force, fund_warnings
from raschet.capitalrepair.services import FundError, fund_set, spending_record
from raschet.housing.models import BuildingWork, WorkKind
from raschet.organizations.models import OrganizationKind
from raschet.tariffs.models import ServiceContract
from tests.capitalrepair.conftest import BIC, CORRESPONDENT, SPECIAL_ACCOUNT, Fund
from tests.factories import BuildingFactory, OrganizationFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SWITCH = date(2026, 7, 1)


def special(fund: Fund, **overrides):
    owner = overrides.pop("account_owner", fund.org)
    params = {
        "building": fund.building, "fund_model": FundModel.SPECIAL_ACCOUNT,
        "service": fund.repair, "payee": owner, "valid_from": SWITCH,
        "account_owner": owner, "bank_name": "ПАО Сбербанк", "bic": BIC,
        "special_account": SPECIAL_ACCOUNT, "correspondent_account": CORRESPONDENT,
        "decision": "протокол ОСС № 3 от 10.03.2026",
    }  # fmt: skip
    params.update(overrides)
    return fund_set(**params)


def test_a_new_fund_model_closes_the_one_in_force(fund):
    new = special(fund)
    old = CapitalRepairFund.objects.get(building=fund.building, valid_from=date(2014, 1, 1))
    assert old.valid_to == SWITCH
    assert fund_in_force(building=fund.building, on=date(2026, 6, 30)) == old
    assert fund_in_force(building=fund.building, on=SWITCH) == new


def test_settings_cannot_start_before_or_on_the_latest(fund):
    special(fund)
    with pytest.raises(FundError, match="valid_from"):
        special(fund, valid_from=SWITCH)
    with pytest.raises(FundError, match="valid_from"):
        special(fund, valid_from=date(2020, 1, 1))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"special_account": ""}, "special_account"),
        ({"bic": ""}, "bic"),
        ({"special_account": "40604810000000000010"}, "special_account"),  # bad control key
        ({"special_account": "4060481000000000001"}, "special_account"),  # 19 digits
        ({"bic": "04452522X"}, "bic"),
    ],
)
def test_a_special_account_needs_valid_bank_details(fund, overrides, field):
    with pytest.raises(FundError, match=field):
        special(fund, **overrides)
    assert not CapitalRepairFund.objects.filter(valid_from=SWITCH).exists()
    # nothing half-written: the fund in force is not closed either
    assert CapitalRepairFund.objects.get(building=fund.building).valid_to is None


def test_a_special_account_needs_an_owner_who_may_own_one(fund):
    supplier = OrganizationFactory(code="vodokanal", kind=OrganizationKind.SUPPLIER)
    with pytest.raises(FundError, match="account_owner"):
        special(fund, account_owner=supplier)
    with pytest.raises(FundError, match="account_owner"):
        special(fund, account_owner=None, payee=fund.org)


def test_the_common_account_is_the_regional_operators(fund):
    bare = BuildingFactory(organization=fund.org)
    with pytest.raises(FundError, match="payee"):
        fund_set(
            building=bare, fund_model=FundModel.REGIONAL_POOL, service=fund.repair,
            payee=fund.org, valid_from=SWITCH,
        )  # fmt: skip
    with pytest.raises(FundError, match="special_account"):
        fund_set(
            building=bare, fund_model=FundModel.REGIONAL_POOL, service=fund.repair,
            payee=fund.operator, valid_from=SWITCH, special_account=SPECIAL_ACCOUNT,
        )  # fmt: skip


def test_a_service_of_another_organization_is_refused(fund):
    foreign_service = ServiceFactory(organization=fund.foreign.organization, code="capital_repair")
    with pytest.raises(FundError, match="service"):
        special(fund, service=foreign_service)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints: PostgreSQL")
def test_the_database_forbids_two_funds_at_once(fund):
    current = CapitalRepairFund.objects.get(building=fund.building)
    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalRepairFund.objects.create(
            organization=fund.org, building=fund.building, fund_model=FundModel.REGIONAL_POOL,
            service=fund.repair, payee=fund.operator, valid_from=date(2020, 1, 1),
        )  # fmt: skip
    assert current.valid_to is None


def test_the_database_forbids_a_special_account_without_details(fund):
    bare = BuildingFactory(organization=fund.org)
    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalRepairFund.objects.create(
            organization=fund.org, building=bare, fund_model=FundModel.SPECIAL_ACCOUNT,
            service=fund.repair, payee=fund.org, valid_from=SWITCH,
        )  # fmt: skip


def test_spendings_are_refused_for_current_repair_without_a_fund_or_non_positive(fund):
    current = BuildingWork.objects.create(
        organization=fund.org, building=fund.building, title="Покраска подъезда",
        kind=WorkKind.CURRENT, planned_year=2026,
    )  # fmt: skip
    with pytest.raises(FundError, match="work"):
        spending_record(work=current, paid_on=date(2026, 2, 1), amount_kopecks=100)
    for amount in (0, -100):
        with pytest.raises(FundError, match="amount_kopecks"):
            spending_record(work=fund.work, paid_on=date(2026, 2, 1), amount_kopecks=amount)
    with pytest.raises(FundError, match="amount_kopecks"):
        spending_record(work=fund.work, paid_on=date(2026, 2, 1), amount_kopecks=1.5)  # type: ignore[arg-type]
    with pytest.raises(FundError, match="paid_on"):
        spending_record(work=fund.work, paid_on=date(2013, 12, 31), amount_kopecks=100)
    assert FundSpending.objects.filter(work=fund.work).count() == 3


def test_the_database_forbids_a_non_positive_spending(fund):
    with pytest.raises(IntegrityError), transaction.atomic():
        FundSpending.objects.create(
            organization=fund.org, work=fund.work, paid_on=date(2026, 2, 1), amount_kopecks=0
        )


def test_warnings_name_a_contract_with_another_payee(fund):
    on = date(2026, 2, 1)
    current = fund_in_force(building=fund.building, on=on)
    assert current is not None
    # no contract: the ЕПД would bill the contribution in the organization's own name
    assert any("Нет договора" in w for w in fund_warnings(fund=current, on=on))
    ServiceContract.objects.create(
        organization=fund.org, building=fund.building, service=fund.repair,
        payee=fund.operator, valid_from=date(2014, 1, 1),
    )  # fmt: skip
    assert fund_warnings(fund=current, on=on) == []
    new = special(fund)  # the contract still names the operator
    warnings = fund_warnings(fund=new, on=SWITCH)
    assert len(warnings) == 1 and "По договору" in warnings[0]


def test_a_special_account_cannot_pay_more_than_it_collected(fund):
    """From the switch on (July 2026) only what the residents paid into the special account
    can be spent; a loan or the operator's transfer must be marked with its source."""
    from raschet.capitalrepair.selectors import special_account_rest
    from raschet.ledger.models import EntryKind
    from tests.capitalrepair.conftest import entry

    current = special(fund)
    jul, aug = date(2026, 7, 1), date(2026, 8, 1)
    a1, a2, _a3 = fund.accounts
    entry(a1, fund.repair, jul, 600_00, payee=fund.org)
    entry(a1, fund.repair, jul, -600_00, EntryKind.PAYMENT, payee=fund.org)
    entry(a2, fund.repair, aug, -400_00, EntryKind.PAYMENT, payee=fund.org)
    # an old debt paid to the regional operator after the switch is not the account's money
    entry(a2, fund.repair, jul, -999_00, EntryKind.PAYMENT, payee=fund.operator)
    assert special_account_rest(fund=current, on=date(2026, 7, 20)) == 600_00
    assert special_account_rest(fund=current, on=date(2026, 8, 20)) == 1000_00

    spending_record(work=fund.work, paid_on=date(2026, 7, 20), amount_kopecks=500_00)
    with pytest.raises(FundError, match=r"остаток собранных взносов 100,00 ₽, платёж 101,00 ₽"):
        spending_record(work=fund.work, paid_on=date(2026, 7, 25), amount_kopecks=101_00)
    spending_record(work=fund.work, paid_on=date(2026, 8, 5), amount_kopecks=500_00)
    assert special_account_rest(fund=current, on=date(2026, 8, 5)) == 0

    with pytest.raises(FundError, match="note: для оплаты сверх собранных взносов"):
        spending_record(
            work=fund.work, paid_on=date(2026, 8, 6), amount_kopecks=5000_00, beyond_collected=True
        )
    loan = spending_record(
        work=fund.work, paid_on=date(2026, 8, 6), amount_kopecks=5000_00, beyond_collected=True,
        note="кредит ПАО Сбербанк, договор № 7",
    )  # fmt: skip
    assert loan.beyond_collected
    assert special_account_rest(fund=current, on=date(2026, 8, 6)) == -5000_00


def test_a_regional_pool_is_not_limited_by_the_building_contributions(fund):
    big = spending_record(work=fund.work, paid_on=date(2026, 2, 20), amount_kopecks=10**9)
    assert big.amount_kopecks == 10**9 and not big.beyond_collected
