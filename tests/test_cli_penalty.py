"""``raschet penalty calc``: the calculator prints the segments and the total, needs no database.

No test here is marked ``django_db``: any database access would fail, so passing proves the
calculator works without one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raschet import cli

P1 = ["penalty", "calc", "--amount", "5000.00", "--due", "2025-02-10", "--until", "2025-05-20"]


def run_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert cli.main([*P1, *extra, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_p1_table_shows_every_segment_and_the_total(capsys) -> None:
    assert cli.main([*P1, "--payment", "2025-05-20:5000.00"]) == 0
    out = capsys.readouterr().out
    for text in ("13.03.2025", "11.05.2025", "12.05.2025", "20.05.2025", "1/300", "1/130"):
        assert text in out
    assert "95,00" in out and "32,88" in out
    assert "Итого пени: 127,88 ₽" in out
    assert "ПП РФ от 18.03.2025 № 329" in out
    assert "Долг, ₽" in out and "Доля ставки" in out


def test_p1_json(capsys) -> None:
    got = run_json(capsys, "--payment", "2025-05-20:5000.00")
    assert got == {
        "total": "127.88",
        "segments": [
            {
                "from": "2025-03-13",
                "to": "2025-05-11",
                "days": 60,
                "debt": "5000.00",
                "rate_percent": "9.50",
                "fraction": "1/300",
                "amount": "95.00",
                "amount_exact": "95.000000",
                "act": "ПП РФ от 18.03.2025 № 329",
            },
            {
                "from": "2025-05-12",
                "to": "2025-05-20",
                "days": 9,
                "debt": "5000.00",
                "rate_percent": "9.50",
                "fraction": "1/130",
                "amount": "32.88",
                "amount_exact": "32.884615",
                "act": "ПП РФ от 18.03.2025 № 329",
            },
        ],
    }


def test_p1_with_the_payment_day_excluded(capsys) -> None:
    got = run_json(capsys, "--payment", "2025-05-20:5000.00", "--payment-day-excluded")
    assert got["total"] == "124.23"
    assert got["segments"][-1]["to"] == "2025-05-19"


def test_partial_payment_and_daily_rates(capsys) -> None:
    got = run_json(capsys, "--payment", "2025-04-25:1000.00", "--rate-strategy", "daily")
    assert [(s["from"], s["to"], s["debt"]) for s in got["segments"]] == [
        ("2025-03-13", "2025-04-25", "5000.00"),
        ("2025-04-26", "2025-05-11", "4000.00"),
        ("2025-05-12", "2025-05-20", "4000.00"),
    ]
    assert got["total"] == "116.24"


def test_capital_repair_from_day_1(capsys) -> None:
    got = run_json(capsys, "--capital-repair")
    assert got["segments"] == [
        {
            "from": "2025-02-11",
            "to": "2025-05-20",
            "days": 99,
            "debt": "5000.00",
            "rate_percent": "9.50",
            "fraction": "1/300",
            "amount": "156.75",
            "amount_exact": "156.750000",
            "act": "ПП РФ от 18.03.2025 № 329",
        }
    ]


def test_moratorium_rows_in_the_table(capsys) -> None:
    args = ["penalty", "calc", "--amount", "1000", "--due", "2020-02-10", "--until", "2021-01-31"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "0 (мораторий)" in out and "06.04.2020" in out and "ПП РФ от 02.04.2020 № 424" in out


def test_other_rate_tables(tmp_path: Path, capsys) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("effective_from,rate_percent\n2020-01-01,10.00\n", encoding="utf-8")
    periods = tmp_path / "periods.csv"
    periods.write_text("start,end,kind,rate_percent,debts_due_before,act\n", encoding="utf-8")
    got = run_json(capsys, "--rates", str(rates), "--special-periods", str(periods))
    # 5000 × 10 % × (60/300 + 9/130) = 134.615… → 134.62
    assert got["total"] == "134.62"
    assert {s["act"] for s in got["segments"]} == {""}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--payment", "2025-04-25"], "--payment: нужно ДАТА:СУММА"),
        (["--payment", "25.04.2025:100"], "--payment: нужна дата ГГГГ-ММ-ДД"),
        (["--payment", "2025-04-25:сто"], "--payment: не сумма в рублях"),
        (["--payment", "2025-04-25:0"], "--payment: сумма должна быть больше нуля"),
        (["--payment", "2025-04-25:6000"], "платежи больше суммы долга"),
    ],
)
def test_bad_payments(capsys, extra: list[str], message: str) -> None:
    assert cli.main([*P1, *extra]) == 2
    assert message in capsys.readouterr().err


def test_bad_amount_and_dates(capsys) -> None:
    base = ["penalty", "calc", "--until", "2025-05-20"]
    assert cli.main([*base, "--amount", "-5", "--due", "2025-02-10"]) == 2
    assert "не может быть отрицательной" in capsys.readouterr().err
    assert cli.main([*base, "--amount", "5 000,001", "--due", "2025-02-10"]) == 2
    assert "--amount: не сумма в рублях" in capsys.readouterr().err
    assert cli.main([*base, "--amount", "5000", "--due", "10.02.2025"]) == 2
    assert "--due: нужна дата ГГГГ-ММ-ДД" in capsys.readouterr().err


def test_a_malformed_rates_file_names_the_line_and_field(tmp_path: Path, capsys) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("effective_from,rate_percent\n2020-01-01,10.00\n2021-13-01,9\n", "utf-8")
    assert cli.main([*P1, "--rates", str(rates)]) == 2
    err = capsys.readouterr().err
    assert "rates.csv, строка 3, поле effective_from" in err


def test_a_missing_rates_file(tmp_path: Path, capsys) -> None:
    assert cli.main([*P1, "--special-periods", str(tmp_path / "none.csv")]) == 2
    assert "нет такого файла" in capsys.readouterr().err


def test_until_is_required(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["penalty", "calc", "--amount", "1", "--due", "2025-02-10"])
    assert exc.value.code == 2
    assert "--until" in capsys.readouterr().err


def test_help_lists_the_penalty_command(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "penalty" in capsys.readouterr().out
