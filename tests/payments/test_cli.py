"""`raschet import payments` and `raschet report turnover` from the command line."""

from __future__ import annotations

import csv
import io

import pytest

from raschet import cli
from raschet.payments.models import Payment
from tests.payments.registry_files import sber_file

pytestmark = pytest.mark.django_db


def test_import_payments_command(books, tmp_path, capsys):
    good = tmp_path / "reestr.txt"
    good.write_bytes(sber_file([("1", "100001", 100_00), ("2", "555", 50_00)]))
    code = cli.main(
        ["import", "payments", str(good), "--layout", "sberbank",
         "--organization", books.org.code, "--source", "sber", "--today", "2025-03-10"]
    )  # fmt: skip
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert code == 0, out
    assert "принято 1" in out and "не опознано 1" in out
    assert Payment.objects.count() == 2
    bad = tmp_path / "bad.txt"
    bad.write_bytes(sber_file([("3", "100001", 100_00)], total=1))
    code = cli.main(
        ["import", "payments", str(bad), "--layout", "sberbank",
         "--organization", books.org.code, "--source", "sber", "--today", "2025-03-10"]
    )  # fmt: skip
    assert code == 1
    assert "bad.txt" in capsys.readouterr().out
    assert Payment.objects.count() == 2
    assert cli.main(["import", "payments", str(good), "--layout", "nope",
                     "--organization", books.org.code]) == 2  # fmt: skip


def test_report_turnover_command(books, tmp_path, capsys):
    out_file = tmp_path / "osv.csv"
    code = cli.main(
        ["report", "turnover", "--period", "2025-01", "--to", "2025-02", "--by", "service",
         "--organization", books.org.code, "--output", str(out_file)]
    )  # fmt: skip
    assert code == 0
    rows = list(csv.reader(io.StringIO(out_file.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Услуга" and rows[-1][0] == "Итого"
    assert rows[-1][2] == "8000,00"  # charged: two months of 1 000 + 3 000
    xlsx = tmp_path / "osv.xlsx"
    assert cli.main(
        ["report", "turnover", "--period", "2025-01", "--format", "xlsx",
         "--organization", books.org.code, "--output", str(xlsx)]
    ) == 0  # fmt: skip
    assert xlsx.read_bytes()[:2] == b"PK"
