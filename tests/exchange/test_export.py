"""The month's export: who is a beneficiary, the figures per service, the three formats,
an organization's own layout, and the log."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from raschet.core.periods import Month
from raschet.exchange.dbf import read_dbf
from raschet.exchange.layouts import BUILTIN
from raschet.exchange.models import ExchangeLayout, ExchangeRun
from raschet.exchange.selectors import beneficiary_rows
from raschet.exchange.services import ExchangeError, exchange_export
from tests.exchange.conftest import FEB, JAN
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
TODAY = date(2025, 2, 3)


def test_rows_carry_person_account_and_the_months_figures(billed):
    rows = beneficiary_rows(organization=billed.organization, month=Month(2025, 1))
    assert [(r["last_name"], r["category"]) for r in rows] == [
        ("Петров", "veteran"),
        ("Сидоров", "disabled_child"),
    ]
    veteran, child = rows
    assert veteran["snils"] == "112-233-445 95"
    assert veteran["birth_date"] == date(1950, 3, 9)
    assert veteran["address"] == "г. Тверь, ул. Советская, д. 5, кв. 12"
    assert veteran["account"] == "500012"
    assert (veteran["registered"], veteran["covered"]) == (2, 1)  # beneficiary only
    assert (child["registered"], child["covered"]) == (2, 2)  # the whole family
    assert veteran["supplier"] == "МУП «Водоканал»"
    assert (veteran["tariff"], veteran["norm"], veteran["volume"]) == (
        Decimal("50.93"),
        Decimal("4.9"),
        Decimal("9.8"),
    )
    # 2 persons × 4.9 m³ × 50.93 = 499.114 → 499.11; the veteran's half of his share 124.78
    assert (veteran["charge"], veteran["benefit"]) == (49911, 12478)
    assert (veteran["payment"], veteran["debt"]) == (10000, 49911 - 12478 - 10000)
    assert (child["charge"], child["benefit"], child["payment"]) == (49911, 24956, 0)


def test_month_not_billed_has_no_rows_and_a_person_without_benefit_is_not_listed(billed):
    assert beneficiary_rows(organization=billed.organization, month=Month(2025, 2)) == []
    names = {
        r["last_name"]
        for r in beneficiary_rows(organization=billed.organization, month=Month(2025, 1))
    }
    assert "Петрова" not in names  # the wife lives there but holds no benefit


def test_default_dbf_reads_back_with_exact_rubles_and_cp866_names(billed):
    result = exchange_export(organization=billed.organization, period=JAN, today=TODAY)
    assert result.file_name == "szn-uk-exchange-2025-01.dbf"
    assert result.data[29] == 0x65  # cp866 language driver
    assert "Петров".encode("cp866") in result.data
    table = read_dbf(result.data)
    assert table.updated == TODAY
    rows = [r for _, r in table.rows()]
    assert [f.name for f in table.fields][:5] == ["PERIOD", "FAM", "IM", "OT", "DR"]
    first = rows[0]
    assert first["FAM"] == "Петров" and first["IM"] == "Пётр"
    assert first["DR"] == date(1950, 3, 9)
    assert first["POSTUSL"] == 'МУП "Водоканал"'  # « » are not in cp866
    assert (first["SUM"], first["SUML"], first["OPL"], first["DOLG"]) == (
        Decimal("499.11"),
        Decimal("124.78"),
        Decimal("100.00"),
        Decimal("274.33"),
    )
    assert first["TARIF"] == Decimal("50.9300")
    run = ExchangeRun.objects.get(pk=result.run.pk)
    assert (run.direction, run.state, run.period, run.rows) == ("export", "done", JAN, 2)
    assert run.sha256 == hashlib.sha256(result.data).hexdigest()


def test_csv_and_xlsx_layouts(billed):
    csv_file = exchange_export(
        organization=billed.organization,
        period=JAN,
        layout_name="default-csv",
        office="U-7",
        today=TODAY,
    )
    assert csv_file.file_name == "szn-uk-exchange-2025-01-U-7.csv"
    text = csv_file.data.decode("cp1251")
    header, first = text.splitlines()[:2]
    assert header.startswith("Период (ГГГГ-ММ);Фамилия;Имя")
    # charge, benefit, benefit recalculated for earlier months, paid, debt
    # ... and the months in debt (none: January is not due yet)
    assert first.split(";")[-6:] == ["499.11", "124.78", "0.00", "100.00", "274.33", "0"]
    assert "Форма льготы (1 скидка, 2 ЕДК)" in header
    assert "09.03.1950" in first
    from openpyxl import load_workbook

    xlsx = exchange_export(
        organization=billed.organization, period=JAN, layout_name="default-xlsx", today=TODAY
    )
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    head = [c.value for c in ws[1]]
    charge = ws.cell(row=2, column=head.index("Начислено, руб.") + 1)
    assert charge.value == pytest.approx(499.11) and charge.number_format == "0.00"
    assert ws.cell(row=2, column=head.index("Фамилия") + 1).value == "Петров"


def test_an_organizations_own_layout_replaces_the_builtin_one(billed):
    org = billed.organization
    ExchangeLayout.objects.create(
        organization=org,
        name="default",
        format="csv",
        encoding="utf-8",
        delimiter="|",
        columns=[
            {"field": "snils", "header": "PFR", "type": "C", "width": 14},
            {"field": "benefit", "header": "SUML", "type": "N", "width": 10, "decimals": 2},
            {"field": "birth_date", "header": "DTR", "type": "C", "width": 10},
        ],
    )
    data = exchange_export(organization=org, period=JAN, today=TODAY).data.decode()
    assert data.splitlines()[:2] == ["PFR|SUML|DTR", "112-233-445 95|124.78|09.03.1950"]
    # another organization still gets the built-in DBF
    other = OrganizationFactory()
    assert exchange_export(organization=other, period=JAN, today=TODAY).file_name.endswith(".dbf")


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([{"field": "nope", "header": "X"}], "поле «nope» неизвестно"),
        ([{"field": "snils", "header": "TOO_LONG_NAME"}], "до 10 латинских"),
        (
            [{"field": "charge", "header": "SUM", "type": "N", "width": 12, "decimals": 3}],
            "двумя знаками",
        ),
        ([{"field": "snils", "header": "A"}, {"field": "snils", "header": "B"}], "повторяется"),
        ([], "непустой список"),
    ],
)
def test_a_broken_layout_is_refused_with_a_reason(stock, columns, message):
    layout = ExchangeLayout(
        organization=stock.organization, name="bad", format="dbf", columns=columns
    )
    with pytest.raises(ValidationError, match=message):
        layout.full_clean()


def test_unknown_layout_wrong_direction_and_bad_month_are_refused(billed):
    org = billed.organization
    with pytest.raises(ExchangeError, match="Нет макета «nope»"):
        exchange_export(organization=org, period=JAN, layout_name="nope", today=TODAY)
    with pytest.raises(ExchangeError, match="не макет выгрузки"):
        exchange_export(organization=org, period=JAN, layout_name="answer", today=TODAY)
    with pytest.raises(ExchangeError, match="первым днём"):
        exchange_export(organization=org, period=date(2025, 1, 5), today=TODAY)
    with pytest.raises(ExchangeError, match="Код отдела"):
        exchange_export(organization=org, period=JAN, office="../x", today=TODAY)
    assert not ExchangeRun.objects.exists()


def test_every_builtin_layout_is_usable():
    from raschet.exchange.layouts import builtin_layout

    for name in BUILTIN:
        assert builtin_layout(name) is not None
    assert FEB > JAN


def test_a_cash_category_exports_the_edk_it_pays_and_its_recalculation(stock):
    """rules.md §4.2: for an ЕДК category the export's benefit is the computed compensation
    (what the office pays from), the charge and the debt are the whole bill, and a changed
    ЕДК of a closed month reaches the office as the benefit recalculated in the next one."""
    from raschet.billing.models import ChargeLine
    from raschet.billing.services import billing_month_close, billing_run
    from raschet.registry.models import BenefitModel, PersonBenefit
    from tests.exchange.conftest import bill_and_pay

    type(stock.veteran_category).objects.filter(pk=stock.veteran_category.pk).update(
        model=BenefitModel.CASH
    )
    bill_and_pay(stock)
    org = stock.organization
    veteran, child = beneficiary_rows(organization=org, month=Month(2025, 1))
    assert (veteran["benefit_model"], child["benefit_model"]) == (2, 1)
    # the same 124.78 as the discount, now paid by the office: the debt keeps it
    assert (veteran["charge"], veteran["benefit"]) == (49911, 12478)
    assert (veteran["payment"], veteran["debt"]) == (10000, 49911 - 10000)
    assert (child["benefit"], child["benefit_model"]) == (24956, 1)
    result = exchange_export(organization=org, period=JAN, today=TODAY)
    first = next(r for _, r in read_dbf(result.data).rows() if r["FAM"] == "Петров")
    assert (first["VID_LG"], first["SUML"], first["DOLG"]) == (
        2,
        Decimal("124.78"),
        Decimal("399.11"),
    )

    # the wife is granted the veterans' benefit from December: January's ЕДК doubles
    billing_month_close(organization=org, period=JAN)
    PersonBenefit.objects.create(
        organization=org,
        person=stock.wife,
        category=stock.veteran_category,
        valid_from=date(2024, 12, 1),
    )
    billing_run(organization=org, period=FEB)
    recalc = ChargeLine.objects.get(account_id=stock.account.pk, corrects_period=JAN, period=FEB)
    assert (recalc.amount + recalc.reduction + recalc.benefit, recalc.benefit_cash) == (0, -12478)
    rows = beneficiary_rows(organization=org, month=Month(2025, 2))
    husband = next(r for r in rows if r["last_name"] == "Петров")
    # 499.114 × 2/2 × 50 % = 249.557 → 249.56 for February; +124.78 more for January
    assert (husband["benefit"], husband["benefit_recalculation"]) == (24956, 12478)
    assert husband["recalculation"] == 0  # the bill of January did not change
    assert husband["debt"] == 49911 * 2 - 10000
