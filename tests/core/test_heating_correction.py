"""The yearly heating correction (ПП 354 формулы 3(2), 3(6)): vectorised == `Decimal`
reference, and worked examples."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raschet.core import heating_correction_reference as ref
from raschet.core.heating_correction import (
    metered_year_corrections,
    month_costs,
    year_corrections,
)

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


signed_piece = st.builds(
    lambda v, r, dim, frac: (v, r, dim, min(frac, dim)),
    st.integers(-(10**9), 10**9),  # the common part of a month may be negative
    st.integers(0, 60_000_000),
    st.sampled_from([28, 29, 30, 31]),
    st.integers(0, 31),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(signed_piece, min_size=1, max_size=14),
    st.lists(
        st.tuples(st.lists(piece, max_size=14), st.integers(0, 200_000 * 366)),
        min_size=1,
        max_size=5,
    ),
    st.integers(1_000, 5_000_000),
    st.integers(-(10**9), 10**9),
)
def test_metered_correction_vectorised_equals_reference(common, accounts, building_area, charged):
    """Формула 3(6): own heat-meter costs per account + the area-days share of the year's
    common cost (≥ 0), by the vectorised code and by the `Decimal` reference."""
    common_cost = month_costs(
        i64([p[0] for p in common]),
        i64([p[1] for p in common]),
        i64([p[3] for p in common]),
        i64([p[2] for p in common]),
        i64([0] * len(common)),
        1,
        signed=True,
    )
    ref_common = ref.year_cost(
        [ref.MonthPiece(D(v).scaleb(-6), D(r).scaleb(-4), days, dim) for v, r, dim, days in common],
        signed=True,
    )
    assert common_cost.tolist() == [int(ref_common.scaleb(10))]
    rows = [(k, *p) for k, (pieces, _) in enumerate(accounts) for p in pieces]
    own_cost = month_costs(
        i64([r[1] for r in rows]),
        i64([r[2] for r in rows]),
        i64([r[4] for r in rows]),
        i64([r[3] for r in rows]),
        i64([r[0] for r in rows]),
        len(accounts),
    )
    n = len(accounts)
    got = metered_year_corrections(
        own_cost,
        np.repeat(common_cost, n),
        i64([a for _, a in accounts]),
        i64([building_area] * n),
        i64([365] * n),
        i64([charged] * n),
    )
    want = [
        ref.metered_year_correction(
            ref.year_cost(
                [
                    ref.MonthPiece(D(v).scaleb(-6), D(r).scaleb(-4), days, dim)
                    for v, r, dim, days in pieces
                ]
            ),
            ref_common,
            D(a).scaleb(-2),
            D(building_area).scaleb(-2),
            365,
            charged,
        )
        for pieces, a in accounts
    ]
    assert got.tolist() == want


def test_metered_correction_worked_example():
    """Формула 3(6): own 6.0 Gcal × 2 850.00 = 17 100.00; the building's common part
    2.0 Gcal × 2 850.00 = 5 700.00, by 54 / 100 for the whole year → 3 078.00; paid
    19 000.00 → +1 178.00. A negative common part of the year counts as zero → −1 900.00."""
    own = month_costs(i64([6_000_000]), i64([28_500_000]), i64([31]), i64([31]), i64([0]), 1)
    common = month_costs(
        i64([2_000_000, -3_000_000]),
        i64([28_500_000, 28_500_000]),
        i64([31, 31]),
        i64([31, 31]),
        i64([0, 1]),
        2,
        signed=True,
    )
    got = metered_year_corrections(
        np.repeat(own, 2),
        common,
        i64([5400 * 365] * 2),
        i64([10_000] * 2),
        i64([365] * 2),
        i64([1_900_000] * 2),
    )
    assert got.tolist() == [117_800, -190_000]
    assert (
        ref.metered_year_correction(D(17100), D(-8550), D(54 * 365), D(100), 365, 1_900_000)
        == -190_000
    )


def test_metered_correction_refuses_bad_input():
    with pytest.raises(ValueError, match="S_ob"):
        metered_year_corrections(i64([1]), i64([1]), i64([1]), i64([0]), i64([365]), i64([0]))
    with pytest.raises(ValueError, match="ИПУ"):
        metered_year_corrections(i64([-1]), i64([1]), i64([1]), i64([1]), i64([365]), i64([0]))
    with pytest.raises(ValueError, match="ИПУ"):
        ref.metered_year_correction(D(-1), D(0), D(1), D(1), 365, 0)
    with pytest.raises(ValueError, match="отрицательными"):
        month_costs(i64([-1]), i64([1]), i64([1]), i64([30]), i64([0]), 1)
