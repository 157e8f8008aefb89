"""A premises heat meter without a reading of the month (ПП 354 п.59, п.60; rules.md §1.4,
§1.5), vectorised.

Формула 3(3) shares the heat no premises meter measured, ``V_D − Σ V_ИПУ``, so it needs a
volume for every premises of the building. ПП 354 п.59 applies to heat meters like any
other: a premises whose meter has no reading is taken at its average monthly volume — for
heating the average per month **of the heating season** (rules.md §1.4, first paragraph) —
within the limits of п.59 «а» (meter broken, verification expired: 3 months residential,
2 non-residential), «б» (no reading: 6 / 3) and «в» (no access: 3), then at the norm
(п.60; for heating without the increasing coefficient, rules.md §1.3). The average needs a
base of at least 3 season months (rules.md §14 "Average base"). Only when there is no basis
for the average inside the limits does the building fall back to формула 3.

One row per premises with a heating meter. The scalar `Decimal` reference is
`raschet.core.heating_meters_reference`; ``tests/core/test_heating_correction.py`` proves
they agree.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

from raschet.core.billing import MeterCondition, Settings, average_volume

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
Bool = npt.NDArray[np.bool_]
DEFAULT_SETTINGS = Settings()


class HeatBasis(IntEnum):
    """What a premises' heat volume of the month is."""

    NONE = 0  # no basis: the building falls back to формула 3
    READING = 1  # the meter's reading of the month
    AVERAGE = 2  # п.59: the average month of the heating season
    NORM = 3  # п.60: after the limit, the norm N_T × S_i


def heat_meter_volumes(
    *,
    reading_present: Bool,
    reading_volume: I64,
    condition: I8,
    residential: Bool,
    spell_months: I64,
    base_volume: I64,
    base_months: I64,
    norm_volume: I64,
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[I64, I8]:
    """Each premises' heat volume for формула 3(3) (VOLUME_SCALE) and its `HeatBasis`.

    ``spell_months``: the heating-season month of the current «а»/«б»/«в» spell (1 = the
    first); ``base_volume`` / ``base_months``: Σ and count of the season months of the
    average's base; ``norm_volume``: ``N_T × S_i`` of the month, −1 when there is no norm.
    A row of basis `HeatBasis.NONE` has volume −1.
    """
    cond = np.asarray(condition)
    res = np.asarray(residential, dtype=np.bool_)
    spell = np.asarray(spell_months, dtype=np.int64)
    lim_b = np.where(
        res, settings.missing_limit_residential, settings.missing_limit_non_residential
    )
    lim_a = np.where(res, settings.broken_limit_residential, settings.broken_limit_non_residential)
    limit = np.select(
        [cond == MeterCondition.BROKEN, cond == MeterCondition.NO_ACCESS],
        [lim_a, settings.no_access_limit],
        default=lim_b,
    )
    read = np.asarray(reading_present, dtype=np.bool_) & (cond == MeterCondition.WORKING)
    has_base = np.asarray(base_months) >= settings.average_min_months
    has_norm = np.asarray(norm_volume) >= 0
    basis = np.select(
        [read, spell <= limit, has_norm],
        [
            HeatBasis.READING,
            np.where(has_base, HeatBasis.AVERAGE, HeatBasis.NONE),
            HeatBasis.NORM,
        ],
        default=HeatBasis.NONE,
    ).astype(np.int8)
    average = average_volume(
        np.asarray(base_volume, dtype=np.int64), np.asarray(base_months, dtype=np.int64)
    )
    volume = np.select(
        [
            basis == HeatBasis.READING,
            basis == HeatBasis.AVERAGE,
            basis == HeatBasis.NORM,
        ],
        [reading_volume, average, norm_volume],
        default=-1,
    ).astype(np.int64)
    return volume, basis
