"""Recompute-and-diff over arrays, and the bulk write of charge lines.

For every computed line (account × service × month) the figures already posted for that
month are subtracted; a line with nothing posted becomes the month's charge, a line whose
figures differ becomes a recalculation with a reason, an equal line writes nothing.
"""

# ruff: noqa: S608 - the SQL here joins fixed table names and placeholders, never input
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection

from raschet.billing import arrays as A
from raschet.billing import explain
from raschet.billing.models import BillingRun, ChargeLine, LineKind, RunState
from raschet.core import billing as core

I64 = npt.NDArray[np.int64]
KEY = 1 << 24
FIGURES = (
    "volume",
    "coefficient_volume",
    "amount",
    "coefficient_amount",
    "reduction",
    "benefit",
    "fine",
    "benefit_cash",
)
PROVENANCE = ("rate", "norm", "persons", "area", "method")
CORRECTIONS = (int(core.Method.HEATING_CORRECTION), int(core.Method.HEATING_CORRECTION_METERED))
"""Yearly heating corrections (`raschet.billing.heating_correction`, формулы 3(2) and 3(6))
are diffed on their own: a month's posted sums leave them out."""


@dataclass(frozen=True)
class Figures:
    """One line's figures and provenance (a computed line, a posted sum, or a difference)."""

    method: int
    volume: int
    coefficient_volume: int
    rate: int | None
    norm: int | None
    persons: int
    area: int
    average_months: int
    segments: int
    amount: int
    coefficient_amount: int
    reduction: int
    benefit: int
    fine: int = 0  # part of ``reduction``
    reduction_reasons: int = 0  # `core.ReductionReason` bits (provenance)
    benefit_cash: int = 0  # ЕДК (≤ 0 on a charge): reported, not part of the total


def posted_sums(organization_id: int, account_ids: list[int], months: list[date]) -> dict[str, I64]:
    """Posted figures per (account, service, corrected month), summed over every posted
    line, with the provenance of the latest line; sorted by ``key`` then ``month``."""
    posted = list(
        BillingRun.objects.filter(
            organization_id=organization_id, state=RunState.POSTED
        ).values_list("pk", flat=True)
    )
    names = ["account", "service", "month", *FIGURES, "id", *PROVENANCE]
    if not posted or not account_ids:
        return {n: np.zeros(0, dtype=np.int64) for n in ["key", *names]}
    marks = ", ".join(["%s"] * len(posted))
    months_marks = ", ".join(["%s"] * len(months))
    rows = A.read(
        f"SELECT account_id, service_id, {A.days_sql('corrects_period')}, "
        f"{', '.join(FIGURES)}, id, COALESCE(rate, -1), COALESCE(norm, -1), persons, area, method "
        f"FROM {ChargeLine._meta.db_table} WHERE run_id IN ({marks}) "
        f"AND corrects_period IN ({months_marks}) "
        f"AND account_id >= %s AND account_id <= %s AND method NOT IN (%s, %s) ORDER BY id",
        [*posted, *months, min(account_ids), max(account_ids), *CORRECTIONS],
        names,
    )
    wanted = np.isin(rows["account"], np.asarray(account_ids, dtype=np.int64))
    rows = {k: v[wanted] for k, v in rows.items()}
    key = rows["account"] * KEY + rows["service"]
    order = np.lexsort((rows["id"], rows["month"], key))
    rows = {k: v[order] for k, v in rows.items()}
    key = key[order]
    if len(key) == 0:
        return {n: np.zeros(0, dtype=np.int64) for n in ["key", *names]}
    group = np.r_[True, (key[1:] != key[:-1]) | (rows["month"][1:] != rows["month"][:-1])]
    starts = np.nonzero(group)[0]
    ends = np.r_[starts[1:], len(key)] - 1
    out: dict[str, I64] = {"key": key[starts], "account": rows["account"][starts]}
    out["service"] = rows["service"][starts]
    out["month"] = rows["month"][starts]
    for f in FIGURES:
        out[f] = np.add.reduceat(rows[f], starts) if len(starts) else rows[f][:0]
    for p in (*PROVENANCE, "id"):
        out[p] = rows[p][ends]
    return out


@dataclass
class MonthOutput:
    charges: dict[str, Any]  # arrays of new lines (charges, or first lines of a past month)
    recalculations: list[tuple[Any, ...]]  # rows in services.LINE_COLUMNS order
    seen: set[tuple[int, int, int]]


