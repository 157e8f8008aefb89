"""File import of meter readings: good files, re-import, corrections, chains, every rejection.

Each rejection asserts the error table (row, column, message) and that nothing was written.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from rich.console import Console

from raschet.metering.imports import readings_import, render_readings_report
from raschet.metering.models import Meter, Reading, ReadingSource, ReadingState
from raschet.metering.services import ReadingRejected, reading_submit
from raschet.organizations.models import ClosedMonth
from tests.factories import AccountFactory, PremisesFactory, ServiceFactory

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2025, 6, 20)
HEADER = ["Лицевой счёт", "Услуга", "Заводской номер", "Зона", "Показание", "Дата снятия"]


@pytest.fixture
def stock():
    """One flat: account 100001, a cold-water meter CW-1 and a two-zone electricity meter."""
    premises = PremisesFactory()
    org = premises.organization
    account = AccountFactory(premises=premises, organization=org, number="100001")
    cold = ServiceFactory(organization=org, code="cold_water")
    power = ServiceFactory(organization=org, code="electricity", name="Электроснабжение",
                           unit="kwh", max_zones=2)  # fmt: skip
    cw = Meter.objects.create(organization=org, premises=premises, service=cold,
                              serial_number="CW-1", installed_on=date(2024, 1, 10))  # fmt: skip
    el = Meter.objects.create(organization=org, premises=premises, service=power,
                              serial_number="EL-7", zones=2, integer_digits=6,
                              installed_on=date(2024, 1, 10))  # fmt: skip
    return type("Stock", (), {"org": org, "account": account, "premises": premises,
                              "cold": cold, "power": power, "cw": cw, "el": el})  # fmt: skip


def csv_file(tmp_path, rows, *, header=HEADER, encoding="utf-8-sig", sep=";", name="r.csv"):
    path = tmp_path / name
    lines = [sep.join(header)] + [sep.join(str(c) for c in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def run(stock, path, today=TODAY, **kw):
    return readings_import(path=path, organization=stock.org, today=today, **kw)


def submit(meter, value, taken_on, **kw):
    zone = kw.pop("zone", "single")
    return reading_submit(meter=meter, values={zone: D(value)}, taken_on=taken_on,
                          source="operator", today=TODAY, received_on=taken_on, **kw)  # fmt: skip


def errors_of(report):
    return [(e.row, e.column, e.message) for e in report.errors]


def assert_rejected(report, row, column, fragment, before):
    assert not report.ok
    hits = [e for e in report.errors if e.row == row and e.column == column]
    assert hits, errors_of(report)
    assert any(fragment in e.message for e in hits), errors_of(report)
    assert Reading.objects.count() == before


CW = ["100001", "cold_water", "CW-1"]
GOOD = [
    ["100001", "cold_water", "CW-1", "", "123,456", "18.06.2025"],
    ["100001", "electricity", "EL-7", "день", "1500.5", "2025-06-18"],
    ["100001", "electricity", "EL-7", "ночь", "700", "18.06.2025"],
]


# --- good files --------------------------------------------------------------------------


def test_good_csv_is_imported_with_source_month_origin_and_user(stock, tmp_path, django_user_model):
    submit(stock.cw, "120.000", date(2025, 5, 20))
    user = django_user_model.objects.create_user("op", password="x-secret-123")
    report = run(stock, csv_file(tmp_path, GOOD), user=user, file_name="askue-06.csv")
    assert report.ok, errors_of(report)
    assert report.counts["readings"] == {"created": 3, "corrected": 0, "unchanged": 0,
                                         "flagged": 0, "rollover": 0}  # fmt: skip
    cw = Reading.objects.get(meter=stock.cw, period=date(2025, 6, 1))
    assert cw.value == D("123.456") and cw.volume == D("3.456")
    assert cw.source == ReadingSource.FILE and cw.origin == "askue-06.csv:2"
    assert cw.entered_by == user and cw.taken_on == date(2025, 6, 18) and cw.is_current
    day = Reading.objects.get(meter=stock.el, zone="day")
    assert day.value == D("1500.500") and day.volume is None  # no previous reading
    assert Reading.objects.get(meter=stock.el, zone="night").origin == "askue-06.csv:4"
    out = io.StringIO()
    render_readings_report(report, Console(file=out, width=120))
    assert "загружен" in out.getvalue() and "3" in out.getvalue()


def test_good_xlsx_is_imported(stock, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Показания"
    ws.append(["лицевой счет ", "ЗАВОДСКОЙ НОМЕР", "Показание", "Дата снятия", "Зона"])
    ws.append([100001, "CW-1", 123.456, datetime(2025, 6, 18), None])  # noqa: DTZ001 - Excel dates are naive
    ws.append(["100001", "EL-7", 1500, date(2025, 6, 18), "day"])
    ws.append(["100001", "EL-7", "700,25", "18.06.2025", "night"])
    wb.create_sheet("Другой")
    path = tmp_path / "r.xlsx"
    wb.save(path)
    report = run(stock, path)
    assert report.ok, errors_of(report)
    assert report.counts["readings"]["created"] == 3
    assert Reading.objects.get(meter=stock.cw).value == D("123.456")
    assert Reading.objects.get(meter=stock.el, zone="night").value == D("700.250")


def test_comma_separated_csv_with_service_only(stock, tmp_path):
    header = ["Лицевой счёт", "Услуга", "Показание", "Дата снятия"]
    path = csv_file(
        tmp_path, [["100001", "cold_water", "10.5", "18.06.2025"]], header=header, sep=","
    )
    report = run(stock, path)
    assert report.ok, errors_of(report)
    assert Reading.objects.get().meter == stock.cw


def test_cp1251_csv(stock, tmp_path):
    report = run(stock, csv_file(tmp_path, GOOD, encoding="cp1251"))
    assert report.ok, errors_of(report)
    assert Reading.objects.count() == 3


def test_reimport_changes_nothing(stock, tmp_path):
    path = csv_file(tmp_path, GOOD)
    assert run(stock, path).ok
    ids = sorted(Reading.objects.values_list("pk", flat=True))
    again = run(stock, path)
    assert again.ok and not again.changed
    assert again.counts["readings"]["unchanged"] == 3 and again.counts["readings"]["created"] == 0
    assert sorted(Reading.objects.values_list("pk", flat=True)) == ids


def test_same_reading_resent_after_the_cutoff_is_stored_once(stock, tmp_path):
    path = csv_file(tmp_path, GOOD)
    assert run(stock, path).ok
    late = run(stock, path, today=date(2025, 6, 27))  # would count for July if stored again
    assert late.ok and late.counts["readings"]["unchanged"] == 3
    assert Reading.objects.count() == 3


def test_correction_supersedes_the_earlier_reading(stock, tmp_path):
    assert run(stock, csv_file(tmp_path, GOOD)).ok
    old = Reading.objects.get(meter=stock.cw)
    fixed = [["100001", "cold_water", "CW-1", "", "124", "19.06.2025"], *GOOD[1:]]
    report = run(stock, csv_file(tmp_path, fixed, name="fix.csv"))
    assert report.ok, errors_of(report)
    assert report.counts["readings"]["corrected"] == 1
    assert report.counts["readings"]["unchanged"] == 2
    old.refresh_from_db()
    new = Reading.objects.get(meter=stock.cw, is_current=True)
    assert not old.is_current and old.value == D("123.456")
    assert new.supersedes == old and new.value == D("124.000") and new.origin == "fix.csv:2"


def test_dry_run_counts_but_writes_nothing(stock, tmp_path):
    report = run(stock, csv_file(tmp_path, GOOD), dry_run=True)
    assert report.ok and report.dry_run and report.counts["readings"]["created"] == 3
    assert Reading.objects.count() == 0


def test_rollover_is_accepted(stock, tmp_path):
    submit(stock.cw, "99999.000", date(2025, 5, 20))
    report = run(
        stock, csv_file(tmp_path, [["100001", "cold_water", "CW-1", "", "2", "18.06.2025"]])
    )
    assert report.ok, errors_of(report)
    assert report.counts["readings"]["rollover"] == 1
    r = Reading.objects.get(period=date(2025, 6, 1))
    assert r.state == ReadingState.ROLLOVER and r.volume == D("3.000")


def test_volume_far_above_average_is_flagged_like_the_service(stock, tmp_path):
    for month, value in [(1, "100"), (2, "105"), (3, "110"), (4, "115")]:
        submit(stock.cw, value, date(2025, month, 20))
    rows = [["100001", "cold_water", "CW-1", "", "160", "20.05.2025", "20.05.2025"]]
    path = csv_file(tmp_path, rows, header=[*HEADER, "Дата получения"])
    report = run(stock, path)
    assert report.ok, errors_of(report)
    assert report.counts["readings"]["flagged"] == 1
    r = Reading.objects.get(period=date(2025, 5, 1))
    assert r.state == ReadingState.FLAGGED and r.volume == D("45.000")


def test_volume_within_threshold_is_not_flagged(stock, tmp_path):
    for month, value in [(1, "100"), (2, "105"), (3, "110"), (4, "115")]:
        submit(stock.cw, value, date(2025, month, 20))
    rows = [["100001", "cold_water", "CW-1", "", "130", "20.05.2025", "20.05.2025"]]
    report = run(stock, csv_file(tmp_path, rows, header=[*HEADER, "Дата получения"]))
    assert report.ok and report.counts["readings"]["flagged"] == 0


def test_late_reading_counts_for_the_next_month(stock, tmp_path):
    row = ["100001", "cold_water", "CW-1", "", "5", "18.06.2025"]
    report = run(stock, csv_file(tmp_path, [row]), today=date(2025, 6, 27))
    assert report.ok
    assert Reading.objects.get().period == date(2025, 7, 1)


def test_received_date_column_decides_the_month(stock, tmp_path):
    rows = [["100001", "cold_water", "CW-1", "", "5", "18.05.2025", "20.05.2025"],
            ["100001", "electricity", "EL-7", "день", "1", "18.05.2025", "26.05.2025"],
            ["100001", "electricity", "EL-7", "ночь", "1", "18.05.2025", "26.05.2025"]]  # fmt: skip
    report = run(stock, csv_file(tmp_path, rows, header=[*HEADER, "Дата получения"]))
    assert report.ok, errors_of(report)
    assert Reading.objects.get(meter=stock.cw).period == date(2025, 5, 1)
    assert set(Reading.objects.filter(meter=stock.el).values_list("period", flat=True)) == {
        date(2025, 6, 1)
    }


def test_chain_of_months_in_one_file(stock, tmp_path):
    submit(stock.cw, "100", date(2024, 12, 20))
    rows = [["100001", "cold_water", "CW-1", "", v, f"20.{m:02d}.2025", f"20.{m:02d}.2025"]
            for m, v in [(3, "115"), (1, "105"), (2, "110"), (4, "120")]]  # fmt: skip
    report = run(stock, csv_file(tmp_path, rows, header=[*HEADER, "Дата получения"]))
    assert report.ok, errors_of(report)
    assert report.counts["readings"]["created"] == 4
    volumes = dict(Reading.objects.filter(period__year=2025).values_list("period__month", "volume"))
    assert volumes == {1: D(5), 2: D(5), 3: D(5), 4: D(5)}


def test_chain_flags_against_the_average_built_from_the_file(stock, tmp_path):
    submit(stock.cw, "100", date(2024, 12, 20))
    rows = [["100001", "cold_water", "CW-1", "", v, f"20.{m:02d}.2025", f"20.{m:02d}.2025"]
            for m, v in [(1, "105"), (2, "110"), (3, "115"), (4, "160")]]  # fmt: skip
    report = run(stock, csv_file(tmp_path, rows, header=[*HEADER, "Дата получения"]))
    assert report.ok, errors_of(report)
    assert report.counts["readings"]["flagged"] == 1
    assert Reading.objects.get(period=date(2025, 4, 1)).state == ReadingState.FLAGGED


def test_chain_with_a_lower_value_names_the_earlier_row(stock, tmp_path):
    rows = [["100001", "cold_water", "CW-1", "", v, f"20.{m:02d}.2025", f"20.{m:02d}.2025"]
            for m, v in [(1, "105"), (2, "104,5")]]  # fmt: skip
    report = run(stock, csv_file(tmp_path, rows, header=[*HEADER, "Дата получения"]))
    assert_rejected(report, 3, "Показание", "104,500 меньше предыдущего 105,000 от 20.01.2025", 0)


# --- rejections --------------------------------------------------------------------------


def test_lower_than_previous_is_rejected(stock, tmp_path):
    submit(stock.cw, "100.000", date(2025, 1, 20))
    rows = [GOOD[1], ["100001", "cold_water", "CW-1", "", "99,5", "18.06.2025"], GOOD[2]]
    report = run(stock, csv_file(tmp_path, rows))
    assert_rejected(report, 3, "Показание", "99,500 меньше предыдущего 100,000 от 20.01.2025", 1)
    assert len(report.errors) == 1
    out = io.StringIO()
    render_readings_report(report, Console(file=out, width=200))
    assert "не загружен" in out.getvalue()


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        ([*CW, "", "1", "21.06.2025"], "Дата снятия", "ещё не наступила"),
        ([*CW, "", "1", "09.01.2024"], "Дата снятия", "установлен 10.01.2024"),
        ([*CW, "день", "1", "18.06.2025"], "Зона", "зоны «день» у него нет"),
        ([*CW, "утро", "1", "18.06.2025"], "Зона", "пик или полупик"),
        ([*CW, "", "-1", "18.06.2025"], "Показание", "отрицательным"),
        ([*CW, "", "1,0001", "18.06.2025"], "Показание", "трёх знаков"),
        ([*CW, "", "абв", "18.06.2025"], "Показание", "не число"),
        ([*CW, "", "", "18.06.2025"], "Показание", "не указано"),
        ([*CW, "", "100000", "18.06.2025"], "Показание", "разрядности"),
        ([*CW, "", "1", "31.02.2025"], "Дата снятия", "нет в календаре"),
        ([*CW, "", "1", "2025/06/18"], "Дата снятия", "ДД.ММ.ГГГГ"),
        (["999999", "cold_water", "CW-1", "", "1", "18.06.2025"], "Лицевой счёт", "не найден"),
        (["", "cold_water", "CW-1", "", "1", "18.06.2025"], "Лицевой счёт", "не указан"),
        (["100001", "gas", "CW-1", "", "1", "18.06.2025"], "Услуга", "услуга не найдена"),
        (["100001", "cold_water", "NOPE", "", "1", "18.06.2025"], "Заводской номер", "нет сч"),
        (["100001", "", "", "", "1", "18.06.2025"], "Заводской номер", "укажите заводской номер"),
        (["100001", "electricity", "EL-7", "день", "1", "18.06.2025"], "Зона", "в файле нет: ночь"),
    ],
)  # fmt: skip
def test_bad_row_is_rejected_with_its_message(stock, tmp_path, row, column, fragment):
    others = [GOOD[0]] if "EL-7" in row else GOOD[1:]  # good rows of another meter
    report = run(stock, csv_file(tmp_path, [row, *others]))
    assert_rejected(report, 2, column, fragment, 0)
    assert {e.row for e in report.errors} == {2}


def test_removed_meter_is_rejected(stock, tmp_path):
    stock.cw.removed_on = date(2025, 3, 1)
    stock.cw.save()
    report = run(stock, csv_file(tmp_path, [GOOD[0]]))
    assert_rejected(report, 2, "Дата снятия", "счётчик № CW-1 снят 01.03.2025", 0)


def test_closed_month_is_rejected(stock, tmp_path):
    ClosedMonth.objects.create(organization=stock.org, month=date(2025, 6, 1))
    report = run(stock, csv_file(tmp_path, GOOD))
    assert_rejected(report, 2, "Дата снятия", "месяц 06.2025 закрыт", 0)
    assert len(report.errors) == 3


def test_service_without_serial_is_ambiguous_with_two_meters(stock, tmp_path):
    Meter.objects.create(organization=stock.org, premises=stock.premises, service=stock.cold,
                         serial_number="CW-2", installed_on=date(2024, 1, 10))  # fmt: skip
    path = csv_file(tmp_path, [["100001", "cold_water", "5", "18.06.2025"]],
                    header=["Лицевой счёт", "Услуга", "Показание", "Дата снятия"])  # fmt: skip
    report = run(stock, path)
    assert_rejected(report, 2, "Заводской номер", "несколько счётчиков", 0)


def test_meter_of_another_premises_is_not_found(stock, tmp_path):
    other = AccountFactory(organization=stock.org, premises=PremisesFactory(
        building=stock.premises.building, organization=stock.org), number="100002")  # fmt: skip
    rows = [[other.number, "cold_water", "CW-1", "", "1", "18.06.2025"]]
    report = run(stock, csv_file(tmp_path, rows))
    assert_rejected(report, 2, "Заводской номер", "нет счётчика", 0)


def test_duplicate_rows_in_a_file_name_both_rows(stock, tmp_path):
    report = run(stock, csv_file(tmp_path, [GOOD[0], GOOD[1], GOOD[2], GOOD[0]]))
    assert_rejected(report, 5, "Показание", "повторяет строку 2", 0)


def test_other_organizations_account_is_not_found(stock, tmp_path):
    stranger = AccountFactory(number="777777")
    Meter.objects.create(organization=stranger.organization, premises=stranger.premises,
                         service=ServiceFactory(organization=stranger.organization),
                         serial_number="CW-1", installed_on=date(2024, 1, 1))  # fmt: skip
    report = run(
        stock, csv_file(tmp_path, [["777777", "cold_water", "CW-1", "", "1", "18.06.2025"]])
    )
    assert_rejected(report, 2, "Лицевой счёт", "не найден", 0)


# --- file-level problems -----------------------------------------------------------------


def test_empty_file(stock, tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    report = run(stock, path)
    assert not report.ok and report.errors[0].row == 0 and "пуст" in report.errors[0].message


def test_header_only(stock, tmp_path):
    report = run(stock, csv_file(tmp_path, []))
    assert not report.ok and "только заголовок" in report.errors[0].message


def test_bad_encoding(stock, tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(";".join(HEADER).encode("cp1251") + b"\r\n100001;\x98\x98;x\r\n")
    report = run(stock, path)
    assert not report.ok and "кодировке" in report.errors[0].message
    assert report.errors[0].row == 2


def test_missing_and_extra_columns(stock, tmp_path):
    header = ["Лицевой счёт", "Заводской номер", "Дата снятия", "Комментарий"]
    report = run(stock, csv_file(tmp_path, [["100001", "CW-1", "18.06.2025", "x"]], header=header))
    assert not report.ok
    messages = {(e.column, e.message.split(";")[0]) for e in report.errors}
    assert ("Показание", "нет обязательного столбца") in messages
    assert ("Комментарий", "лишний столбец") in messages
    assert Reading.objects.count() == 0


def test_neither_service_nor_serial_column(stock, tmp_path):
    header = ["Лицевой счёт", "Показание", "Дата снятия"]
    report = run(stock, csv_file(tmp_path, [["100001", "1", "18.06.2025"]], header=header))
    assert not report.ok and "«Услуга» или «Заводской номер»" in report.errors[0].message


def test_formula_in_xlsx_is_rejected(stock, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Лицевой счёт", "Заводской номер", "Показание", "Дата снятия"])
    ws.append(["100001", "CW-1", "=100+23", "18.06.2025"])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    report = run(stock, path)
    assert_rejected(report, 2, "Показание", "формула", 0)


def test_not_a_workbook(stock, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip at all")
    report = run(stock, path)
    assert not report.ok and "XLSX" in report.errors[0].message


def test_value_right_of_the_header(stock, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(";".join(HEADER) + "\n100001;cold_water;CW-1;;1;18.06.2025;лишнее\n",
                    encoding="utf-8")  # fmt: skip
    report = run(stock, path)
    assert_rejected(report, 2, "", "правее последнего столбца", 0)


# --- equivalence with the single-reading service, concurrency, audit ----------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_file_import_agrees_with_reading_submit(stock, tmp_path, seed):
    """A chain imported from a file ends as the same readings `reading_submit` stores when the
    rows are entered one by one: volumes, states, and the rejection of a lower value."""
    import random

    rnd = random.Random(seed)
    twin = Meter.objects.create(organization=stock.org, premises=stock.premises,
                                service=stock.cold, serial_number="TWIN",
                                installed_on=date(2024, 1, 10), integer_digits=3)  # fmt: skip
    stock.cw.integer_digits = 3
    stock.cw.save()
    value = D(rnd.randint(0, 999))
    history = []
    for month in (1, 2, 3):
        value = (value + D(rnd.randint(1, 9))) % 1000
        history.append((month, value))
    for month, v in history:
        submit(stock.cw, v, date(2025, month, 20))
        submit(twin, v, date(2025, month, 20))
    chain = []
    for month in (4, 5, 6, 7):
        step = rnd.choice([D(3), D(5), D("30.5"), D(-2), D(60)])
        value = (value + step) % 1000
        chain.append((month, value))
    rejected = False
    for month, v in chain:
        try:
            submit_at(stock.cw, v, date(2025, month, 20), today=date(2025, 8, 1))
        except ReadingRejected:
            rejected = True
            break
    rows = [["100001", "cold_water", "TWIN", "", str(v), f"20.{m:02d}.2025", f"20.{m:02d}.2025"]
            for m, v in reversed(chain)]  # fmt: skip
    report = run(stock, csv_file(tmp_path, rows, header=[*HEADER, "Дата получения"]),
                 today=date(2025, 8, 1))  # fmt: skip
    assert report.ok is not rejected, errors_of(report)
    if rejected:
        return
    by_service = Reading.objects.filter(meter=stock.cw, period__month__gte=4).order_by("period")
    by_file = Reading.objects.filter(meter=twin, period__month__gte=4).order_by("period")
    assert [(r.period, r.value, r.volume, r.state) for r in by_file] == [
        (r.period, r.value, r.volume, r.state) for r in by_service
    ]


def submit_at(meter, value, taken_on, today):
    return reading_submit(meter=meter, values={"single": D(value)}, taken_on=taken_on,
                          source="operator", today=today, received_on=taken_on)  # fmt: skip


def test_first_reading_after_replacement_compares_with_the_initial_one(stock, tmp_path):
    from raschet.metering.services import meter_replace

    submit(stock.cw, "500", date(2025, 5, 20))
    new = meter_replace(
        old=stock.cw, on=date(2025, 6, 5), final_values={"single": D(505)},
        serial_number="CW-NEW", initial_values={"single": D(0)}, today=TODAY,
    )  # fmt: skip
    rows = [["100001", "cold_water", "CW-NEW", "", "3,5", "18.06.2025"]]
    report = run(stock, csv_file(tmp_path, rows))
    assert report.ok, errors_of(report)
    reading = Reading.objects.get(meter=new, kind="regular")
    assert reading.volume == D("3.500") and reading.state == ReadingState.OK
    old = run(stock, csv_file(tmp_path, [GOOD[0]], name="old.csv"))
    assert_rejected(old, 2, "Дата снятия", "снят 05.06.2025", Reading.objects.count())


def test_a_concurrent_change_rolls_the_whole_file_back(stock, tmp_path, monkeypatch):
    from raschet.metering import imports

    assert run(stock, csv_file(tmp_path, GOOD)).ok
    real = imports.readings_check

    def check_then_someone_corrects(**kw):
        plan = real(**kw)
        Reading.objects.filter(meter=stock.cw).update(is_current=False)  # another writer
        return plan

    monkeypatch.setattr(imports, "readings_check", check_then_someone_corrects)
    fixed = [["100001", "cold_water", "CW-1", "", "124", "19.06.2025"], *GOOD[1:]]
    before = Reading.objects.count()
    report = run(stock, csv_file(tmp_path, fixed, name="fix.csv"))
    assert not report.ok and "изменились во время загрузки" in report.errors[0].message
    assert Reading.objects.count() == before
    assert Reading.objects.filter(meter=stock.cw, is_current=True).count() == 1


def test_progress_and_import_batch(stock, tmp_path):
    from raschet.importers.models import ImportBatch

    stages = []
    report = run(stock, csv_file(tmp_path, GOOD), progress=lambda s, d, t: stages.append(s))
    assert report.ok
    assert {"Чтение файла", "Проверка", "Запись"} <= set(stages)
    batch = ImportBatch.objects.get(organization=stock.org)
    assert batch.kind == "readings" and batch.rows == 3
    assert batch.counts["readings"]["created"] == 3
    assert set(report.timings) == {"load", "parse", "validate", "write", "commit"}


def test_previous_reading_older_than_the_lookback_is_found(stock, tmp_path):
    Meter.objects.filter(pk=stock.cw.pk).update(installed_on=date(2020, 1, 1))
    submit(stock.cw, "100", date(2022, 12, 20))  # 30 months before the file's month
    report = run(
        stock, csv_file(tmp_path, [["100001", "cold_water", "CW-1", "", "90", "18.06.2025"]])
    )
    assert_rejected(report, 2, "Показание", "меньше предыдущего 100,000 от 20.12.2022", 1)
    ok = run(stock, csv_file(tmp_path, [["100001", "cold_water", "CW-1", "", "130", "18.06.2025"]]))
    assert ok.ok and Reading.objects.get(period=date(2025, 6, 1)).volume == D(30)
