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

SAFE_BOUND = float(2**62)  # float-ok: bounds a magnitude, never a value


def magnitude(values: I64) -> npt.NDArray[np.float64]:  # float-ok: bounds only
    """|values| as floats — only to bound a product or a sum before computing it exactly."""
    return np.abs(values).astype(np.float64)  # float-ok: bounds a magnitude, never a value


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


def mul_div_round(factors: Sequence[I64 | int], den: I64 | int | Sequence[I64 | int]) -> I64:
    """Exact ``round_half_up(Π factors / Π den)`` elementwise (the divisor positive).

    ``den`` is one divisor or a sequence of divisor factors. Rows whose product or divisor
    might not fit in int64 are computed with Python integers.
    """
    arrays = [np.asarray(f, dtype=np.int64) for f in factors]
    dens = (
        [np.asarray(d, dtype=np.int64) for d in den]
        if isinstance(den, (list, tuple))
        else [np.asarray(den, dtype=np.int64)]
    )
    shape = np.broadcast_shapes(*(a.shape for a in arrays), *(d.shape for d in dens))
    bound = np.ones(shape, dtype=np.float64)  # float-ok: bounds a magnitude, never a value
    for a in arrays:
        bound = bound * magnitude(a)
    den_bound = np.ones(shape, dtype=np.float64)  # float-ok: bounds a magnitude, never a value
    for d in dens:
        den_bound = den_bound * magnitude(d)
    safe = (bound < SAFE_BOUND) & (den_bound < SAFE_BOUND)
    if bool(np.all(safe)):
        product = np.ones(shape, dtype=np.int64)
        for a in arrays:
            product = product * a
        divisor = np.ones(shape, dtype=np.int64)
        for d in dens:
            divisor = divisor * d
        return div_round(product, divisor)
    out = np.zeros(shape, dtype=np.int64)
    if np.any(safe):
        part_product = np.ones(int(safe.sum()), dtype=np.int64)
        for a in arrays:
            part_product = part_product * np.broadcast_to(a, shape)[safe]
        part_divisor = np.ones(int(safe.sum()), dtype=np.int64)
        for d in dens:
            part_divisor = part_divisor * np.broadcast_to(d, shape)[safe]
        out[safe] = div_round(part_product, part_divisor)
    idx = np.nonzero(~safe)
    full = [np.broadcast_to(a, shape)[idx] for a in arrays]
    full_den = [np.broadcast_to(d, shape)[idx] for d in dens]
    values = []
    for k in range(len(idx[0])):
        p = 1
        for a in full:
            p *= int(a[k])
        q = 1
        for d in full_den:
            q *= int(d[k])
        if q <= 0:
            raise ZeroDivisionError("делитель должен быть положительным")
        values.append(round_half_up_int(p, q))
    if any(abs(v) >= 2**63 for v in values):
        raise OverflowError("значение вне допустимого диапазона (больше 9·10¹⁸ единиц шкалы)")
    out[idx] = np.asarray(values, dtype=np.int64)
    return out


def sum_round(values: I64, index: I64, size: int, den: int) -> I64:
    """``round_half_up(Σ values / den)`` per group, exact even when a group's sum passes
    int64 (those groups are summed with Python integers)."""
    bound = np.zeros(size, dtype=np.float64)  # float-ok: bounds a magnitude, never a value
    np.add.at(bound, index, magnitude(values))
    big = bound >= SAFE_BOUND
    out = div_round(sum_by(np.where(big[index], 0, values), index, size), den)
    if np.any(big):
        totals: dict[int, int] = {}
        for g, v in zip(index[big[index]].tolist(), values[big[index]].tolist(), strict=True):
            totals[g] = totals.get(g, 0) + v
        for g, total in totals.items():
            value = round_half_up_int(total, den)
            if abs(value) >= 2**63:
                raise OverflowError(
                    "значение вне допустимого диапазона (больше 9·10¹⁸ единиц шкалы)"
                )
            out[g] = value
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