def month_output(
    run: BillingRun, month_start: date, batch: Any, result: core.Result, posted: dict[str, I64]
) -> MonthOutput:
    meta = batch.meta
    n = len(result.method)
    day = A.day_number(month_start)
    key = meta["account_id"] * KEY + meta["service_id"]
    in_month = posted["month"] == day
    p_key = posted["key"][in_month]
    p_idx = np.nonzero(in_month)[0]
    pos = np.searchsorted(p_key, key)
    pos_c = np.minimum(pos, max(len(p_key) - 1, 0))
    has = (len(p_key) > 0) & (p_key[pos_c] == key) if len(p_key) else np.zeros(n, dtype=bool)
    seen = {
        (int(a), int(s), day)
        for a, s in zip(
            meta["account_id"][has].tolist(), meta["service_id"][has].tolist(), strict=True
        )
    }
    # new lines: nothing posted for the key yet
    new = ~has & ~((result.method == core.Method.NONE) & (result.amount == 0))
    # lines that lost days to a capital-repair exemption carry its note in their reason;
    # a line exempt the whole month is not written (nothing to charge), like heating out
    # of season (`raschet.billing.exemptions`)
    notes: dict[int, str] = getattr(batch, "notes", {}) or {}
    noted = np.zeros(n, dtype=bool)
    if notes:
        noted[np.fromiter(notes, dtype=np.int64, count=len(notes))] = True
        new &= ~(noted & (meta["segments"] == 0) & (result.amount == 0))
    # a multi-zone line charged by readings has a rate per zone, not one rate
    by_zones = (meta["zones"] > 1) & np.isin(
        result.method,
        [
            core.Method.METER,
            core.Method.AVERAGE_NOT_SUBMITTED,
            core.Method.AVERAGE_BROKEN,
            core.Method.AVERAGE_NO_ACCESS,
        ],
    )
    meta = {**meta, "rate": np.where(by_zones, -1, meta["rate"])}
    kind = LineKind.CHARGE if month_start == run.period else LineKind.RECALCULATION
    base_reason = "" if kind == LineKind.CHARGE else "начисление за прошлый месяц"
    noted_new = np.nonzero(new & noted)[0].tolist()
    new &= ~noted
    charges = {
        "kind": kind,
        "reason": base_reason,
        "corrects_period": month_start,
        "account_id": meta["account_id"][new],
        "service_id": meta["service_id"][new],
        "payee_id": meta["payee_id"][new],
        "method": result.method[new].astype(np.int64),
        "volume": result.volume[new],
        "coefficient_volume": result.coefficient_volume[new],
        "rate": meta["rate"][new],
        "norm": meta["norm"][new],
        "persons": meta["persons"][new],
        "area": meta["area"][new],
        "average_months": meta["average_months"][new],
        "segments": meta["segments"][new],
        "amount": result.amount[new],
        "coefficient_amount": result.coefficient_amount[new],
        "reduction": result.reduction[new],
        "benefit": result.benefit[new],
        "fine": result.fine[new],
        "reduction_reasons": result.reduction_reasons[new],
        "benefit_cash": result.benefit_cash[new],
    }
    # new lines with an exemption note: written one by one (few), the note in the reason
    recalcs: list[tuple[Any, ...]] = [
        line_row(
            run,
            account_id=int(meta["account_id"][k]),
            service_id=int(meta["service_id"][k]),
            payee_id=_opt(meta["payee_id"][k]),
            corrects=month_start,
            kind=kind,
            fig=_figures(result, meta, k),
            reason="; ".join(x for x in (base_reason, notes[k]) if x),
        )
        for k in noted_new
    ]
    # lines already posted: only differences, as recalculations with a reason
    idx = np.nonzero(has)[0]
    if len(idx):
        prow = p_idx[pos_c[idx]]
        computed = {f: getattr(result, f)[idx] for f in FIGURES}
        differs = np.zeros(len(idx), dtype=bool)
        for f in FIGURES:
            differs |= computed[f] != posted[f][prow]
        for j in np.nonzero(differs)[0].tolist():
            k, r = int(idx[j]), int(prow[j])
            fig = _figures(result, meta, k)
            was = _posted_row(posted, r)
            recalcs.append(
                line_row(
                    run,
                    account_id=int(meta["account_id"][k]),
                    service_id=int(meta["service_id"][k]),
                    payee_id=_opt(meta["payee_id"][k]),
                    corrects=month_start,
                    kind=LineKind.RECALCULATION,
                    fig=_minus(fig, was),
                    reason=explain.recalculation_reason(was, fig, note=notes.get(k, "")),
                )
            )
    return MonthOutput(charges=charges, recalculations=recalcs, seen=seen)


