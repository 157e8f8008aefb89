"""The canonical data set of rules.md §4.4 beyond the figures: the flat, the ownership
flag, the meter flag and the months in debt; and the file name pattern of Приказ 243."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from raschet.core.periods import Month
from raschet.exchange.dbf import read_dbf
from raschet.exchange.layouts import LayoutError, build_layout
from raschet.exchange.models import ExchangeLayout
from raschet.exchange.selectors import beneficiary_rows, debt_months
from raschet.exchange.services import ExchangeError, exchange_export
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.registry.models import Ownership
from raschet.tariffs.models import AccountService
from tests.exchange.conftest import JAN

pytestmark = pytest.mark.django_db
TODAY = date(2025, 2, 3)


def rows_of(stock):
    rows = beneficiary_rows(organization=stock.organization, month=Month(2025, 1))
    return {r["last_name"]: r for r in rows}


def test_flat_and_ownership_flag(billed):
    Ownership.objects.create(
        organization=billed.organization, premises=billed.account.premises,
        person=billed.veteran, valid_from=date(2001, 5, 4),
    )  # fmt: skip
    # the mother owned flat 14 until 2024: not an owner in January 2025
    Ownership.objects.create(
        organization=billed.organization, premises=billed.family_account.premises,
        person=billed.mother, valid_from=date(2010, 1, 1), valid_to=date(2024, 12, 1),
    )  # fmt: skip
    rows = rows_of(billed)
    assert (rows["Петров"]["flat"], rows["Петров"]["owner"]) == ("12", 1)
    assert (rows["Сидоров"]["flat"], rows["Сидоров"]["owner"]) == ("14", 0)


def test_meter_flag_follows_the_connected_service(billed):
    assert {r["metered"] for r in rows_of(billed).values()} == {0}  # water by the norm
    AccountService.objects.filter(account=billed.account).update(method="meter")
    rows = rows_of(billed)
    assert (rows["Петров"]["metered"], rows["Сидоров"]["metered"]) == (1, 0)


def _charge(stock, period, kopecks):
    LedgerEntry.objects.create(
        organization=stock.organization, account=stock.account,
        service=AccountService.objects.filter(account=stock.account).first().service,
        period=period, corrects_period=period, kind=EntryKind.CHARGE,
        amount_kopecks=kopecks, posted_at=datetime(period.year, period.month, 28, tzinfo=UTC),
    )  # fmt: skip


def test_months_in_debt_count_the_latest_unpaid_months_before_the_export_month(billed):
    # January: 499.11 − 124.78 benefit = 374.33 billed, 100.00 paid → 274.33 owed, not due yet
    assert rows_of(billed)["Петров"]["debt_months"] == 0
    _charge(billed, date(2024, 11, 1), 300_00)
    _charge(billed, date(2024, 12, 1), 300_00)
    # overdue 600.00 + 274.33 − 374.33 = 500.00: December (300.00) and part of November
    row = rows_of(billed)["Петров"]
    assert (row["debt"], row["debt_months"]) == (874_33, 2)
    assert rows_of(billed)["Сидоров"]["debt_months"] == 0


@pytest.mark.parametrize(
    ("overdue", "billed", "months"),
    [
        (0, [500], 0),
        (-100, [500], 0),
        (1, [500, 500], 1),
        (500, [500, 500], 1),
        (501, [500, 500], 2),
        (900, [0, 500, -20, 500], 2),  # a month with no charge or a reduction is no month
        (5000, [500, 500], 2),  # history runs out: an opening balance
    ],
)
def test_debt_months_by_hand(overdue, billed, months):
    assert debt_months(overdue, billed) == months


def test_default_dbf_carries_the_new_fields(billed):
    table = read_dbf(
        exchange_export(organization=billed.organization, period=JAN, today=TODAY).data
    )
    names = [f.name for f in table.fields]
    assert {"NKW", "SOBSTV", "IPU", "MES_DOLG"} <= set(names)
    first = next(r for _, r in table.rows())
    assert (first["NKW"], first["SOBSTV"], first["IPU"], first["MES_DOLG"]) == ("12", 0, 0, 0)


def _own_layout(org, file_name, direction="export"):
    columns = (
        [{"field": "snils", "header": "SNILS"}, {"field": "charge", "header": "SUM"}]
        if direction == "export"
        else [
            {"field": "snils", "header": "SNILS"},
            {"field": "category", "header": "KOD"},
            {"field": "action", "header": "DEIST"},
        ]
    )
    return ExchangeLayout(
        organization=org, name="pr243", direction=direction, format="dbf", encoding="cp866",
        columns=columns, file_name=file_name,
    )  # fmt: skip


def test_order_243_file_name(billed):
    """DDMMYRRR.EEE: written 03.02.2025, region 046, district 012 → 03025046.012."""
    layout = _own_layout(billed.organization, "{DD}{MM}{Y}046.{OFFICE}")
    layout.full_clean()
    layout.save()
    result = exchange_export(
        organization=billed.organization, period=JAN, layout_name="pr243", office="012",
        today=TODAY,
    )  # fmt: skip
    assert result.file_name == "03025046.012" == result.run.file_name
    assert read_dbf(result.data).updated == TODAY
    with pytest.raises(ExchangeError, match="код отдела"):
        exchange_export(
            organization=billed.organization, period=JAN, layout_name="pr243", today=TODAY
        )
    layout.file_name = "szn-{ORG}-{PERIOD}-{YYYY}.{EXT}"
    layout.save()
    result = exchange_export(
        organization=billed.organization, period=JAN, layout_name="pr243", today=TODAY
    )
    assert result.file_name == "szn-uk-exchange-2025-01-2025.dbf"


@pytest.mark.parametrize(
    ("pattern", "direction", "message"),
    [
        ("{DD}{MONTH}.dbf", "export", "неизвестные поля {MONTH}"),
        ("отчёт-{DD}.dbf", "export", "только латинские буквы"),
        ("../{DD}.dbf", "export", "только латинские буквы"),
        ("{DD}.dbf", "response", "только в макете выгрузки"),
    ],
)
def test_a_bad_file_name_pattern_is_refused(stock, pattern, direction, message):
    layout = _own_layout(stock.organization, pattern, direction)
    with pytest.raises(ValidationError) as caught:
        layout.full_clean()
    assert message in " ".join(caught.value.message_dict["file_name"])
    with pytest.raises(LayoutError, match=message.split("{")[0]):
        build_layout(
            name="x", title="x", direction=direction, format="dbf", encoding="cp866",
            delimiter=";", columns=layout.columns, file_name=pattern,
        )  # fmt: skip
