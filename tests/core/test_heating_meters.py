"""A premises heat meter without a reading (ПП 354 п.59, п.60; rules.md §1.4, §1.5): the
vectorised `heat_meter_volumes` equals its `Decimal` reference, and the limits hold."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from raschet.core.billing import MeterCondition, Settings
from raschet.core.heating_meters import HeatBasis, heat_meter_volumes
from raschet.core.heating_meters_reference import heat_meter_volume

ROW = st.tuples(
    st.booleans(),  # reading present
    st.integers(0, 50_000_000_000),  # reading volume, 1e-6 Gcal
    st.sampled_from(list(MeterCondition)[1:]),
    st.booleans(),  # residential
    st.integers(1, 12),  # spell month
    st.integers(0, 300_000_000_000),  # Σ of the base
    st.integers(0, 6),  # months in the base
    st.none() | st.integers(0, 9_000_000),  # the norm volume
)


def vectorised(rows, cfg=None):
    cols = list(zip(*rows, strict=True))
    return heat_meter_volumes(
        reading_present=np.asarray(cols[0], dtype=np.bool_),
        reading_volume=np.asarray(cols[1], dtype=np.int64),
        condition=np.asarray([int(c) for c in cols[2]], dtype=np.int8),
        residential=np.asarray(cols[3], dtype=np.bool_),
        spell_months=np.asarray(cols[4], dtype=np.int64),
        base_volume=np.asarray(cols[5], dtype=np.int64),
        base_months=np.asarray(cols[6], dtype=np.int64),
        norm_volume=np.asarray([-1 if n is None else n for n in cols[7]], dtype=np.int64),
        settings=cfg or Settings(),
    )


def micro(value: int) -> Decimal:
    return Decimal(value).scaleb(-6)


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=20))
def test_vectorised_equals_reference(rows):
    volume, basis = vectorised(rows)
    for k, (present, read, cond, res, spell, base, months, norm) in enumerate(rows):
        want, want_basis = heat_meter_volume(
            reading_present=present,
            reading_volume=micro(read),
            condition=cond,
            residential=res,
            spell_months=spell,
            base_volume=micro(base),
            base_months=months,
            norm_volume=None if norm is None else micro(norm),
        )
        assert basis[k] == want_basis
        assert volume[k] == (-1 if want is None else int(want.scaleb(6)))


def test_limits_average_then_norm_and_no_basis_falls_back():
    """«б» residential: season months 1–6 by the average of 4 months (10 Gcal / 4 = 2.5),
    the 7th by the norm; «а»: 3 then norm; a base of 2 months: no basis (формула 3)."""
    w, b = MeterCondition.WORKING, MeterCondition.BROKEN
    rows = [
        (False, 0, w, True, 6, 10_000_000, 4, 1_200_000),
        (False, 0, w, True, 7, 10_000_000, 4, 1_200_000),
        (False, 0, b, True, 3, 10_000_000, 4, 1_200_000),
        (False, 0, b, True, 4, 10_000_000, 4, 1_200_000),
        (False, 0, w, False, 4, 10_000_000, 4, 1_200_000),  # non-residential «б»: 3
        (False, 0, w, True, 2, 10_000_000, 2, 1_200_000),
        (False, 0, w, True, 9, 10_000_000, 4, None),
        (True, 3_000_000, w, True, 9, 0, 0, None),
        (True, 3_000_000, b, True, 1, 10_000_000, 4, None),  # a broken meter's reading: «а»
    ]
    volume, basis = vectorised(rows)
    assert basis.tolist() == [
        HeatBasis.AVERAGE,
        HeatBasis.NORM,
        HeatBasis.AVERAGE,
        HeatBasis.NORM,
        HeatBasis.NORM,
        HeatBasis.NONE,
        HeatBasis.NONE,
        HeatBasis.READING,
        HeatBasis.AVERAGE,
    ]
    assert volume.tolist() == [
        2_500_000,
        1_200_000,
        2_500_000,
        1_200_000,
        1_200_000,
        -1,
        -1,
        3_000_000,
        2_500_000,
    ]
