"""Benefit categories of the ЕДК model (rules.md §4.2): computed like a discount, written on
the line as ``benefit_cash``, never posted to the ledger; a change of a closed month reaches
the recalculation line without moving the debt."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from raschet.billing.models import ChargeLine, LineKind
from raschet.billing.selectors import account_lines
from raschet.billing.services import billing_month_close, billing_run
from raschet.ledger.models import LedgerEntry
from raschet.registry.models import BenefitCategory, BenefitModel, PersonBenefit, Registration
from tests.factories import (
    AccountFactory,
    AccountServiceFactory,
    NormFactory,
    RegistrationFactory,
    ServiceFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
# 3 persons × 4.9 m³ × 50.93 ₽ = 748.671 ₽ without the coefficient part (1 123.01 with it);
# one beneficiary's share at 50 %: 748.671 / 3 × 50 % = 124.7785 → 124.78 ₽
CHARGE = 112301
ONE_SHARE = 12478


@pytest.fixture
def account():
    acc = AccountFactory()
    org = acc.organization
    water = ServiceFactory(organization=org)
    TariffFactory(service=water, rate=Decimal("50.93"))
    NormFactory(service=water, value=Decimal("4.9"))
    AccountServiceFactory(account=acc, service=water, method="norm", meter_possible=True)
    for _ in range(3):
        RegistrationFactory(account=acc)
    return acc


def _category(org, code: str, model: str) -> BenefitCategory:
    cat = BenefitCategory(
        organization=org,
        code=code,
        name=code,
        percent=Decimal("50"),
        service_bases={"cold_water": "per_person_share"},
        model=model,
    )
    cat.full_clean()
    cat.save()
    return cat


def _grant(account, category, *, person_index: int = 0, since: date = date(2020, 1, 1)):
    reg = Registration.objects.filter(account=account).order_by("pk")[person_index]
    return PersonBenefit.objects.create(
        organization=account.organization,
        person=reg.person,
        category=category,
        valid_from=since,
    )


def test_a_cash_benefit_is_on_the_line_but_not_in_the_ledger(account):
    org = account.organization
    _grant(account, _category(org, "veterans", BenefitModel.CASH))
    run = billing_run(organization=org, period=JAN)
    line = ChargeLine.objects.get(run_id=run.pk)
    assert (line.amount, line.benefit, line.benefit_cash) == (CHARGE, 0, -ONE_SHARE)
    assert line.total == CHARGE  # the citizen pays the whole bill
    entries = LedgerEntry.objects.filter(run_id=run.pk)
    assert not entries.filter(kind="benefit").exists()
    assert sum(e.amount_kopecks for e in entries) == CHARGE
    (shown,) = account_lines(account, JAN)
    assert "ЕДК (выплачивает орган соцзащиты, в счёт не входит): 124,78 ₽" in shown.explanation
    assert "льгота:" not in shown.explanation
    assert shown.explanation.endswith("итого 1\u00a0123,01 ₽")


def test_discount_and_cash_categories_on_one_account(account):
    org = account.organization
    _grant(account, _category(org, "disabled", BenefitModel.DISCOUNT), person_index=0)
    _grant(account, _category(org, "veterans", BenefitModel.CASH), person_index=1)
    run = billing_run(organization=org, period=JAN)
    line = ChargeLine.objects.get(run_id=run.pk)
    assert (line.benefit, line.benefit_cash) == (-ONE_SHARE, -ONE_SHARE)
    entries = LedgerEntry.objects.filter(run_id=run.pk)
    assert [e.amount_kopecks for e in entries.filter(kind="benefit")] == [-ONE_SHARE]
    assert sum(e.amount_kopecks for e in entries) == CHARGE - ONE_SHARE


def test_a_changed_cash_benefit_of_a_closed_month_is_recalculated_without_the_ledger(account):
    org = account.organization
    veterans = _category(org, "veterans", BenefitModel.CASH)
    _grant(account, veterans, person_index=0)
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    # the social body's answer: a second resident holds the right since December
    _grant(account, veterans, person_index=1, since=date(2024, 12, 1))
    run = billing_run(organization=org, period=FEB)
    recalc = ChargeLine.objects.get(run_id=run.pk, corrects_period=JAN)
    assert recalc.kind == LineKind.RECALCULATION
    assert (recalc.amount, recalc.reduction, recalc.benefit) == (0, 0, 0)
    # 748.671 / 3 × 2 × 50 % = 249.557 → 249.56 now, 124.78 posted
    assert recalc.benefit_cash == -24956 + ONE_SHARE
    assert "ЕДК" in recalc.reason
    feb = ChargeLine.objects.get(run_id=run.pk, corrects_period=FEB)
    assert (feb.benefit, feb.benefit_cash) == (0, -24956)
    # the debt does not move: only February's charge is posted
    entries = LedgerEntry.objects.filter(run_id=run.pk)
    assert not entries.filter(corrects_period=JAN).exists()
    assert sum(e.amount_kopecks for e in entries) == CHARGE
    shown = [x for x in account_lines(account, FEB) if x.corrects_period == JAN]
    assert "ЕДК (выплачивает орган соцзащиты, в счёт не входит): +124,78 ₽" in shown[0].explanation
    # and a run with no changed facts adds nothing
    again = billing_run(organization=org, period=FEB)
    assert ChargeLine.objects.filter(run_id=again.pk).count() == 0


def test_a_category_switched_to_cash_moves_the_amount_out_of_the_bill(account):
    """Re-billing an open month after a category became ЕДК: the discount is taken back
    (the ledger sees it) and the same amount appears as ЕДК (it does not)."""
    org = account.organization
    cat = _category(org, "veterans", BenefitModel.DISCOUNT)
    _grant(account, cat)
    billing_run(organization=org, period=JAN)
    cat.model = BenefitModel.CASH
    cat.save()
    run = billing_run(organization=org, period=JAN)
    recalc = ChargeLine.objects.get(run_id=run.pk)
    assert (recalc.benefit, recalc.benefit_cash) == (ONE_SHARE, -ONE_SHARE)
    assert [e.amount_kopecks for e in LedgerEntry.objects.filter(run_id=run.pk)] == [ONE_SHARE]


def test_an_unknown_benefit_model_is_refused(account):
    from django.core.exceptions import ValidationError

    cat = BenefitCategory(
        organization=account.organization, code="x", name="x", percent=Decimal("50"), model="gift"
    )
    with pytest.raises(ValidationError, match="gift"):
        cat.full_clean()


def test_the_model_of_a_category_with_holders_cannot_be_switched(account):
    """A switch would reach closed months recomputed later; a new category is the way."""
    from django.core.exceptions import ValidationError

    org = account.organization
    cat = _category(org, "veterans", BenefitModel.DISCOUNT)
    cat.model = BenefitModel.CASH
    cat.full_clean()  # no holders yet: a category set up wrongly may be corrected
    cat.save()
    _grant(account, cat)
    cat.model = BenefitModel.DISCOUNT
    with pytest.raises(ValidationError, match=r"cannot be changed|нельзя"):
        cat.full_clean()
    cat.refresh_from_db()
    cat.percent = Decimal("30")
    cat.full_clean()  # other fields stay editable
