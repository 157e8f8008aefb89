"""The yearly heating correction (ПП 354 формула 3(2)): vectorised == `Decimal` reference,
and a worked example."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raschet.core import heating_correction_reference as ref
from raschet.core.heating_correction import month_costs, year_corrections

D = Decimal


def i64(values):
    return np.asarray(values, dtype=np.int64)


piece = st.builds(
    lambda v, r, dim, frac: (v, r, dim, min(frac, dim)),
    st.integers(0, 5 * 10**9),  # up to 5 000 Gcal a month
    st.integers(0, 60_000_000),  # up to 6 000 ₽/Gcal
    st.sampled_from([28, 29, 30, 31]),
    st.integers(0, 31),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(piece, min_size=1, max_size=14), min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 200_000 * 366)), max_size=6),
    st.integers(1_000, 5_000_000),
    st.integers(-(10**9), 10**9),
)
def test_vectorised_equals_reference(buildings, accounts, building_area, charged):
    rows = [(b, *p) for b, pieces in enumerate(buildings) for p in pieces]
    costs = month_costs(
        i64([r[1] for r in rows]),
        i64([r[2] for r in rows]),
        i64([r[4] for r in rows]),
        i64([r[3] for r in rows]),
        i64([r[0] for r in rows]),
        len(buildings),
    )
    expected_costs = [
        ref.year_cost(
            [
                ref.MonthPiece(D(v).scaleb(-6), D(r).scaleb(-4), days, dim)
                for v, r, dim, days in pieces
            ]
        )
        for pieces in buildings
    ]
    assert costs.tolist() == [int(c.scaleb(10)) for c in expected_costs]
    accounts = [(b % len(buildings), a) for b, a in accounts]
    got = year_corrections(
        costs[i64([b for b, _ in accounts])] if accounts else i64([]),
        i64([a for _, a in accounts]),
        i64([building_area] * len(accounts)),
        i64([366] * len(accounts)),
        i64([charged] * len(accounts)),
    )
    want = [
        ref.year_correction(
            expected_costs[b], D(a).scaleb(-2), D(building_area).scaleb(-2), 366, charged
        )
        for b, a in accounts
    ]
    assert got.tolist() == want


def test_worked_example_whole_year_is_the_area_share():
    """A building of 1 000 m² used 120 Gcal in the year at 2 850.00 ₽/Gcal: P_k.p = 342 000.00;
    a 54 m² flat heated all 365 days owes 342 000.00 × 54 / 1 000 = 18 468.00 and paid
    12 × 1 500.00 = 18 000.00 → +468.00."""
    costs = month_costs(
        i64([10_000_000] * 12),
        i64([28_500_000] * 12),
        i64([31] * 12),
        i64([31] * 12),
        i64([0] * 12),
        1,
    )
    assert costs.tolist() == [342_000 * 100 * 10**8]
    got = year_corrections(costs, i64([5400 * 365]), i64([100_000]), i64([365]), i64([1_800_000]))
    assert got.tolist() == [46_800]


def test_tariff_change_inside_a_month_splits_the_volume_by_days():
    # 10 Gcal in a 30-day month, 20 days at 2 000 ₽ and 10 days at 3 000 ₽ → 23 333.33…
    costs = month_costs(
        i64([10_000_000, 10_000_000]),
        i64([20_000_000, 30_000_000]),
        i64([20, 10]),
        i64([30, 30]),
        i64([0, 0]),
        1,
    )
    expected = ref.year_cost(
        [ref.MonthPiece(D(10), D(2000), 20, 30), ref.MonthPiece(D(10), D(3000), 10, 30)]
    )
    assert costs.tolist() == [int(expected.scaleb(10))] == [233_333_333_333_333]


@pytest.mark.parametrize(
    ("volume", "rate", "days", "dim", "message"),
    [(-1, 1, 1, 30, "отрицательными"), (1, 1, 31, 30, "дни подпериода"), (1, 1, 1, 0, "дни")],
)
def test_bad_input_is_refused(volume, rate, days, dim, message):
    with pytest.raises(ValueError, match=message):
        month_costs(i64([volume]), i64([rate]), i64([days]), i64([dim]), i64([0]), 1)
    with pytest.raises(ValueError, match=message):
        ref.year_cost([ref.MonthPiece(D(volume), D(rate), days, dim)])


def test_building_area_must_be_positive():
    with pytest.raises(ValueError, match="S_ob"):
        year_corrections(i64([1]), i64([1]), i64([0]), i64([365]), i64([0]))
    with pytest.raises(ValueError, match="S_ob"):
        ref.year_correction(D(1), D(1), D(0), 365, 0)
