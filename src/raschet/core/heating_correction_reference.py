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


def year_cost(pieces: Sequence[MonthPiece]) -> Decimal:
    """``P_k.p``: Σ ``V × T × d / D`` of the pieces, each to 1e-10 ruble, in rubles."""
    total = Decimal(0)
    with localcontext(prec=60, rounding=ROUND_HALF_UP):
        for p in pieces:
            if p.volume < 0 or p.rate < 0:
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
