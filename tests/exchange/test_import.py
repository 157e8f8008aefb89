"""Applying an office's answer: confirm, end, new; every error named by file, line and
field; all or nothing; once per file; and the recalculation of a closed month."""

from __future__ import annotations

import io
from datetime import date

import pytest

from raschet.billing.models import ChargeLine, LineKind
from raschet.billing.services import billing_month_close, billing_run
from raschet.exchange.dbf import DbfField, write_dbf
from raschet.exchange.models import ExchangeRun
from raschet.exchange.services import ExchangeError, exchange_import
from raschet.registry.models import PersonBenefit
from tests.exchange.conftest import DATA, FEB, JAN

pytestmark = pytest.mark.django_db
TODAY = date(2025, 2, 3)


def _import(stock, name, data=None, layout="answer-csv"):
    return exchange_import(
        organization=stock.organization,
        data=data if data is not None else (DATA / name).read_bytes(),
        file_name=name,
        layout_name=layout,
        today=TODAY,
    )


def _benefits(stock):
    return sorted(
        PersonBenefit.objects.filter(organization=stock.organization).values_list(
            "person__last_name", "category__code", "valid_from", "valid_to"
        )
    )


def test_sample_answer_ends_creates_and_confirms(stock):
    result = _import(stock, "answer.csv")
    assert result.ok, [p.text for p in result.problems]
    assert result.counts == {"confirmed": 1, "ended": 1, "new": 1, "unchanged": 0}
    assert _benefits(stock) == [
        ("Петров", "veteran", date(2020, 1, 1), date(2025, 1, 16)),
        ("Сидоров", "disabled_child", date(2020, 1, 1), None),
        ("Сидорова", "veteran", date(2025, 2, 1), None),
    ]
    new = PersonBenefit.objects.get(person=stock.mother)
    assert new.document == "Удостоверение ВТ № 123456"
    run = ExchangeRun.objects.get()
    assert (run.direction, run.state, run.rows, run.errors) == ("import", "done", 3, 0)
    assert "прекращено 1, назначено 1" in result.summary()


def test_every_error_is_named_and_nothing_is_applied(stock):
    before = _benefits(stock)
    result = _import(stock, "answer_bad.csv")
    assert not result.ok
    got = {(p.line, p.header): p.message for p in result.problems}
    assert "не сходится контрольное число" in got[(2, "СНИЛС")]
    assert got[(3, "Код льготы")] == "нет льготной категории с кодом «pensioner»"
    assert "действие «отменить» непонятно" in got[(4, "Действие")]
    assert got[(5, "Дата")].startswith("нужна дата: прекращения")
    assert got[(6, "Дата")].startswith("не дата: «31.02.2025»")
    assert got[(7, "Фамилия")] == "нет человека «Иванов Иван Иванович», родившегося 01.01.1960"
    assert got[(8, "Лицевой счёт")] == "нет лицевого счёта 999999"
    assert "не зарегистрирован(а) на лицевом счёте 500014" in got[(9, "Лицевой счёт")]
    assert result.problems[0].text.startswith("answer_bad.csv, строка 2, поле «СНИЛС»: ")
    assert _benefits(stock) == before
    run = ExchangeRun.objects.get()
    assert (run.state, run.errors, run.rows) == ("refused", len(result.problems), 8)
    assert run.error_list[0]["line"] == 2


def test_a_row_that_does_not_fit_the_registry_refuses_the_whole_file(stock):
    data = (
        "\ufeffСНИЛС;Фамилия;Имя;Отчество;Дата рождения;Лицевой счёт;Код льготы;Действие;"
        "Дата;Документ\n"
        "112-233-445 95;;;;;500012;veteran;прекращена;16.01.2025;\n"
        "98765432183;;;;;500014;disabled_child;новая;01.03.2025;\n"
        "98765432183;;;;;500014;veteran;подтверждена;;\n"
    ).encode()
    result = _import(stock, "mixed.csv", data)
    assert not result.ok
    texts = [p.text for p in result.problems]
    assert texts == [
        "mixed.csv, строка 3, поле «Дата»: у Сидоров Егор Андреевич уже есть льгота "
        "«disabled_child» с 01.01.2020",
        "mixed.csv, строка 4, поле «Код льготы»: нечего подтверждать: у Сидоров Егор "
        "Андреевич нет льготы «veteran» на 03.02.2025",
    ]
    # the valid first row was not applied either
    assert PersonBenefit.objects.get(person=stock.veteran).valid_to is None


