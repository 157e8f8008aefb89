"""``raschet exchange export|import``."""

from __future__ import annotations

import pytest

from raschet import cli
from raschet.exchange.dbf import read_dbf
from raschet.exchange.models import ExchangeRun
from raschet.registry.models import PersonBenefit
from tests.exchange.conftest import DATA

pytestmark = pytest.mark.django_db(transaction=False)


def test_export_writes_the_file_and_logs_the_run(billed, tmp_path, capsys):
    code = cli.main(
        ["exchange", "export", "--period", "2025-01", "--office", "U7", "--out", str(tmp_path),
         "--organization", "uk-exchange"]
    )  # fmt: skip
    assert code == 0
    path = tmp_path / "szn-uk-exchange-2025-01-U7.dbf"
    assert len(list(read_dbf(path.read_bytes()).rows())) == 2
    assert ExchangeRun.objects.get().office == "U7"
    assert "строк 2" in capsys.readouterr().err


def test_export_with_an_unknown_layout_fails(billed, tmp_path, capsys):
    code = cli.main(
        ["exchange", "export", "--period", "2025-01", "--layout", "nope", "--out", str(tmp_path),
         "--organization", "uk-exchange"]
    )  # fmt: skip
    assert code == 1
    assert "Нет макета «nope»" in capsys.readouterr().err


def test_import_applies_a_good_answer_and_lists_the_errors_of_a_bad_one(stock, capsys):
    args = ["exchange", "import", "--layout", "answer-csv", "--organization", "uk-exchange"]
    assert cli.main([*args[:2], str(DATA / "answer_bad.csv"), *args[2:]]) == 1
    out = capsys.readouterr().out
    assert "answer_bad.csv, строка 2, поле «СНИЛС»" in out
    assert "не принят" in out
    assert cli.main([*args[:2], str(DATA / "answer.csv"), *args[2:]]) == 0
    assert "принят: строк 3" in capsys.readouterr().out
    assert PersonBenefit.objects.get(person=stock.veteran).valid_to is not None
    assert cli.main([*args[:2], str(DATA / "missing.csv"), *args[2:]]) == 2
