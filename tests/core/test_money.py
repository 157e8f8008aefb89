from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raschet.core.money import (
    MoneyError,
    format_rubles,
    kopecks_to_decimal,
    parse_rubles,
    round_half_up,
    to_kopecks,
)


@pytest.mark.parametrize(
    ("text", "kopecks"),
    [("1 234,56", 123456), ("1234.56", 123456), ("-5", -500), ("0,1", 10), ("7\u00a0000", 700000)],
)
def test_parse_rubles(text, kopecks):
    assert parse_rubles(text) == kopecks


@pytest.mark.parametrize("bad", ["", "abc", "1,234", "1.2.3", "12,345", "1e5", "--1"])
def test_parse_rubles_rejects_garbage(bad):
    with pytest.raises(MoneyError, match="не сумма"):
        parse_rubles(bad)


def test_format_rubles_russian_style():
    assert format_rubles(112301) == "1\u00a0123,01"
    assert format_rubles(-5) == "-0,05"
    assert format_rubles(0) == "0,00"


def test_round_half_up_on_ties():
    # rules.md §1.9 C2: 748.671 → 748.67 and 374.3355 → 374.34 (tie away from zero)
    assert to_kopecks(Decimal("748.671")) == 74867
    assert to_kopecks(Decimal("374.3355")) == 37434
    assert round_half_up(Decimal("0.005")) == Decimal("0.01")
    assert round_half_up(Decimal("-0.005")) == Decimal("-0.01")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_parse_round_trip(kopecks):
    assert parse_rubles(format_rubles(kopecks)) == kopecks
    assert to_kopecks(kopecks_to_decimal(kopecks)) == kopecks