def test_the_same_file_is_applied_once(stock):
    assert _import(stock, "answer.csv").ok
    again = _import(stock, "answer-copy.csv", (DATA / "answer.csv").read_bytes())
    assert not again.ok
    assert "уже принят" in again.problems[0].text
    assert PersonBenefit.objects.filter(person=stock.mother).count() == 1
    assert ExchangeRun.objects.filter(state="done").count() == 1


def test_wrong_encoding_missing_column_and_empty_file_are_refused(stock):
    wrong = _import(stock, "answer_cp1251.csv")
    assert wrong.problems[0].text == (
        "answer_cp1251.csv, строка 1: байты не в кодировке utf-8-sig макета «answer-csv»"
    )
    missing = _import(stock, "short.csv", "СНИЛС;Код льготы\n1;2\n".encode())
    assert "нет колонок «Фамилия»" in missing.problems[0].text
    empty = _import(stock, "empty.csv", b"")
    assert "файл пуст" in empty.problems[0].text
    not_xlsx = _import(stock, "answer.csv", layout="answer-xlsx")
    assert "не книга Excel" in not_xlsx.problems[0].text
    assert ExchangeRun.objects.filter(state="refused").count() == 4
    with pytest.raises(ExchangeError, match="не макет ответа"):
        _import(stock, "answer.csv", layout="default")


def test_dbf_answer_in_cp866(stock):
    fields = [
        DbfField("SNILS", "C", 14),
        DbfField("FAM", "C", 40),
        DbfField("IM", "C", 40),
        DbfField("OT", "C", 40),
        DbfField("DR", "D", 8),
        DbfField("LCHET", "C", 30),
        DbfField("KOD_LG", "C", 40),
        DbfField("DEIST", "C", 20),
        DbfField("DATA", "D", 8),
        DbfField("DOKUM", "C", 100),
    ]
    data = write_dbf(
        fields,
        [
            [
                "",
                "СИДОРОВА",
                "АННА",
                "СЕРГЕЕВНА",
                date(1985, 2, 2),
                "500014",
                "veteran",
                "3",
                date(2025, 3, 1),
                "Решение",
            ],
            ["11223344595", "", "", "", None, "", "VETERAN", "2", date(2025, 1, 16), ""],
        ],
        encoding="cp866",
        updated=TODAY,
    )
    result = _import(stock, "ANSWER.DBF", data, layout="answer")
    assert result.ok, [p.text for p in result.problems]
    assert ("Сидорова", "veteran", date(2025, 3, 1), None) in _benefits(stock)
    assert PersonBenefit.objects.get(person=stock.veteran).valid_to == date(2025, 1, 16)


def test_xlsx_answer(stock):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(
        [
            "СНИЛС",
            "Фамилия",
            "Имя",
            "Отчество",
            "Дата рождения",
            "Лицевой счёт",
            "Код льготы",
            "Действие",
            "Дата",
            "Документ",
        ]
    )
    ws.append(
        [
            "112-233-445 95",
            None,
            None,
            None,
            None,
            500012,
            "veteran",
            "Прекращена",
            date(2025, 1, 16),
            None,
        ]
    )
    out = io.BytesIO()
    book.save(out)
    result = _import(stock, "answer.xlsx", out.getvalue(), layout="answer-xlsx")
    assert result.ok, [p.text for p in result.problems]
    assert PersonBenefit.objects.get(person=stock.veteran).valid_to == date(2025, 1, 16)


def test_ending_a_benefit_in_a_closed_month_is_recalculated_by_the_next_run(billed):
    org = billed.organization
    billing_month_close(organization=org, period=JAN)
    january = ChargeLine.objects.get(account_id=billed.account.pk, period=JAN)
    assert january.benefit == -12478
    assert _import(billed, "answer.csv").ok  # the veteran's benefit ends on 16.01.2025
    run = billing_run(organization=org, period=FEB)
    recalc = ChargeLine.objects.get(
        run_id=run.pk, account_id=billed.account.pk, corrects_period=JAN
    )
    assert recalc.kind == LineKind.RECALCULATION
    # the benefit is gone on the line's last day (31.01): January's −124.78 is taken back
    assert recalc.benefit == 12478
    assert "льгот" in recalc.reason
    february = ChargeLine.objects.get(
        run_id=run.pk, account_id=billed.account.pk, corrects_period=FEB
    )
    assert february.benefit == 0
    # the family's account is untouched: its child's benefit was only confirmed
    assert not ChargeLine.objects.filter(
        run_id=run.pk, account_id=billed.family_account.pk, corrects_period=JAN
    ).exists()
