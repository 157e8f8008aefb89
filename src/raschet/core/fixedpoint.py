"""Exact fixed-point arithmetic over numpy int64 arrays.

Every quantity of the billing engine is an integer at a fixed scale (see the ``*_SCALE``
constants). Products of several scaled integers can exceed int64 for large values, so
`mul_div_round` computes ``round_half_up(a × b × … / d)`` on int64 where the product provably
fits and falls back to Python integers (exact, unbounded) for the rows where it might not.
A float is used only to *bound* the magnitude of a product, never for a value.

Rounding is half-up, away from zero on a tie, like `raschet.core.money.round_half_up`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

VOLUME_SCALE = 1_000_000
"""Volumes (m³, kWh, Gcal), areas prorated by days and person-months: 1e-6 of the unit."""
RATE_SCALE = 10_000
"""Tariffs: 1e-4 ruble (the tariff tables keep four decimal places)."""
NORM_SCALE = 1_000_000
"""Norms: 1e-6 of the unit per person, per m² or per m² of common area per month."""
AREA_SCALE = 100
"""Areas: 1e-2 m² (the housing passport keeps two decimal places)."""
PERCENT_SCALE = 100
"""Percentages: 1e-2 percent."""
KOPECKS_SCALE = VOLUME_SCALE * RATE_SCALE // 100
"""Divisor turning ``volume × rate`` (both scaled) into kopecks."""

_SAFE_BOUND = float(2**62)


def div_round(num: I64, den: I64 | int) -> I64:
    """``round_half_up(num / den)`` elementwise, ``den > 0``; ties go away from zero."""
    num = np.asarray(num, dtype=np.int64)
    den_a = np.asarray(den, dtype=np.int64)
    if np.any(den_a <= 0):
        raise ZeroDivisionError("делитель должен быть положительным")
    mag = np.abs(num)
    q, r = np.divmod(mag, den_a)
    q = q + (2 * r >= den_a)
    return np.where(num < 0, -q, q).astype(np.int64)


def mul_div_round(factors: Sequence[I64 | int], den: I64 | int) -> I64:
    """Exact ``round_half_up(Π factors / den)`` elementwise (``den > 0``).

    Rows whose product might not fit in int64 are computed with Python integers.
    """
    arrays = [np.asarray(f, dtype=np.int64) for f in factors]
    den_a = np.asarray(den, dtype=np.int64)
    shape = np.broadcast_shapes(*(a.shape for a in arrays), den_a.shape)
    bound = np.ones(shape, dtype=np.float64)
    for a in arrays:
        bound = bound * np.abs(a).astype(np.float64)
    safe = bound < _SAFE_BOUND
    if bool(np.all(safe)):
        prod = np.ones(shape, dtype=np.int64)
        for a in arrays:
            prod = prod * a
        return div_round(prod, np.broadcast_to(den_a, shape))
    out = np.zeros(shape, dtype=np.int64)
    if np.any(safe):
        prod = np.ones(int(safe.sum()), dtype=np.int64)
        for a in arrays:
            prod = prod * np.broadcast_to(a, shape)[safe]
        out[safe] = div_round(prod, np.broadcast_to(den_a, shape)[safe])
    idx = np.nonzero(~safe)
    full = [np.broadcast_to(a, shape)[idx] for a in arrays]
    dens = np.broadcast_to(den_a, shape)[idx]
    values = []
    for k in range(len(dens)):
        p = 1
        for a in full:
            p *= int(a[k])
        values.append(round_half_up_int(p, int(dens[k])))
    if any(abs(v) >= 2**63 for v in values):
        raise OverflowError("значение вне допустимого диапазона (больше 9·10¹⁸ единиц шкалы)")
    out[idx] = np.asarray(values, dtype=np.int64)
    return out


def round_half_up_int(num: int, den: int) -> int:
    """Scalar ``round_half_up(num / den)`` on Python integers (``den > 0``)."""
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return -q if num < 0 else q


def sum_by(values: I64, index: I64, size: int) -> I64:
    """Exact int64 sums of ``values`` grouped by ``index`` (0 ≤ index < size)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, index, values)
    return out


def prorate_cumulative(total: I64, weights: I64, group: I64, group_weight: I64) -> I64:
    """Split each group's ``total`` over its rows by ``weights`` so the parts sum exactly.

    Rows of one group must be contiguous. Row k gets
    ``round(total × W_k / W) − round(total × W_{k−1} / W)`` where ``W_k`` is the running
    sum of the group's weights — the parts add up to ``total`` with no kopeck lost.
    """
    n = len(weights)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, group[1:] != group[:-1]]
    run = np.cumsum(weights)
    base = np.maximum.accumulate(np.where(starts, run - weights, 0))
    cum = run - base
    prev = cum - weights
    gw = group_weight[group]
    safe_w = np.where(gw == 0, 1, gw)
    tot = total[group]
    upper = mul_div_round([tot, cum], safe_w)
    lower = mul_div_round([tot, prev], safe_w)
    return np.where(gw == 0, 0, upper - lower).astype(np.int64)
