"""`raschet debt …` from the command line."""

from __future__ import annotations

from datetime import date

import pytest

from raschet import cli
from raschet.debt.models import DebtorNotice, KeyRate, SpecialPeriod
from raschet.ledger.models import EntryKind, LedgerEntry

pytestmark = pytest.mark.django_db


def run(capsys, *argv):
    code = cli.main(list(argv))
    return code, " ".join(capsys.readouterr().out.split())


def test_penalties_notices_and_plans_commands(books, capsys):
    code, out = run(
        capsys, "debt", "penalties", "--period", "2025-05", "--organization", books.org.code
    )
    assert code == 0 and "200,34" in out  # January unpaid to day 110, February to day 82
    assert LedgerEntry.objects.filter(kind=EntryKind.PENALTY).exists()
    code, out = run(
        capsys, "debt", "notices", "--on", "2025-06-01", "--threshold", "1000",
        "--months", "2", "--organization", books.org.code,
    )  # fmt: skip
    assert code == 0 and "письмами 1" in out
    assert DebtorNotice.objects.count() == 1
    code, out = run(capsys, "debt", "plans", "--on", "2025-06-01", "--organization", books.org.code)
    assert code == 0 and "соблюдаются 0" in out
    with pytest.raises(SystemExit):
        cli.main(["debt", "notices", "--threshold", "много", "--organization", books.org.code])


def test_rates_load_replaces_the_tables_and_refuses_a_bad_file(tmp_path, capsys):
    good = tmp_path / "rates.csv"
    good.write_text("effective_from,rate_percent\n2020-01-01,6.25\n2021-01-01,4.25\n", "utf-8")
    code, out = run(capsys, "debt", "rates-load", "--key-rates", str(good))
    assert code == 0 and "ключевых ставок 2" in out
    assert list(
        KeyRate.objects.order_by("effective_from").values_list("rate_hundredths", flat=True)
    ) == [625, 425]
    assert SpecialPeriod.objects.count() > 0  # the shipped periods
    bad = tmp_path / "bad.csv"
    bad.write_text("effective_from,rate_percent\n2020-13-01,6.25\n", "utf-8")
    code, out = run(capsys, "debt", "rates-load", "--key-rates", str(bad))
    assert code == 1 and "bad.csv" in out
    assert KeyRate.objects.count() == 2
    assert date(2020, 1, 1) in set(KeyRate.objects.values_list("effective_from", flat=True))
