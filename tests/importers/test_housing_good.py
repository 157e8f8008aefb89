"""A good housing file imports once, re-imports as "unchanged", updates changed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from rich.console import Console

from raschet.housing.models import Account, Building, Premises
from raschet.importers.housing import housing_import, render_report, template_bytes
from raschet.registry.models import Ownership, Person, Registration
from raschet.tariffs.models import AccountService, Service
from raschet.tariffs.services import services_install_catalogue
from tests.importers.conftest import NOTHING, csv_bytes, db_counts, good_rows, xlsx_bytes

pytestmark = pytest.mark.django_db

EXPECTED_CREATED = {
    "buildings": 1,
    "premises": 2,
    "accounts": 2,
    "persons": 3,
    "ownerships": 2,
    "registrations": 3,
    "account_services": 8,
}


def created(report) -> dict[str, int]:
    return {k: c["created"] for k, c in report.counts.items()}


def test_good_csv_imports_everything(org, write):
    report = housing_import(path=write("fond.csv", csv_bytes(good_rows())), organization=org)
    assert report.ok, report.errors
    assert created(report) == EXPECTED_CREATED
    building = Building.objects.get(organization=org)
    assert building.area_total_m2 == Decimal("5400.50")
    assert building.area_non_residential_m2 == Decimal("300")
    flat1 = Premises.objects.get(building=building, number="1")
    assert (flat1.area_total_m2, flat1.area_living_m2, flat1.rooms) == (
        Decimal("54.30"), Decimal("38.10"), 2)  # fmt: skip
    account = Account.objects.get(number="1000002")
    assert account.opened_on == dt.date(2021, 3, 1)
    assert account.premises.number == "2"
    ivanov = Person.objects.get(last_name="Иванов")
    assert (ivanov.first_name, ivanov.middle_name, ivanov.snils) == (
        "Иван", "Иванович", "112-233-445 95")  # fmt: skip
    child = Registration.objects.get(person__first_name="Мария")
    assert (child.relation, child.kind, child.valid_from) == ("child", "permanent",
                                                              dt.date(2020, 2, 1))  # fmt: skip
    temporary = Registration.objects.get(person__last_name="Петрова")
    assert (temporary.kind, temporary.valid_to) == ("temporary", dt.date(2026, 3, 1))
    owner = Ownership.objects.get(person=ivanov)
    assert (owner.share, owner.valid_from) == ("1/1", dt.date(2020, 1, 1))
    electricity = AccountService.objects.get(account__number="1000001",
                                             service__code="electricity")  # fmt: skip
    assert (electricity.method, electricity.zones) == ("meter", 2)
    assert AccountService.objects.get(service__code="heating").method == "norm"
    # the catalogue was installed for the organization inside the import
    assert Service.objects.filter(organization=org, code="capital_repair").exists()


def test_reimport_changes_nothing(org, write):
    path = write("fond.csv", csv_bytes(good_rows()))
    assert housing_import(path=path, organization=org).ok
    before = db_counts()
    batches = _batches()
    again = housing_import(path=path, organization=org)
    assert again.ok, again.errors
    assert all(c["created"] == 0 and c["updated"] == 0 for c in again.counts.values())
    assert {k: c["unchanged"] for k, c in again.counts.items()} == EXPECTED_CREATED
    assert db_counts() == before
    assert _batches() == batches


def test_changed_value_is_an_update(org, write):
    assert housing_import(path=write("a.csv", csv_bytes(good_rows())), organization=org).ok
    rows = good_rows()
    rows[2]["premises_area_total"] = "35,2"  # flat 2
    rows[2]["payer_name"] = "Петрова А. С."
    report = housing_import(path=write("b.csv", csv_bytes(rows)), organization=org)
    assert report.ok, report.errors
    assert report.counts["premises"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert report.counts["accounts"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert Premises.objects.get(number="2").area_total_m2 == Decimal("35.20")
    assert Account.objects.get(number="1000002").payer_name == "Петрова А. С."


def test_blank_cell_keeps_the_database_value(org, write):
    assert housing_import(path=write("a.csv", csv_bytes(good_rows())), organization=org).ok
    rows = good_rows()
    for r in rows:
        r["year_built"] = ""
    report = housing_import(path=write("b.csv", csv_bytes(rows)), organization=org)
    assert report.counts["buildings"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert Building.objects.get().year_built == 1975


def test_dry_run_writes_nothing(org, write):
    report = housing_import(
        path=write("fond.csv", csv_bytes(good_rows())), organization=org, dry_run=True
    )
    assert report.ok and report.dry_run
    assert created(report) == EXPECTED_CREATED
    assert db_counts() == NOTHING
    assert not Service.objects.filter(organization=org).exists()


@pytest.mark.parametrize(("encoding", "delimiter"), [("cp1251", ";"), ("utf-8-sig", ","),
                                                     ("cp1251", ",")])  # fmt: skip
def test_cp1251_and_comma_csv(org, write, encoding, delimiter):
    data = csv_bytes(good_rows(), encoding=encoding, delimiter=delimiter)
    report = housing_import(path=write("fond.csv", data), organization=org)
    assert report.ok, report.errors
    assert Person.objects.filter(last_name="Иванова", first_name="Мария").exists()
    assert Building.objects.get().address == "г. Тверь, ул. Советская, д. 10"


def test_xlsx_with_native_numbers_and_dates(org, write):
    rows = good_rows()
    for r in rows:
        r["building_area_total"] = 5400.5
        r["year_built"] = 1975
        r["premises_area_total"] = 54.3 if r["premises_number"] == "1" else 33.5
        # Excel cells hold naive datetimes; openpyxl refuses aware ones
        r["opened_on"] = dt.datetime(2020, 1, 1) if r["premises_number"] == "1" else "2021-03-01"  # noqa: DTZ001
    rows[0]["birth_date"] = dt.datetime(1970, 3, 15)  # noqa: DTZ001
    path = write("fond.xlsx", xlsx_bytes(rows, extra_sheets=("Справка",)))
    report = housing_import(path=path, organization=org)
    assert report.ok, report.errors
    assert created(report) == EXPECTED_CREATED
    assert Person.objects.get(last_name="Иванов").birth_date == dt.date(1970, 3, 15)
    assert Premises.objects.get(number="1").area_total_m2 == Decimal("54.30")
    # and the CSV of the same data is the same stock: nothing changes
    again = housing_import(path=write("fond.csv", csv_bytes(good_rows())), organization=org)
    assert again.ok and not again.changed, again.counts


def test_single_sheet_with_another_name_is_read(org, write):
    path = write("fond.xlsx", xlsx_bytes(good_rows(), sheet="Лист1"))
    report = housing_import(path=path, organization=org)
    assert report.ok, report.errors


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_example_row_imports(org, write, fmt):
    path = write(f"template.{fmt}", template_bytes(fmt))
    report = housing_import(path=path, organization=org)
    assert report.ok, report.errors
    assert report.counts["accounts"]["created"] == 1
    assert Registration.objects.count() == 1


def test_existing_services_are_used(org, write):
    services_install_catalogue(organization=org)
    Service.objects.create(organization=org, code="intercom", name="Домофон", kind="other",
                           unit="flat", basis="fixed")  # fmt: skip
    rows = good_rows()
    rows[2]["services"] = "intercom; maintenance"
    report = housing_import(path=write("fond.csv", csv_bytes(rows)), organization=org)
    assert report.ok, report.errors
    assert AccountService.objects.filter(service__code="intercom").count() == 1


def test_progress_stages_are_reported(org, write):
    seen: set[str] = set()
    housing_import(
        path=write("fond.csv", csv_bytes(good_rows())),
        organization=org,
        progress=lambda stage, done, total: seen.add(stage),
    )
    assert seen == {"Чтение файла", "Проверка", "Запись"}


def test_counts_render(org, write):
    report = housing_import(path=write("fond.csv", csv_bytes(good_rows())), organization=org)
    console = Console(record=True, width=120)
    render_report(report, console)
    out = console.export_text()
    assert "Лицевые счета" in out and "загружен" in out


def test_import_batch_is_recorded(org, write):
    path = write("fond.csv", csv_bytes(good_rows()))
    housing_import(path=path, organization=org, file_name="жилфонд.csv")
    batch = apps.get_model("importers", "ImportBatch").objects.get()
    assert batch.file_name == "жилфонд.csv" and len(batch.sha256) == 64
    assert batch.counts["accounts"]["created"] == 2


def _batches() -> int:
    return apps.get_model("importers", "ImportBatch").objects.count()
