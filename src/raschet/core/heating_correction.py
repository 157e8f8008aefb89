"""The yearly correction of heating paid evenly with a building meter (ПП 354 формула 3(2);
rules.md §1.5), vectorised.

When heating is spread evenly over the year, each month is charged on last year's
building-meter volume (формула 3(1)). Once a year the difference with the actual cost is
settled: ``ΔP_i = P_k.p × S_i / S_ob − Σ P_i`` — the account's share of what the building's
heat actually cost in the year, less what the account was charged for heating in that year.

* ``P_k.p`` is the building meter's volume of every month of the year at the heating tariff
  in force: each month's volume is split over the tariff's sub-periods of the month by days,
  and each piece's cost ``V × T × d / D`` is kept to 1e-8 kopeck (`month_costs`);
* ``S_i / S_ob`` becomes the account's share of the building's area-days
  ``Σ(S_i × days) / (S_ob × days in the year)``, so an account heated for part of the year
  gets that part (for a whole year it is exactly ``S_i / S_ob``);
* the result is rounded half-up to the kopeck once (`year_corrections`).

Where every premises of the building has a heat meter read for all twelve months of the
year, the correction is формула 3(6) instead (ПП 354 п.42(1)): the year's actual payment is
the account's own heat-meter volumes at the tariffs plus its share by area of the year's
common part, ``Σ_m (V_D,m − Σ V_ИПУ,m) × T``, never below zero for the year
(`metered_year_corrections`).

The scalar `Decimal` reference is `raschet.core.heating_correction_reference`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from raschet.core.fixedpoint import KOPECKS_SCALE, mul_div_round, sum_by

I64 = npt.NDArray[np.int64]


def month_costs(
    volume: I64,
    rate: I64,
    days: I64,
    month_days: I64,
    building: I64,
    n_buildings: int,
    *,
    signed: bool = False,
) -> I64:
    """``P_k.p`` per building in 1e-8 kopeck: Σ over tariff sub-periods of the months of
    ``V_month × T × days / days in month``, each piece rounded half-up.

    One row per (building, month, tariff sub-period): the month's building-meter volume
    (VOLUME_SCALE), the tariff (RATE_SCALE), the sub-period's days and the month's days.
    The "building" may be any group (an account for its own heat-meter volumes). With
    ``signed`` a volume may be negative (the common part of формула 3(6) in a month whose
    premises' meters show more than the building's); a negative piece rounds half away from
    zero, like every signed quantity of the engine.
    """
    if (not signed and np.any(volume < 0)) or np.any(rate < 0):
        raise ValueError("объём ОДПУ и тариф на отопление не могут быть отрицательными")
    if np.any(days < 0) or np.any(month_days <= 0) or np.any(days > month_days):
        raise ValueError("дни подпериода тарифа заданы неверно")
    pieces = mul_div_round([volume, rate, days], month_days)
    return sum_by(pieces, building, n_buildings)


def year_corrections(
    year_cost: I64, area_days: I64, building_area: I64, year_days: I64, charged: I64
) -> I64:
    """Формула 3(2) per account, kopecks (signed: + to pay more, − to return).

    ``year_cost`` — the account's building's ``P_k.p`` (1e-8 kopeck); ``area_days`` — Σ of
    the account's area (AREA_SCALE) × the days it was heated in the year; ``building_area``
    — S_ob (AREA_SCALE); ``charged`` — what the account was charged for heating in the year
    (kopecks). ``round(P_k.p × area_days / (S_ob × days of the year)) − charged``.
    """
    if np.any(building_area <= 0):
        raise ValueError("общая площадь помещений дома (S_ob) должна быть больше нуля")
    if np.any(area_days < 0):
        raise ValueError("площадь × дни отопления не могут быть отрицательными")
    share = mul_div_round([year_cost, area_days], [building_area, year_days, KOPECKS_SCALE])
    return (share - charged).astype(np.int64)


def metered_year_corrections(
    own_cost: I64,
    common_cost: I64,
    area_days: I64,
    building_area: I64,
    year_days: I64,
    charged: I64,
) -> I64:
    """Формула 3(6) per account, kopecks (signed: + to pay more, − to return).

    ``own_cost`` — the account's own heat-meter volumes of the year at the tariffs (1e-8
    kopeck, `month_costs` grouped by account); ``common_cost`` — its building's year of
    ``(V_D,m − Σ V_ИПУ,m) × T`` (1e-8 kopeck, signed), taken as zero when negative (ПП 354
    п.42(1): the common part is never below zero); ``area_days``, ``building_area``,
    ``year_days`` as in `year_corrections`. The common share is rounded to 1e-8 kopeck,
    added to the own cost, and the sum rounded half-up to the kopeck once:
    ``round(own + round(max(common, 0) × area_days / (S_ob × days))) − charged``.
    """
    if np.any(building_area <= 0):
        raise ValueError("общая площадь помещений дома (S_ob) должна быть больше нуля")
    if np.any(area_days < 0):
        raise ValueError("площадь × дни отопления не могут быть отрицательными")
    if np.any(own_cost < 0):
        raise ValueError("стоимость тепла по ИПУ помещения не может быть отрицательной")
    share = mul_div_round([np.maximum(common_cost, 0), area_days], [building_area, year_days])
    total = mul_div_round([own_cost + share], KOPECKS_SCALE)
    return (total - charged).astype(np.int64)