def reversals(
    run: BillingRun, posted: dict[str, I64], seen: set[tuple[int, int, int]]
) -> list[tuple[Any, ...]]:
    """Posted lines the facts no longer support (a service disconnected retroactively):
    reverse what was posted."""
    rows = []
    for r in range(len(posted["key"])):
        key = (int(posted["account"][r]), int(posted["service"][r]), int(posted["month"][r]))
        if key in seen or not any(int(posted[f][r]) for f in FIGURES[2:]):
            continue
        was = _posted_row(posted, r)
        zero = Figures(**{**was.__dict__, **{f: 0 for f in FIGURES}})
        rows.append(
            line_row(
                run,
                account_id=key[0],
                service_id=key[1],
                payee_id=None,
                corrects=A.from_day_number(key[2]),
                kind=LineKind.RECALCULATION,
                fig=_minus(zero, was),
                reason="услуга больше не начисляется",
            )
        )
    return rows


def _figures(result: core.Result, meta: dict[str, Any], k: int) -> Figures:
    """The computed figures and provenance of line ``k``."""
    return Figures(
        method=int(result.method[k]),
        volume=int(result.volume[k]),
        coefficient_volume=int(result.coefficient_volume[k]),
        rate=_opt(meta["rate"][k]),
        norm=_opt(meta["norm"][k]),
        persons=int(meta["persons"][k]),
        area=int(meta["area"][k]),
        average_months=int(meta["average_months"][k]),
        segments=int(meta["segments"][k]),
        amount=int(result.amount[k]),
        coefficient_amount=int(result.coefficient_amount[k]),
        reduction=int(result.reduction[k]),
        benefit=int(result.benefit[k]),
        fine=int(result.fine[k]),
        reduction_reasons=int(result.reduction_reasons[k]),
        benefit_cash=int(result.benefit_cash[k]),
    )


def _posted_row(posted: dict[str, I64], r: int) -> Figures:
    """The posted sums of one key, with the provenance of its latest line."""
    return Figures(
        method=int(posted["method"][r]),
        volume=int(posted["volume"][r]),
        coefficient_volume=int(posted["coefficient_volume"][r]),
        rate=_opt(posted["rate"][r]),
        norm=_opt(posted["norm"][r]),
        persons=int(posted["persons"][r]),
        area=int(posted["area"][r]),
        average_months=0,
        segments=1,
        amount=int(posted["amount"][r]),
        coefficient_amount=int(posted["coefficient_amount"][r]),
        reduction=int(posted["reduction"][r]),
        benefit=int(posted["benefit"][r]),
        fine=int(posted["fine"][r]),
        benefit_cash=int(posted["benefit_cash"][r]),
    )


def _opt(value: Any) -> int | None:
    v = int(value)
    return None if v < 0 else v


def _minus(now: Figures, was: Figures) -> Figures:
    return Figures(
        method=now.method,
        volume=now.volume - was.volume,
        coefficient_volume=now.coefficient_volume - was.coefficient_volume,
        rate=now.rate,
        norm=now.norm,
        persons=now.persons,
        area=now.area,
        average_months=now.average_months,
        segments=now.segments,
        amount=now.amount - was.amount,
        coefficient_amount=now.coefficient_amount - was.coefficient_amount,
        reduction=now.reduction - was.reduction,
        benefit=now.benefit - was.benefit,
        fine=now.fine - was.fine,
        reduction_reasons=now.reduction_reasons,
        benefit_cash=now.benefit_cash - was.benefit_cash,
    )


LINE_COLUMNS = [
    "run_id",
    "organization_id",
    "account_id",
    "service_id",
    "payee_id",
    "period",
    "corrects_period",
    "kind",
    "method",
    "volume",
    "coefficient_volume",
    "rate",
    "norm",
    "persons",
    "area",
    "average_months",
    "segments",
    "amount",
    "coefficient_amount",
    "reduction",
    "benefit",
    "fine",
    "reduction_reasons",
    "benefit_cash",
    "reason",
]


