"""Bad files: every problem is a row of the error table, and nothing is written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from raschet.importers.housing import ImportIssue, housing_import, render_report
from raschet.importers.housing.columns import COLUMNS
from raschet.importers.housing.values import PREMISES_AREA_MAX, CellError, parse_area
from raschet.registry.models import Registration
from tests.factories import AccountFactory, PersonFactory
from tests.importers.conftest import (
    NOTHING,
    csv_bytes,
    db_counts,
    good_rows,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db
ALL_KEYS = [c.key for c in COLUMNS]


def rejected(report) -> list[ImportIssue]:
    assert not report.ok
    assert report.errors, "a rejected file must say why"
    assert db_counts() == NOTHING, "a bad file must write nothing"
    return report.errors


def one(errors: list[ImportIssue], *, column: str, text: str) -> ImportIssue:
    found = [e for e in errors if e.column == column and text in e.message]
    assert found, f"no error for {column!r} with {text!r} in {errors}"
    return found[0]


def run_csv(org, write, rows, **kw):
    return housing_import(path=write("fond.csv", csv_bytes(rows, **kw)), organization=org)


def test_invalid_utf8_bytes_in_the_middle(org, write):
    data = csv_bytes(good_rows())
    lines = data.split(b"\n")
    lines[2] = lines[2].replace("Иванова".encode(), b"\xd0\xd0\xff")
    report = housing_import(path=write("fond.csv", b"\n".join(lines)), organization=org)
    errors = rejected(report)
    assert errors[0].row == 3 and errors[0].column == ""
    assert "UTF-8" in errors[0].message


@pytest.mark.parametrize(
    "data",
    [
        "Адрес дома;Лицевой счёт\n".encode("utf-16"),  # NUL bytes: not a text CSV
        b"",
        b"\n\n  \n",
    ],
)
def test_unreadable_or_empty_csv(org, write, data):
    errors = rejected(housing_import(path=write("fond.csv", data), organization=org))
    assert errors[0].row == 0 or errors[0].column == ""
    assert errors[0].sheet == "fond.csv"


def test_koi8_header_points_at_the_encoding(org, write):
    data = csv_bytes(good_rows()).decode().encode("koi8-r", errors="replace")
    errors = rejected(housing_import(path=write("fond.csv", data), organization=org))
    assert any("кодировк" in e.message for e in errors)


def test_header_only(org, write):
    errors = rejected(run_csv(org, write, []))
    assert "нет строк с данными" in errors[0].message


def test_missing_required_column(org, write):
    keys = [k for k in ALL_KEYS if k != "premises_area_total"]
    errors = rejected(run_csv(org, write, good_rows(), keys=keys))
    issue = one(errors, column="Площадь помещения, м²", text="нет обязательного столбца")
    assert issue.row == 1


def test_extra_unknown_column(org, write):
    rows = good_rows()
    for r in rows:
        r["Цвет подъезда"] = "зелёный"
    errors = rejected(run_csv(org, write, rows, keys=[*ALL_KEYS, "Цвет подъезда"]))
    issue = one(errors, column="Цвет подъезда", text="лишний столбец")
    assert issue.row == 1


def test_headers_match_case_and_spaces(org, write):
    data = csv_bytes(good_rows()).decode()
    data = data.replace("Лицевой счёт", "  лицевой   СЧЕТ ", 1)
    report = housing_import(path=write("fond.csv", data.encode()), organization=org)
    assert report.ok, report.errors


def test_account_number_for_two_premises(org, write):
    rows = good_rows()
    rows[2]["account_number"] = "1000001"  # flat 2 reuses flat 1's account
    errors = rejected(run_csv(org, write, rows))
    issue = one(errors, column="Лицевой счёт", text="в строке 2 относится к другому помещению")
    assert issue.row == 4 and issue.value == "1000001"


def test_same_person_twice_in_an_account(org, write):
    rows = good_rows()
    rows.append(dict(rows[1]))
    errors = rejected(run_csv(org, write, rows))
    issue = one(errors, column="ФИО", text="уже есть в строке 3")
    assert issue.row == 5


def test_conflicting_building_area_names_both_rows(org, write):
    rows = good_rows()
    rows[2]["building_area_total"] = "5500"
    errors = rejected(run_csv(org, write, rows))
    issue = one(errors, column="Площадь дома, м²", text="расходится со строкой 2")
    assert (issue.row, issue.value) == (4, "5500")


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("premises_area_total", "-54", "отрицательной"),
        ("premises_area_total", "0", "больше нуля"),
        ("premises_area_total", "250000", "больше 100 000"),
        ("premises_area_total", "54,333", "двух знаков"),
        ("premises_area_total", "сорок", "ожидается число"),
        ("premises_area_living", "60", "больше общей"),
        ("premises_area_total", "6000", "больше площади дома"),
        ("account_area", "80", "больше площади помещения"),
    ],
)
def test_bad_areas(org, write, key, value, text):
    rows = good_rows()
    rows[0][key] = value
    rows[1][key] = value
    errors = rejected(run_csv(org, write, rows))
    header = next(c.header for c in COLUMNS if c.key == key)
    issue = one(errors, column=header, text=text)
    assert issue.row == 2


def test_building_parts_exceed_total(org, write):
    rows = good_rows()
    for r in rows:
        r["building_area_non_residential"] = "900"
    errors = rejected(run_csv(org, write, rows))
    one(errors, column="Площадь дома, м²", text="меньше суммы")


def test_unknown_service(org, write):
    rows = good_rows()
    rows[2]["services"] = "cold_water; teleportation"
    errors = rejected(run_csv(org, write, rows))
    issue = one(errors, column="Услуги", text="неизвестная услуга «teleportation»")
    assert (issue.row, issue.value) == (4, "teleportation")


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("maintenance:meter", "не учитывается по прибору"),
        ("cold_water:meter:3", "тарифных зон: 1"),
        ("cold_water:сразу", "способ"),
        ("Холодная вода", "код услуги"),
        ("cold_water; cold_water", "дважды"),
    ],
)
def test_bad_service_cells(org, write, cell, text):
    rows = good_rows()
    rows[2]["services"] = cell
    one(rejected(run_csv(org, write, rows)), column="Услуги", text=text)


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("opened_on", "31.02.2025", "такой даты не существует"),
        ("opened_on", "2025-13-01", "такой даты не существует"),
        ("opened_on", "вчера", "ДД.ММ.ГГГГ"),
        ("opened_on", "01.01.1812", "вне допустимого"),
        ("birth_date", "01.01.2999", "вне допустимого"),
        ("birth_date", "01.01.2099", "в будущем"),
        ("closed_on", "01.01.2019", "позже даты открытия"),
        ("registered_from", "01.01.2000", "раньше даты рождения"),
    ],
)
def test_impossible_dates(org, write, key, value, text):
    rows = good_rows()
    rows[1][key] = value  # Мария, born 2010, flat 1
    if key in {"opened_on", "closed_on"}:
        rows[0][key] = value
    errors = rejected(run_csv(org, write, rows))
    header = next(c.header for c in COLUMNS if c.key == key)
    one(errors, column=header, text=text)


def test_temporary_registration_needs_an_end(org, write):
    rows = good_rows()
    rows[2]["registered_to"] = ""
    issue = one(rejected(run_csv(org, write, rows)), column="Регистрация до", text="временной")
    assert issue.row == 4


def test_shares_above_one(org, write):
    rows = good_rows()
    rows[1]["share"] = "1/2"  # the owner already has 1
    issue = one(rejected(run_csv(org, write, rows)), column="Доля", text="превышает 1")
    assert issue.row == 3


def test_missing_required_value_and_bad_snils(org, write):
    rows = good_rows()
    rows[2]["account_number"] = ""
    rows[0]["snils"] = "112-233-445 96"
    errors = rejected(run_csv(org, write, rows))
    assert one(errors, column="Лицевой счёт", text="не заполнено").row == 4
    assert one(errors, column="СНИЛС", text="контрольное").row == 2


def test_overlap_with_an_existing_registration(org, write):
    assert run_csv(org, write, good_rows()).ok
    before = db_counts()
    rows = good_rows()
    rows[1]["registered_from"] = "01.06.2021"  # Мария is registered since 01.02.2020, open
    report = run_csv(org, write, rows)
    assert not report.ok
    one(report.errors, column="Зарегистрирован с", text="пересекается")
    assert db_counts() == before
    assert Registration.objects.filter(valid_from=dt.date(2021, 6, 1)).count() == 0


def test_formula_in_xlsx(org, write):
    rows = good_rows()
    rows[1]["premises_area_total"] = "=50+4.3"
    path = write("fond.xlsx", xlsx_bytes(rows))
    errors = rejected(housing_import(path=path, organization=org))
    issue = one(errors, column="Площадь помещения, м²", text="формула вместо значения")
    assert (issue.sheet, issue.row, issue.value) == ("Жилфонд", 3, "=50+4.3")


def test_empty_xlsx_sheet(org, write):
    path = write("fond.xlsx", xlsx_bytes([], keys=[]))
    errors = rejected(housing_import(path=path, organization=org))
    assert "пуст" in errors[0].message and errors[0].sheet == "fond.xlsx"


def test_xlsx_without_the_sheet(org, write):
    path = write("fond.xlsx", xlsx_bytes(good_rows(), sheet="Данные", extra_sheets=("Прочее",)))
    errors = rejected(housing_import(path=path, organization=org))
    assert "нет листа «Жилфонд»" in errors[0].message


def test_not_a_workbook(org, write):
    path = write("fond.xlsx", b"PK\x03\x04 this is not a zip")
    errors = rejected(housing_import(path=path, organization=org))
    assert "XLSX" in errors[0].message


def test_too_large(org, write, settings):
    settings.RASCHET_IMPORT_MAX_BYTES = 100
    errors = rejected(run_csv(org, write, good_rows()))
    assert "слишком большой" in errors[0].message


def test_existing_rows_of_other_data_stay(org, write):
    """A rejected file leaves data already in the database untouched."""
    account = AccountFactory(organization=org, premises__building__organization=org)
    PersonFactory(organization=org)
    before = db_counts()
    rows = good_rows()
    rows[0]["opened_on"] = "31.02.2025"
    report = run_csv(org, write, rows)
    assert not report.ok
    assert db_counts() == before
    account.refresh_from_db()


def test_error_table_renders(org, write):
    rows = good_rows()
    rows[2]["services"] = "teleportation"
    report = run_csv(org, write, rows)
    console = Console(record=True, width=200)
    render_report(report, console)
    out = console.export_text()
    assert "Ничего не записано" in out
    assert "teleportation" in out and "Услуги" in out and "fond.csv" in out


@given(st.decimals(min_value=Decimal("0.01"), max_value=PREMISES_AREA_MAX, places=2))
def test_area_parser_round_trips_russian_notation(area):
    shown = f"{area:f}".replace(".", ",")
    assert parse_area(shown, maximum=PREMISES_AREA_MAX) == area
    assert parse_area(float(area), maximum=PREMISES_AREA_MAX) == area


@given(st.decimals(max_value=Decimal("0"), places=2, allow_nan=False, allow_infinity=False))
def test_area_parser_refuses_non_positive(area):
    with pytest.raises(CellError):
        parse_area(f"{area:f}", maximum=PREMISES_AREA_MAX)
