"""Reads of billing: runs, an account's lines for a month, the scenario output."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from raschet.billing.derivation import charge_line_details
from raschet.billing.explain import LineDetails, explain_line, quality_limit_ru, quality_pool_ru
from raschet.billing.models import (
    ActState,
    BillingRun,
    ChargeLine,
    LineKind,
    QualityAct,
    QualityKind,
    RunState,
)
from raschet.billing.snapshot import FactsError, load_acts
from raschet.core.billing import METHOD_CODES, InterruptionAct, Method, interruption_pools
from raschet.core.fixedpoint import RATE_SCALE, VOLUME_SCALE
from raschet.core.money import kopecks_to_decimal
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.organizations.models import Organization
from raschet.tariffs.models import Service


def posted_run_ids(organization_id: int) -> list[int]:
    return list(
        BillingRun.objects.filter(
            organization_id=organization_id, state=RunState.POSTED
        ).values_list("pk", flat=True)
    )


def runs_for(organization_ids: list[int]) -> QuerySet[BillingRun]:
    return BillingRun.objects.filter(organization_id__in=organization_ids).select_related(
        "organization"
    )


@dataclass(frozen=True)
class _Interruption:
    """A confirmed interruption act as the derivation needs it."""

    service: str
    act: InterruptionAct
    two_sources: bool
    limits_ru: str


def quality_limits(
    organization_id: int, period: date, *, building_id: int | None = None
) -> dict[tuple[int, int | None, int], list[_Interruption]]:
    """The month's confirmed interruption acts per ``(building, account or None for the
    whole building, service)`` — for the derivation (`explain_line`, via `_limits_of`). An
    act the engine cannot use is left out (the run names it)."""
    acts = (
        QualityAct.objects.filter(
            organization_id=organization_id,
            period=period,
            state=ActState.CONFIRMED,
            kind=QualityKind.INTERRUPTION,
        )
        .select_related("service", "building")
        .order_by("pk")
    )
    if building_id is not None:
        acts = acts.filter(building_id=building_id)
    out: dict[tuple[int, int | None, int], list[_Interruption]] = defaultdict(list)
    for act in acts:
        try:
            text = quality_limit_ru(act.service.code, *act.limits())
        except ValueError:
            continue
        key = (act.building_id, act.account_id, act.service_id)
        two_sources = bool(act.building.electricity_two_sources)
        out[key].append(_Interruption(act.service.code, act.interruption(), two_sources, text))
    return out


def _limits_of(
    limits: dict[tuple[int, int | None, int], list[_Interruption]],
    building: int,
    account: int,
    service: int,
) -> str:
    """The limits the line's interruption acts (the building's and the account's) were
    checked against and, where several acts were pooled, their hours added up
    (`raschet.core.billing.interruption_pools`, as the run computes them)."""
    acts = [x for a in (None, account) for x in limits.get((building, a, service), [])]
    texts = list(dict.fromkeys(x.limits_ru for x in acts))
    if len(acts) > 1:
        try:
            pools = interruption_pools(
                acts[0].service, [x.act for x in acts], two_sources=acts[0].two_sources
            )
        except ValueError:
            pools = []
        texts += [quality_pool_ru(pool) for pool in pools if pool.acts > 1]
    return "; ".join(texts)


def line_quality_units(act: QualityAct) -> int:
    """The quality reduction of the month of the line ``act`` concerns, in 1/10 000 of the
    month's charge, with all its confirmed acts — the interruptions pooled against the
    month's limits (`raschet.billing.snapshot.ActFacts.for_line`). An act of the whole
    building is shown for itself; so is any act when another act of the month cannot be
    used (the run names that one)."""
    if act.account_id is None:
        return act.units()
    try:
        facts = load_acts([act.building_id], Month.of(act.period))
    except FactsError:
        return act.units()
    return facts.for_line(act.building_id, act.account_id, act.service_id).quality_units


def account_lines(
    account: Account, period: date, *, run: BillingRun | None = None, derive: bool = True
) -> list[ChargeLine]:
    """Lines posted in ``period`` for ``account`` (or the lines of ``run``), service order.

    ``derive`` computes the month of the account's buildings again for the figures the lines
    do not store (`raschet.billing.derivation`): a fixed number of reads, but a recompute of
    whole buildings — the portal's overview, a benchmarked page, goes without it."""
    run_ids = [run.pk] if run is not None else posted_run_ids(account.organization_id)
    lines = list(
        ChargeLine.objects.filter(
            run_id__in=run_ids, account_id=account.pk, period=period
        ).order_by("corrects_period", "service_id", "pk")
    )
    services = {s.pk: s for s in Service.objects.filter(organization_id=account.organization_id)}
    building = account.premises.building_id
    limits = (  # the short derivation (the portal's overview) goes without them too
        quality_limits(account.organization_id, period, building_id=building) if derive else {}
    )
    details = _details(account.organization, lines, [account.pk]) if derive else {}
    for line in lines:
        service = services.get(line.service_id)
        line.service = service  # type: ignore[attr-defined]
        line.explanation = explain_line(  # type: ignore[attr-defined]
            line,
            unit=service.get_unit_display() if service else "",
            service=service.name if service else "",
            quality_limits=_limits_of(limits, building, account.pk, line.service_id)
            if line.corrects_period == period
            else "",
            details=details.get((line.account_id, line.service_id, line.corrects_period)),
        )
    lines.sort(
        key=lambda ln: (ln.corrects_period, getattr(services.get(ln.service_id), "sort_order", 0))
    )
    return lines