def line_row(
    run: BillingRun,
    *,
    account_id: int,
    service_id: int,
    payee_id: int | None,
    corrects: date,
    kind: str,
    fig: Figures,
    reason: str,
) -> tuple[Any, ...]:
    return (
        run.pk,
        run.organization_id,
        account_id,
        service_id,
        payee_id,
        run.period,
        corrects,
        str(kind),
        fig.method,
        fig.volume,
        fig.coefficient_volume,
        fig.rate,
        fig.norm,
        fig.persons,
        fig.area,
        fig.average_months,
        fig.segments,
        fig.amount,
        fig.coefficient_amount,
        fig.reduction,
        fig.benefit,
        fig.fine,
        fig.reduction_reasons,
        fig.benefit_cash,
        reason,
    )


INT8 = ("account_id", "service_id", *FIGURES)


def write_new_lines(run: BillingRun, charges: dict[str, Any]) -> int:
    """Write the new lines of one month: binary ``COPY`` on PostgreSQL, grouped by which of
    payee, rate and norm are NULL; ``bulk_create`` elsewhere."""
    n = len(charges["account_id"])
    if n == 0:
        return 0
    if connection.vendor != "postgresql":
        # columns in LINE_COLUMNS order, built whole and zipped into rows (no objects)
        def opt(a: Any) -> list[Any]:
            return [None if v < 0 else v for v in a.tolist()]

        def const(v: Any) -> list[Any]:
            return [v] * n

        columns = [
            const(run.pk),
            const(run.organization_id),
            charges["account_id"].tolist(),
            charges["service_id"].tolist(),
            opt(charges["payee_id"]),
            const(run.period),
            const(charges["corrects_period"]),
            const(str(charges["kind"])),
            charges["method"].tolist(),
            charges["volume"].tolist(),
            charges["coefficient_volume"].tolist(),
            opt(charges["rate"]),
            opt(charges["norm"]),
            charges["persons"].tolist(),
            charges["area"].tolist(),
            charges["average_months"].tolist(),
            charges["segments"].tolist(),
            charges["amount"].tolist(),
            charges["coefficient_amount"].tolist(),
            charges["reduction"].tolist(),
            charges["benefit"].tolist(),
            charges["fine"].tolist(),
            charges["reduction_reasons"].tolist(),
            charges["benefit_cash"].tolist(),
            const(charges["reason"]),
        ]
        write_rows(list(zip(*columns, strict=True)))
        return n
    pattern = (
        (charges["payee_id"] < 0).astype(np.int64)
        + 2 * (charges["rate"] < 0).astype(np.int64)
        + 4 * (charges["norm"] < 0).astype(np.int64)
    )
    for p in np.unique(pattern).tolist():
        sel = pattern == p
        m = int(sel.sum())
        cols: list[tuple[str, str, Any]] = [
            ("run_id", "int8", np.full(m, run.pk, dtype=np.int64)),
            ("organization_id", "int8", np.full(m, run.organization_id, dtype=np.int64)),
            ("period", "date", np.full(m, A.day_number(run.period), dtype=np.int32)),
            (
                "corrects_period",
                "date",
                np.full(m, A.day_number(charges["corrects_period"]), dtype=np.int32),
            ),
            ("kind", "text", str(charges["kind"])),
            ("reason", "text", charges["reason"]),
            ("method", "int2", charges["method"][sel]),
            ("persons", "int4", charges["persons"][sel]),
            ("average_months", "int2", charges["average_months"][sel]),
            ("segments", "int2", charges["segments"][sel]),
            ("reduction_reasons", "int2", charges["reduction_reasons"][sel]),
            ("area", "int8", charges["area"][sel]),
        ]
        cols += [(name, "int8", charges[name][sel]) for name in INT8]
        if not p & 1:
            cols.append(("payee_id", "int8", charges["payee_id"][sel]))
        if not p & 2:
            cols.append(("rate", "int8", charges["rate"][sel]))
        if not p & 4:
            cols.append(("norm", "int8", charges["norm"][sel]))
        A.copy_binary(ChargeLine._meta.db_table, cols)
    return n


def write_rows(rows: list[tuple[Any, ...]]) -> None:
    """Write lines given as tuples in `LINE_COLUMNS` order (one ``executemany``)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in LINE_COLUMNS)
    marks = ", ".join(["%s"] * len(LINE_COLUMNS))
    sql = f"INSERT INTO {quote(ChargeLine._meta.db_table)} ({names}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for k in range(0, len(rows), 50_000):
            cursor.executemany(sql, rows[k : k + 50_000])
