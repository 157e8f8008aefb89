"""Debt ageing, debtor lists and the collection rate on hand-built ledgers; the due-date
rule and its SQL bounds against the scalar rule; the exports opened back."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

from raschet.debt import exports
from raschet.debt.ageing import (
    BUCKETS,
    FIGURES,
    OVERDUE_BUCKETS,
    DebtFilter,
    DebtorQuery,
    add_months,
    ageing,
    ageing_lines,
    bucket_bounds,
    bucket_of,
    collection_percent,
    collection_rate,
    debtors,
    debtors_all,
    due_date,
    first_month_within,
    month_start,
    months_overdue,
)
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.payments.services import payment_create, payment_reverse
from tests.debt.town import ON, Town, build_town, entry
from tests.factories import AccountFactory, BuildingFactory, PremisesFactory
from tests.payments.conftest import FEB, JAN, MAR

TODAY = date(2025, 3, 10)


def figures(**given: int) -> dict[str, int]:
    out = dict.fromkeys(FIGURES, 0)
    out.update(given)
    out["overdue"] = sum(out[b] for b in OVERDUE_BUCKETS)
    out["principal"] = out["overdue"] + out["not_due"]
    return out


def pay(books, kopecks, *, op, account=None, day=ON):
    payment, _ = payment_create(
        organization=books.org,
        source=books.bank,
        account=account or books.account,
        amount_kopecks=kopecks,
        paid_on=day,
        operation_id=op,
        today=TODAY,
    )
    return payment


def totals(books, on=ON, **filters):
    return ageing(organization_ids=[books.org.pk], on=on, **filters).totals


def lines(books, on=ON, **filters) -> dict[tuple[int, int, int], dict[str, int]]:
    arrays = ageing_lines(organization_ids=[books.org.pk], on=on, **filters)
    out = {}
    for k in range(len(arrays["account"])):
        key = (int(arrays["account"][k]), int(arrays["service"][k]), int(arrays["payee"][k]))
        out[key] = {f: int(arrays[f][k]) for f in FIGURES}
    return out


def balances(books, on=ON) -> dict[tuple[int, int, int], int]:
    out: dict[tuple[int, int, int], int] = defaultdict(int)
    for e in LedgerEntry.objects.filter(organization_id=books.org.pk, period__lte=on):
        out[(e.account_id, e.service_id or -1, e.payee_id or -1)] += e.amount_kopecks
    return dict(out)


def assert_lines_are_balances(books, on=ON):
    """principal + penalty − advance is the balance of every account × service × payee."""
    got = {k: f["principal"] + f["penalty"] - f["advance"] for k, f in lines(books, on).items()}
    assert got == {k: v for k, v in balances(books, on).items() if v or k in got}


# ----------------------------------------------------------------------------- due dates


def test_due_dates_follow_the_law():
    assert due_date(date(2025, 1, 1)) == date(2025, 2, 10)
    assert due_date(date(2025, 12, 1)) == date(2026, 1, 10)
    assert due_date(date(2026, 1, 1)) == date(2026, 2, 10)
    assert due_date(date(2026, 2, 1)) == date(2026, 3, 10)  # Минстрой № 9202-ДН/04
    assert due_date(date(2026, 3, 1)) == date(2026, 4, 15)  # 177-ФЗ
    assert due_date(date(2026, 3, 17)) == date(2026, 4, 15)  # any day names its month
    assert due_date(date(2027, 12, 1)) == date(2028, 1, 15)


@pytest.mark.parametrize(
    ("on", "months", "bucket"),
    [
        (date(2025, 1, 31), 0, "not_due"),
        (date(2025, 2, 10), 0, "not_due"),  # the due day itself is on time
        (date(2025, 2, 11), 1, "up_to_3"),
        (date(2025, 3, 10), 1, "up_to_3"),
        (date(2025, 3, 11), 2, "up_to_3"),
        (date(2025, 5, 10), 3, "up_to_3"),
        (date(2025, 5, 11), 4, "from_3_to_6"),
        (date(2025, 8, 10), 6, "from_3_to_6"),
        (date(2025, 8, 11), 7, "from_6_to_12"),
        (date(2026, 2, 10), 12, "from_6_to_12"),
        (date(2026, 2, 11), 13, "over_12"),
        (date(2030, 1, 1), 59, "over_12"),
    ],
)
def test_months_overdue_and_buckets_of_january_2025(on, months, bucket):
    assert months_overdue(JAN, on) == months
    assert bucket_of(JAN, on) == bucket


def test_months_overdue_clamps_the_day_of_short_months():
    # a due date on the 31st would meet February: 31.01 + 1 month is 28.02
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 3, 15), -3) == date(2024, 12, 15)


def test_sql_bounds_agree_with_the_scalar_rule():
    """The bucket bounds the SQL compares debt months with classify every month exactly as
    `bucket_of`, for days all through 2024–2027 (both due-date rules and their seam)."""
    day = date(2024, 10, 1)
    while day < date(2027, 6, 1):
        bounds = bucket_bounds(day)
        for k in range(-20, 3):
            month = add_months(month_start(day), k)
            index = next((i for i, b in enumerate(bounds) if month >= b), len(bounds))
            assert BUCKETS[index] == bucket_of(month, day), (day, month)
        for limit in (0, 1, 2, 5, 12, 13, 40):
            first = first_month_within(day, limit)
            assert months_overdue(first, day) <= limit, (day, limit)
            assert months_overdue(add_months(first, -1), day) > limit, (day, limit)
        day += timedelta(days=3)


def test_the_ends_of_the_calendar_do_not_break_the_rule():
    assert due_date(date(9999, 12, 1)) == date.max
    assert months_overdue(date(9999, 12, 1), date.max) == 0
    assert months_overdue(date.min, date.max) > 12
    assert len(bucket_bounds(date.min)) == len(bucket_bounds(date.max)) == 4
    assert first_month_within(date(2025, 1, 1), 10**6) == date.min
    with pytest.raises(ValueError, match="отрицательным"):
        first_month_within(ON, -1)


# ----------------------------------------------------------------------------- ageing


def test_charges_age_by_their_due_date(books):
    assert totals(books) == figures(not_due=4000_00, up_to_3=4000_00)
    # 11.05: January is 4 months overdue, February 3 (due 10.03)
    assert totals(books, on=date(2025, 5, 11)) == figures(from_3_to_6=4000_00, up_to_3=4000_00)
    assert totals(books, on=date(2026, 3, 11)) == figures(over_12=8000_00)
    # before any charge was posted: nothing
    assert totals(books, on=date(2024, 12, 31)) == figures()


def test_a_partial_payment_reduces_its_debt_month(books):
    pay(books, 2500_00, op="p-1")  # the oldest month, in proportion: water 625, heat 1875
    assert totals(books) == figures(up_to_3=1500_00, not_due=4000_00)
    by_line = lines(books)
    water = (books.account.pk, books.water.pk, books.vodokanal.pk)
    heat = (books.account.pk, books.heat.pk, books.teplo.pk)
    assert by_line[water] == figures(up_to_3=375_00, not_due=1000_00)
    assert by_line[heat] == figures(up_to_3=1125_00, not_due=3000_00)
    assert_lines_are_balances(books)
    # the payment was posted in March: ageing on a February day does not see it
    assert totals(books, on=date(2025, 2, 28)) == figures(up_to_3=4000_00, not_due=4000_00)


def test_a_reversal_brings_the_debt_back(books):
    payment = pay(books, 2500_00, op="p-1")
    with time_machine.travel("2025-03-06 12:00 +03:00", tick=False):  # posted in March
        payment_reverse(payment=payment, reason="ошибочный платёж")
    assert totals(books) == figures(not_due=4000_00, up_to_3=4000_00)


def test_an_advance_is_shown_apart_and_not_subtracted(books):
    pay(books, 9000_00, op="p-1")  # 8 000 of debt, 1 000 spread as an advance for March
    assert totals(books) == figures(advance=1000_00)
    by_line = lines(books)
    assert by_line[(books.account.pk, books.water.pk, books.vodokanal.pk)]["advance"] == 250_00
    assert by_line[(books.account.pk, books.heat.pk, books.teplo.pk)]["advance"] == 750_00
    assert_lines_are_balances(books)


def test_a_credit_month_does_not_pay_other_months(books):
    # a negative recalculation posted in March belongs to March's document (ADR 0006 §3),
    # whatever month it corrects: January's water debt stays, March shows a credit
    entry(books, books.account, books.water, MAR, -300_00, "recalculation", corrects=JAN)
    assert totals(books) == figures(up_to_3=4000_00, not_due=4000_00, advance=300_00)
    # a positive one posted in March is March's debt: not due until 10.04
    entry(books, books.account, books.heat, MAR, 500_00, EntryKind.RECALCULATION)
    assert totals(books) == figures(up_to_3=4000_00, not_due=4500_00, advance=300_00)
    assert_lines_are_balances(books)


def test_penalties_are_shown_apart_and_paid_after_principal(books):
    books.charge(books.account, books.water, MAR, 12_34, kind=EntryKind.PENALTY, penalty=True)
    assert totals(books) == figures(up_to_3=4000_00, not_due=4000_00, penalty=12_34)
    pay(books, 8000_00, op="p-1")  # principal first (rules.md §3.5): the penalty stays
    assert totals(books) == figures(penalty=12_34)
    pay(books, 12_34, op="p-2")
    assert totals(books) == figures()
    assert lines(books) == {}


def test_old_debt_lands_over_twelve_months(books):
    entry(books, books.account, books.water, date(2023, 6, 1), 700_00, EntryKind.CHARGE)
    assert totals(books) == figures(over_12=700_00, up_to_3=4000_00, not_due=4000_00)


def test_an_advance_without_a_service_is_an_advance(books):
    account = AccountFactory(premises__building=books.account.premises.building)
    pay(books, 150_00, op="p-new", account=account)  # never charged: kept unassigned
    sheet = ageing(organization_ids=[books.org.pk], on=ON, by="service")
    unassigned = [r for r in sheet.rows if r.key is None]
    assert [r.advance for r in unassigned] == [150_00]
    assert unassigned[0].label == "Аванс, не распределённый по услугам"


@pytest.fixture
def town(books) -> Town:
    return build_town(books)


def test_ageing_by_dimension_and_filters(books, town):
    org = [books.org.pk]
    everything = ageing(organization_ids=org, on=ON)
    assert everything.rows == []
    assert everything.totals == figures(
        up_to_3=13000_00, not_due=4600_00, over_12=700_00
    )  # the stranger's organization is not counted
    by_building = ageing(organization_ids=org, on=ON, by="building")
    assert {r.label: r.over_12 for r in by_building.rows} == {
        books.account.premises.building.address: 0,
        "ул. Мира, д. 3": 700_00,
    }
    assert by_building.totals == everything.totals
    by_service = ageing(organization_ids=org, on=ON, by="service")
    assert {r.key: r.principal for r in by_service.rows} == {
        books.water.pk: 2800_00,
        books.heat.pk: 15500_00,
    }
    by_payee = ageing(organization_ids=org, on=ON, by="payee")
    assert {r.label for r in by_payee.rows} == {"АО «Водоканал»", "АО «Теплосеть»"}
    far = totals(books, building_id=town.far.pk)
    assert far == figures(over_12=700_00, not_due=100_00)
    assert totals(books, service_id=books.water.pk) == totals(books, payee_id=books.vodokanal.pk)
    assert totals(books, service_id=books.water.pk)["principal"] == 2800_00
    assert ageing(organization_ids=[], on=ON).totals == figures()


def test_debtors_are_sorted_by_overdue_debt(books, town):
    query = DebtorQuery(debt=DebtFilter.of([books.org.pk]), on=ON)
    page = debtors(query)
    assert [d.number for d in page.rows] == ["400004", "100001", "200002"]  # C is not due
    assert page.count == 3
    assert [d.overdue for d in page.rows] == [9000_00, 4000_00, 700_00]
    assert page.totals == figures(up_to_3=13000_00, over_12=700_00, not_due=4100_00)
    b = page.rows[2]
    assert b.oldest_month == date(2023, 6, 1)
    assert b.months_overdue == 20  # due 10.07.2023; 10.03.2025 is 20 months later
    assert b.address.endswith(f"кв. {town.B.premises.number}")
    assert page.rows[0].months_overdue == 1 and page.rows[0].oldest_month == JAN


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"min_kopecks": 4000_00}, ["400004", "100001"]),
        ({"min_kopecks": 4000_01}, ["400004"]),
        ({"min_months": 1}, ["400004", "100001", "200002"]),
        ({"min_months": 2}, ["200002"]),
        ({"min_months": 20}, ["200002"]),
        ({"min_months": 21}, []),
    ],
)
def test_debtor_filters_by_amount_and_months(books, town, filters, expected):
    query = DebtorQuery(debt=DebtFilter.of([books.org.pk]), on=ON, **filters)
    assert [d.number for d in debtors(query).rows] == expected
    assert [d.number for d in debtors_all(query)] == expected


def test_debtor_filters_by_building_service_and_payee(books, town):
    def numbers(**kw):
        query = DebtorQuery(debt=DebtFilter.of([books.org.pk], **kw), on=ON)
        return [(d.number, d.overdue) for d in debtors(query).rows]

    assert numbers(service_id=books.water.pk) == [("100001", 1000_00), ("200002", 700_00)]
    assert numbers(payee_id=books.teplo.pk) == [("400004", 9000_00), ("100001", 3000_00)]
    assert numbers(building_id=town.far.pk) == [("200002", 700_00)]


def test_debtor_pages_carry_the_count_and_totals_of_all(books, town, django_assert_num_queries):
    query = DebtorQuery(debt=DebtFilter.of([books.org.pk]), on=ON)
    with django_assert_num_queries(1):
        first = debtors(query, limit=2)
    second = debtors(query, limit=2, offset=2)
    assert [d.number for d in first.rows] == ["400004", "100001"]
    assert [d.number for d in second.rows] == ["200002"]
    assert first.count == second.count == 3
    assert first.totals == second.totals
    with django_assert_num_queries(2):
        beyond = debtors(query, limit=2, offset=10)
    assert beyond.rows == [] and beyond.count == 3 and beyond.totals == first.totals
    nobody = debtors(DebtorQuery(debt=DebtFilter.of([books.org.pk]), on=date(2023, 1, 1)))
    assert nobody.count == 0 and nobody.totals == figures()


def test_debtor_questions_refuse_bad_input(books):
    debt = DebtFilter.of([books.org.pk])
    with pytest.raises(ValueError, match="Минимальная сумма"):
        DebtorQuery(debt=debt, on=ON, min_kopecks=-1)
    with pytest.raises(ValueError, match="месяцев"):
        DebtorQuery(debt=debt, on=ON, min_months=-1)
    with pytest.raises(ValueError, match="страница"):
        debtors(DebtorQuery(debt=debt, on=ON), limit=0)
    with pytest.raises(ValueError, match="Неизвестный разрез"):
        ageing(organization_ids=[books.org.pk], on=ON, by="account")


def test_ageing_agrees_with_a_scalar_reference(books):
    """Random ledgers (charges, payments and reversals by debt month, penalties, negative
    months) against a plain-Python ageing of the same entries."""
    rng = random.Random(20250305)
    building = books.account.premises.building
    accounts = [books.account, *(AccountFactory(premises__building=building) for _ in range(2))]
    months = [date(2024, m, 1) for m in range(1, 13)] + [JAN, FEB, MAR]
    for _ in range(120):
        account = rng.choice(accounts)
        service = rng.choice([books.water, books.heat])
        period = rng.choice(months)
        kind = rng.choice(["charge", "charge", "payment", "penalty", "benefit"])
        amount = rng.randint(1, 5000_00)
        if kind in ("payment", "benefit"):
            amount = -amount
        debt_period = rng.choice(months) if kind == "payment" else None
        entry(
            books, account, service, period, amount, kind,
            debt_period=debt_period, penalty=kind == "penalty",
        )  # fmt: skip
    for on in (date(2024, 6, 15), date(2024, 12, 31), ON, date(2026, 1, 20)):
        expected: dict[tuple[int, int, int], dict[str, int]] = {}
        remainders: dict[tuple, int] = defaultdict(int)
        for e in LedgerEntry.objects.filter(organization_id=books.org.pk):
            if e.period > month_start(on):
                continue
            key = (e.account_id, e.service_id, e.payee_id, e.debt_period or e.period, e.penalty)
            remainders[key] += e.amount_kopecks
        for (a, s, p, month, penalty), unpaid in remainders.items():
            row = expected.setdefault((a, s, p), dict.fromkeys(FIGURES, 0))
            if unpaid < 0:
                row["advance"] -= unpaid
            elif penalty:
                row["penalty"] += unpaid
            else:
                row[bucket_of(month, on)] += unpaid
        for row in expected.values():
            row["overdue"] = sum(row[b] for b in OVERDUE_BUCKETS)
            row["principal"] = row["overdue"] + row["not_due"]
        expected = {k: v for k, v in expected.items() if any(v.values())}
        assert lines(books, on) == expected, on
        summed = dict.fromkeys(FIGURES, 0)
        for row in expected.values():
            for f in FIGURES:
                summed[f] += row[f]
        assert totals(books, on) == summed


# ----------------------------------------------------------------------------- collection


def test_collection_percent_rounds_half_up():
    assert collection_percent(1, 3) == Decimal("33.33")
    assert collection_percent(2, 3) == Decimal("66.67")
    assert collection_percent(1, 8) == Decimal("12.50")
    assert collection_percent(3, 2) == Decimal("150.00")
    assert collection_percent(5, 0) is None
    assert collection_percent(5, -100) is None


def test_collection_rate_per_building_and_month(books, django_assert_num_queries):
    home = books.account.premises.building
    far = BuildingFactory(organization=books.org, address="ул. Мира, д. 3")
    e = AccountFactory(premises=PremisesFactory(building=far), number="500005")
    entry(books, books.account, books.heat, FEB, -400_00, EntryKind.BENEFIT)
    books.charge(books.account, books.water, FEB, 99_99, kind=EntryKind.PENALTY, penalty=True)
    pay(books, 2500_00, op="p-1")  # January: 2 500 of 4 000
    entry(books, e, books.water, FEB, 300_00, EntryKind.CHARGE)
    pay(books, 1000_00, op="p-2", account=e)  # 300 for February, 700 ahead for March
    reversed_ = pay(books, 100_00, op="p-3")  # a payment reversed counts nothing
    payment_reverse(payment=reversed_, reason="ошибка")  # posted in today's month
    with django_assert_num_queries(2):
        report = collection_rate(organization_ids=[books.org.pk], start=JAN, end=MAR)
    assert report.months == [JAN, FEB, MAR]
    assert [r.label for r in report.rows] == sorted([home.address, "ул. Мира, д. 3"])
    rows = {r.building_id: r for r in report.rows}
    jan, feb, mar = rows[home.pk].cells
    assert (jan.charged, jan.paid, jan.rate) == (4000_00, 2500_00, Decimal("62.50"))
    assert (feb.charged, feb.paid, feb.rate) == (3600_00, 0, Decimal("0.00"))
    assert mar.charged == mar.paid == 0 and mar.rate is None
    far_feb, far_mar = rows[far.pk].cells[1:]
    assert (far_feb.charged, far_feb.paid, far_feb.rate) == (300_00, 300_00, Decimal("100.00"))
    assert (far_mar.charged, far_mar.paid, far_mar.rate) == (0, 700_00, None)
    assert [(t.charged, t.paid) for t in report.totals] == [
        (4000_00, 2500_00),
        (3900_00, 300_00),
        (0, 700_00),
    ]
    assert (report.total.charged, report.total.paid) == (7900_00, 3500_00)
    assert report.total.rate == Decimal("44.30")
    only_far = collection_rate(
        organization_ids=[books.org.pk], start=JAN, end=MAR, building_id=far.pk
    )
    assert [r.building_id for r in only_far.rows] == [far.pk]
    assert collection_rate(organization_ids=[], start=JAN, end=MAR).rows == []


def test_collection_rate_refuses_bad_ranges(books):
    with pytest.raises(ValueError, match="раньше начала"):
        collection_rate(organization_ids=[books.org.pk], start=MAR, end=JAN)
    with pytest.raises(ValueError, match="не больше 36"):
        collection_rate(organization_ids=[books.org.pk], start=date(2022, 1, 1), end=MAR)
    # days inside the months are taken as their months
    report = collection_rate(
        organization_ids=[books.org.pk], start=date(2025, 1, 20), end=date(2025, 1, 31)
    )
    assert report.months == [JAN]


# ----------------------------------------------------------------------------- exports


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(data: bytes) -> list[list[object]]:
    ws = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_ageing_exports_carry_the_totals(books, town):
    pay(books, 2500_01, op="p-1")  # odd kopecks travel exactly
    sheet = ageing(organization_ids=[books.org.pk], on=ON, by="building")
    rows = read_csv(exports.ageing_csv(sheet))
    assert rows[0][0] == "Дом" and rows[0][1] == "Срок оплаты не наступил"
    assert rows[-1][0] == "Итого"
    overdue = 1 + FIGURES.index("overdue")
    assert rows[-1][overdue] == f"{Decimal(sheet.totals['overdue']) / 100:.2f}".replace(".", ",")
    table = read_xlsx(exports.ageing_xlsx(sheet))
    assert table[0][0] == "Задолженность по срокам просрочки на 05.03.2025"
    assert table[1] == rows[0]
    assert table[-1][0] == "Итого"
    assert Decimal(str(table[-1][overdue])) == Decimal(sheet.totals["overdue"]) / 100
    assert len(table) == 2 + len(sheet.rows) + 1
    total_only = read_csv(exports.ageing_csv(ageing(organization_ids=[books.org.pk], on=ON)))
    assert [r[0] for r in total_only] == ["Итого", "Итого"]


def test_debtor_exports_list_every_debtor_with_totals(books, town):
    query = DebtorQuery(debt=DebtFilter.of([books.org.pk]), on=ON)
    rows = read_csv(exports.debtors_csv(debtors_all(query)))
    assert rows[0][:3] == ["Лицевой счёт", "Плательщик", "Адрес"]
    assert [r[0] for r in rows[1:]] == ["400004", "100001", "200002", "Итого"]
    overdue = 3 + FIGURES.index("overdue")
    assert rows[-1][overdue] == "13700,00"
    assert rows[3][-2:] == ["06.2023", "20"]
    table = read_xlsx(exports.debtors_xlsx(debtors_all(query), on=ON))
    assert table[0][0] == "Должники на 05.03.2025"
    assert [r[0] for r in table[2:]] == ["400004", "100001", "200002", "Итого"]
    assert Decimal(str(table[-1][overdue])) == Decimal("13700.00")
    empty = read_csv(exports.debtors_csv([]))
    assert empty[-1][0] == "Итого" and len(empty) == 2


def test_collection_exports(books):
    pay(books, 2500_00, op="p-1")
    report = collection_rate(organization_ids=[books.org.pk], start=JAN, end=FEB)
    rows = read_csv(exports.collection_csv(report))
    assert rows[0] == ["Дом", "Месяц", "Начислено", "Оплачено", "Собираемость, %"]
    address = books.account.premises.building.address
    assert rows[1] == [address, "01.2025", "4000,00", "2500,00", "62,50"]
    assert rows[3] == [address, "за период", "8000,00", "2500,00", "31,25"]
    assert rows[-1] == ["Итого", "за период", "8000,00", "2500,00", "31,25"]
    table = read_xlsx(exports.collection_xlsx(report))
    assert table[0][0] == "Собираемость платежей за 01.2025–02.2025"
    assert table[-1][0] == "Итого"
    assert Decimal(str(table[-1][3])) == Decimal("2500.00")
    assert Decimal(str(table[-1][4])) == Decimal("31.25")


def test_an_xlsx_too_long_is_refused_with_a_message(books, town, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)
    query = DebtorQuery(debt=DebtFilter.of([books.org.pk]), on=ON)
    with pytest.raises(exports.ExportTooLarge, match="выгрузите CSV"):
        exports.debtors_xlsx(debtors_all(query), on=ON)
    assert len(read_csv(exports.debtors_csv(debtors_all(query)))) == 5  # CSV has no limit
