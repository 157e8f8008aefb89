"""``raschet capitalrepair statement``: on screen, to CSV and XLSX, and its refusals."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from raschet import cli
from tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> int:
    return cli.main(["capitalrepair", "statement", *args])


def test_statement_on_screen(fund, capsys):
    assert run("--building", str(fund.building.pk), "--from", "2026-01", "--to", "2026-02") == 0
    out = capsys.readouterr().out
    assert "Остаток фонда на конец" in out and "2 015,50" in out
    assert "Остаток фонда на начало" in out and "400,00" in out


def test_statement_to_csv_and_xlsx(fund, tmp_path, capsys):
    building = str(fund.building.pk)
    csv_path = tmp_path / "fund.csv"
    assert (
        run("--building", building, "--from", "2026-01", "--to", "2026-02", "--out", str(csv_path))
        == 0
    )
    text = csv_path.read_bytes().decode("utf-8-sig")
    assert "Остаток фонда на конец;2015,50" in text
    assert "Выписка: 3 лицевых счетов" in capsys.readouterr().out
    xlsx_path = tmp_path / "fund.xlsx"
    assert (
        run("--building", building, "--from", "2026-01", "--to", "2026-02", "--out", str(xlsx_path))
        == 0
    )
    book = load_workbook(io.BytesIO(xlsx_path.read_bytes()))
    assert book.sheetnames == ["Фонд", "Расходы", "Лицевые счета"]


def test_refusals(fund, tmp_path, capsys):
    building = str(fund.building.pk)
    assert run("--building", "999999", "--from", "2026-01", "--to", "2026-02") == 2
    assert "999999" in capsys.readouterr().out
    assert run("--building", building, "--from", "2026-03", "--to", "2026-02") == 1
    assert "раньше начала" in capsys.readouterr().out
    assert (
        run(
            "--building",
            building,
            "--from",
            "2026-01",
            "--to",
            "2026-02",
            "--out",
            str(tmp_path / "f.pdf"),
        )
        == 2
    )
    bare = BuildingFactory(organization=fund.org)
    out = tmp_path / "bare.csv"
    assert (
        run("--building", str(bare.pk), "--from", "2026-01", "--to", "2026-02", "--out", str(out))
        == 0
    )
    assert "Способ формирования фонда;не указан" in out.read_bytes().decode("utf-8-sig")
    with pytest.raises(SystemExit):
        run("--building", building, "--from", "2026-13", "--to", "2026-02")
    assert "ГГГГ-ММ" in capsys.readouterr().err
