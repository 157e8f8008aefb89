"""The overview of a linked account: balances per service and payee as the ledger has them,
the month's charges with «как рассчитано», recalculations with reasons, payments, and the
managing organization's branding (issue 8)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from raschet.billing.explain import explain_line
from raschet.billing.models import BillingRun, ChargeLine, LineKind, RunState
from raschet.core.billing import Method
from raschet.core.money import format_rubles
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.selectors import account_balances
from raschet.payments.models import Payment, PaymentState
from raschet.portal.selectors import account_overview
from tests.payments.conftest import FEB, JAN
from tests.payments.conftest import books as books  # the fixture

pytestmark = pytest.mark.django_db


def _lines(books, *, heat_cash: int = 0, recalc_cash: int = 0):
    """A posted run of January: the water line by meter, a heating line, and a recalculation
    of December's water in January (with an ЕДК of the heating and of the recalculation when
    given)."""
    run = BillingRun.objects.create(
        organization=books.org, period=JAN, trial=False, state=RunState.POSTED
    )
    common = {
        "organization": books.org,
        "run_id": run.pk,
        "account_id": books.account.pk,
        "period": JAN,
    }
    water = ChargeLine.objects.create(
        **common, service_id=books.water.pk, payee_id=books.vodokanal.pk,
        corrects_period=JAN, kind=LineKind.CHARGE, method=Method.METER,
        volume=19_635_000, rate=509_300, amount=1000_00,
    )  # fmt: skip
    heat = ChargeLine.objects.create(
        **common, service_id=books.heat.pk, payee_id=books.teplo.pk,
        corrects_period=JAN, kind=LineKind.CHARGE, method=Method.AREA,
        volume=1_000_000, area=5400, rate=3_000_000_0, amount=3000_00, benefit_cash=heat_cash,
    )  # fmt: skip
    recalc = ChargeLine.objects.create(
        **common, service_id=books.water.pk, payee_id=books.vodokanal.pk,
        corrects_period=date(2024, 12, 1), kind=LineKind.RECALCULATION, method=Method.METER,
        volume=-1_000_000, rate=509_300, amount=-50_93, reason="изменился объём (показания)",
        benefit_cash=recalc_cash,
    )  # fmt: skip
    return water, heat, recalc


def test_balances_match_the_ledger(books, make_resident):
    # an overpayment of heating turns it into an advance
    books.charge(books.account, books.heat, FEB, -7000_00, kind=EntryKind.PAYMENT)
    client = make_resident("r@example.ru", books.account)
    response = client.get(f"/portal/accounts/{books.account.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    balances = account_balances(account=books.account)
    assert {b.balance for b in balances} == {2000_00, -1000_00}  # water debt, heat advance
    shown = response.context["overview"].balances
    assert shown == balances
    for b in balances:
        assert f'data-kopecks="{b.balance}">{format_rubles(abs(b.balance))}' in html
        assert b.payee in html and b.service in html
    total = sum(b.balance for b in balances)
    assert f'id="balance-total" data-kopecks="{total}"' in html
    assert 'class="debt"' in html and 'class="advance"' in html


def test_charges_of_a_chosen_month_with_their_derivation(books, make_resident):
    water, heat, _recalc = _lines(books)
    client = make_resident("r@example.ru", books.account)
    response = client.get(f"/portal/accounts/{books.account.pk}/", {"month": "2025-01"})
    html = response.content.decode()
    overview = response.context["overview"]
    assert overview.month == JAN
    assert [line.pk for line in overview.charges] == [water.pk, heat.pk]
    derivation = explain_line(water, unit=books.water.get_unit_display(), service=books.water.name)
    assert "тариф 50,93 ₽" in derivation
    assert derivation in html  # «как рассчитано» of the line, as billing explains it
    assert 'id="charges-total">4\xa0000,00 ₽' in html
    # the recalculation with its reason and signed amount
    assert [r.reason for r in overview.recalculations] == ["изменился объём (показания)"]
    assert overview.recalculations[0].corrects_period == date(2024, 12, 1)
    assert "изменился объём (показания)" in html and "-50,93 ₽" in html
    # the month selector offers the months with entries; February has no lines
    assert overview.months == [FEB, JAN]
    february = client.get(f"/portal/accounts/{books.account.pk}/").context["overview"]
    assert february.month == FEB and february.charges == []


def test_a_month_that_is_not_a_month_falls_back_to_the_latest(books, make_resident):
    client = make_resident("r@example.ru", books.account)
    for bad in ("2025-13", "январь", "2025-1", "0000-01"):
        response = client.get(f"/portal/accounts/{books.account.pk}/", {"month": bad})
        assert response.status_code == 200 and response.context["overview"].month == FEB


def test_operator_recalculations_show_their_note(books, make_resident):
    LedgerEntry.objects.create(
        organization=books.org, account=books.account, service=books.water,
        payee=books.vodokanal, period=FEB, corrects_period=JAN, kind=EntryKind.RECALCULATION,
        amount_kopecks=-120_00, note="акт № 5 о недопоставке", posted_at=timezone.now(),
    )  # fmt: skip
    overview = account_overview(books.account, FEB)
    assert [(r.amount, r.reason) for r in overview.recalculations] == [
        (-120_00, "акт № 5 о недопоставке")
    ]


def test_payments_are_listed_newest_first_without_other_accounts(books, make_resident):
    from tests.factories import AccountFactory

    other = AccountFactory(premises__building=books.account.premises.building)
    now = timezone.now()

    def pay(account, day, kopecks, state=PaymentState.POSTED, op=""):
        return Payment.objects.create(
            organization=books.org, source=books.bank, operation_id=op or f"{day}{kopecks}",
            paid_on=day, account=account, amount_kopecks=kopecks, state=state, created_at=now,
        )  # fmt: skip

    pay(books.account, date(2025, 2, 5), 1500_00)
    pay(books.account, date(2025, 3, 7), 2500_00)
    pay(books.account, date(2025, 3, 8), 999_99, state=PaymentState.UNIDENTIFIED)
    pay(other, date(2025, 3, 9), 777_77)
    client = make_resident("r@example.ru", books.account)
    response = client.get(f"/portal/accounts/{books.account.pk}/")
    payments = response.context["overview"].payments
    assert [(p.paid_on, p.amount_kopecks) for p in payments] == [
        (date(2025, 3, 7), 2500_00),
        (date(2025, 2, 5), 1500_00),
    ]
    html = response.content.decode()
    assert "07.03.2025" in html and "2\xa0500,00" in html and "777,77" not in html


def test_the_managing_organizations_branding_is_on_the_account_page(books, make_resident):
    books.org.brand_name = "УК «Уютный дом»"
    books.org.color_primary = "#123abc"
    books.org.phone = "+7 (4822) 00-00-00"
    books.org.save()
    client = make_resident("r@example.ru", books.account)
    html = client.get(f"/portal/accounts/{books.account.pk}/").content.decode()
    assert 'id="brand-name">УК «Уютный дом»</span>' in html
    assert "--brand: #123abc;" in html and "+7 (4822) 00-00-00" in html
    assert "portal/portal.css" in html and 'name="viewport"' in html


def test_a_colour_that_is_not_a_colour_does_not_reach_the_page(books, make_resident):
    type(books.org).objects.filter(pk=books.org.pk).update(color_primary="red;}b")
    client = make_resident("r@example.ru", books.account)
    html = client.get(f"/portal/accounts/{books.account.pk}/").content.decode()
    assert "red;}b" not in html and "--brand" not in html


def test_the_overview_reads_in_a_fixed_number_of_queries(
    books, make_resident, django_assert_max_num_queries
):
    _lines(books)
    client = make_resident("r@example.ru", books.account)
    with django_assert_max_num_queries(14):
        client.get(f"/portal/accounts/{books.account.pk}/", {"month": "2025-01"})


def test_a_cash_benefit_is_shown_for_information_and_not_taken_off(books, make_resident):
    """ЕДК (rules.md §4.2): the derivation and a note name the compensation; the month's
    total stays the whole bill."""
    _lines(books, heat_cash=-750_00, recalc_cash=-12_50)
    client = make_resident("r@example.ru", books.account)
    response = client.get(f"/portal/accounts/{books.account.pk}/", {"month": "2025-01"})
    html = response.content.decode()
    overview = response.context["overview"]
    assert (overview.cash_benefit, overview.cash_benefit_recalculated) == (750_00, 12_50)
    assert 'id="charges-total">4\xa0000,00 ₽' in html  # not 3 250,00
    assert "ЕДК (выплачивает орган соцзащиты, в счёт не входит): 750,00 ₽" in html
    note = html.split('id="cash-benefit">', 1)[1].split("</p>", 1)[0]
    assert "01.2025" in note and "750,00 ₽" in note
    assert "12,50 ₽" in html.split('id="cash-benefit-recalculated">', 1)[1].split("</p>", 1)[0]


def test_without_a_cash_benefit_there_is_no_note(books, make_resident):
    _lines(books)
    client = make_resident("r@example.ru", books.account)
    html = client.get(f"/portal/accounts/{books.account.pk}/", {"month": "2025-01"}).content
    assert b"cash-benefit" not in html
