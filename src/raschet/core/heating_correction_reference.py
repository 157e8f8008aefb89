"""Scalar `Decimal` reference of the yearly heating correction (ПП 354 формула 3(2)).

The second statement of `raschet.core.heating_correction`, in natural units: Gcal, rubles
per Gcal, m², days; 60 significant digits; rounded exactly where the vectorised code rounds
(each tariff sub-period's cost to 1e-10 ruble, the correction to the kopeck).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

_PIECE = Decimal("1e-10")  # 1e-8 kopeck


@dataclass(frozen=True)
class MonthPiece:
    """A tariff sub-period of a month of the year: the month's building-meter volume."""

    volume: Decimal  # Gcal, the whole month's
    rate: Decimal  # ₽ per Gcal
    days: int
    month_days: int


def year_cost(pieces: Sequence[MonthPiece], *, signed: bool = False) -> Decimal:
    """``P_k.p``: Σ ``V × T × d / D`` of the pieces, each to 1e-10 ruble, in rubles (with
    ``signed`` a volume may be negative: the common part of формула 3(6))."""
    total = Decimal(0)
    with localcontext(prec=60, rounding=ROUND_HALF_UP):
        for p in pieces:
            if (not signed and p.volume < 0) or p.rate < 0:
                raise ValueError("объём ОДПУ и тариф на отопление не могут быть отрицательными")
            if not 0 <= p.days <= p.month_days:
                raise ValueError("дни подпериода тарифа заданы неверно")
            piece = p.volume * p.rate * p.days / p.month_days
            total += piece.quantize(_PIECE, rounding=ROUND_HALF_UP)
    return total


def year_correction(
    cost: Decimal, area_days: Decimal, building_area: Decimal, year_days: int, charged: int
) -> int:
    """``round(P_k.p × Σ(S_i × days) / (S_ob × days of the year)) − Σ P_i`` in kopecks.

    ``cost`` in rubles, ``area_days`` in m² × days, ``building_area`` (S_ob) in m²,
    ``charged`` in kopecks.
    """
    if building_area <= 0:
        raise ValueError("общая площадь помещений дома (S_ob) должна быть больше нуля")
    with localcontext(prec=60, rounding=ROUND_HALF_UP):
        share = cost * 100 * area_days / (building_area * year_days)
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP)) - charged


def metered_year_correction(
    own_cost: Decimal,
    common_cost: Decimal,
    area_days: Decimal,
    building_area: Decimal,
    year_days: int,
    charged: int,
) -> int:
    """Формула 3(6) (ПП 354 п.42(1)) in kopecks: the own heat-meter cost of the year plus the
    area-days share of the year's common cost (zero when negative), the share kept to 1e-10
    ruble, the sum rounded to the kopeck, less ``charged``. Costs in rubles, areas in m²."""
    if building_area <= 0:
        raise ValueError("общая площадь помещений дома (S_ob) должна быть больше нуля")
    if own_cost < 0:
        raise ValueError("стоимость тепла по ИПУ помещения не может быть отрицательной")
    with localcontext(prec=60, rounding=ROUND_HALF_UP):
        share = (max(common_cost, Decimal(0)) * area_days / (building_area * year_days)).quantize(
            _PIECE, rounding=ROUND_HALF_UP
        )
        total = (own_cost + share) * 100
        return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP)) - charged