def _details(
    organization: Any, lines: list[ChargeLine], account_ids: list[int]
) -> dict[tuple[int, int, date], LineDetails]:
    """The derivation details of the charge lines (`raschet.billing.derivation`), per
    (account, service, month); recalculation lines need none."""
    months = sorted(
        {ln.corrects_period for ln in lines if ln.kind == LineKind.CHARGE and ln.amount}
    )
    out: dict[tuple[int, int, date], LineDetails] = {}
    for month in months:
        for (acc, svc), d in charge_line_details(organization, month, account_ids).items():
            out[(acc, svc, month)] = d
    return out


def _volume(v: int) -> str:
    """A volume with at least three decimals (m³ 0.001), trailing zeros beyond that cut."""
    text = f"{Decimal(v) / VOLUME_SCALE:.6f}"
    whole, frac = text.split(".")
    return f"{whole}.{frac.rstrip('0').ljust(3, '0')}"


def _rubles(kopecks: int) -> str:
    return f"{kopecks_to_decimal(kopecks):.2f}"


def _rate(rate: int) -> str:
    text = f"{Decimal(rate) / RATE_SCALE:.4f}"
    whole, frac = text.split(".")
    return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"


def line_dict(line: ChargeLine, account_number: str, service: Service | None) -> dict[str, Any]:
    return {
        "account": account_number,
        "period": f"{line.corrects_period:%Y-%m}",
        "service": service.code if service else str(line.service_id),
        "method": METHOD_CODES.get(Method(line.method), str(line.method)),
        "volume": _volume(line.volume),
        "tariff": (
            str(Decimal(line.rate) / RATE_SCALE)
            if line.rate is not None and line.segments == 1
            else None
        ),
        "amount": _rubles(line.amount),
        "coefficient_amount": _rubles(line.coefficient_amount),
        "reduction": _rubles(line.reduction),
        "fine": _rubles(line.fine),
        "benefit": _rubles(line.benefit),
        "benefit_cash": _rubles(line.benefit_cash),
    }


def scenario_lines(organization_id: int, period: date) -> list[dict[str, Any]]:
    """Lines of ``period`` in the scenario output format (scenario-format.md, "Output").

    One object per account × service: the month's own charge (posted in the month) plus the
    recalculations of earlier months posted in it (``recalculation``, with reasons).
    """
    run_ids = posted_run_ids(organization_id)
    lines = list(ChargeLine.objects.filter(run_id__in=run_ids, period=period).order_by("pk"))
    services = {s.pk: s for s in Service.objects.filter(organization_id=organization_id)}
    numbers = dict(
        Account.objects.filter(organization_id=organization_id).values_list("pk", "number")
    )
    buildings = dict(
        Account.objects.filter(organization_id=organization_id).values_list(
            "pk", "premises__building_id"
        )
    )
    limits = quality_limits(organization_id, period)
    organization = Organization.objects.get(pk=organization_id)
    details = _details(
        organization, [ln for ln in lines if ln.corrects_period == period], sorted(numbers)
    )
    own: dict[tuple[int, int], list[ChargeLine]] = defaultdict(list)
    recalc: dict[tuple[int, int], list[ChargeLine]] = defaultdict(list)
    for line in lines:
        key = (line.account_id, line.service_id)
        if line.corrects_period == period and line.kind == LineKind.CHARGE:
            own[key].append(line)
        else:
            recalc[key].append(line)
    out = []
    for key in sorted(
        set(own) | set(recalc),
        key=lambda k: (
            numbers.get(k[0], ""),
            services[k[1]].sort_order if k[1] in services else 0,
            k[1],
        ),
    ):
        service = services.get(key[1])
        number = numbers.get(key[0], str(key[0]))
        base = own.get(key)
        if base:
            line = base[0]
            row = line_dict(line, number, service)
            row["explanation"] = explain_line(
                line,
                unit=service.get_unit_display() if service else "",
                service=service.name if service else "",
                quality_limits=_limits_of(limits, buildings.get(key[0], 0), key[0], key[1]),
                details=details.get((line.account_id, line.service_id, line.corrects_period)),
            )
            amount_total = line.amount + line.reduction + line.benefit
        else:
            row = {
                "account": number,
                "period": f"{period:%Y-%m}",
                "service": service.code if service else str(key[1]),
                "method": None,
                "volume": "0",
                "tariff": None,
                "amount": "0.00",
                "coefficient_amount": "0.00",
                "reduction": "0.00",
                "fine": "0.00",
                "benefit": "0.00",
                "benefit_cash": "0.00",
                "explanation": "",
            }
            amount_total = 0
        rec = recalc.get(key, [])
        rec_total = sum(r.amount + r.reduction + r.benefit for r in rec)
        row["recalculation"] = _rubles(rec_total)
        # a changed ЕДК of an earlier month: reported, not part of the total (rules.md §4.2)
        row["recalculation_benefit_cash"] = _rubles(sum(r.benefit_cash for r in rec))
        row["recalculation_reasons"] = [
            f"{r.corrects_period:%Y-%m}: {r.reason}"
            for r in rec
            if r.amount + r.reduction + r.benefit or r.benefit_cash
        ]
        row["total"] = _rubles(amount_total + rec_total)
        out.append(row)
    return out
