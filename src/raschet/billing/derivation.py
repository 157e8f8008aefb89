"""The figures behind the derivation of charge lines that the lines do not store.

A charge line keeps its method, volume, tariff, norm, residents, area and amounts; the
derivation a resident can redo also needs the building meter's volume and the premises'
total (rules.md §1.6), the evenly-heating factor K (§1.5), the absences and quality acts
(§1.7, §1.8), the benefit categories (§4.2), a shared premises meter (формулы 7, 8) and the
averaged months of a catch-up (§14). They are re-derived here at explain time: the month of
the accounts' buildings is computed again by the general builder (`snapshot._Builder`,
the reference path the run's two loaders are held equal to) and `core.compute`, nothing
written. `explain.LineDetails.matches` keeps a detail only when the recomputed figures are
the stored line's, so a month whose facts changed after it was posted is explained by what
the line itself stores. What is charged is not touched.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np

from raschet.billing.common_carry import SETTING
from raschet.billing.explain import BenefitDetail, LineDetails, QualityDetail
from raschet.billing.models import (
    ActState,
    BillingRun,
    ChargeLine,
    QualityAct,
    QualityKind,
    RunState,
)
from raschet.billing.snapshot import (
    AVERAGE_METHODS,
    FactsError,
    _Builder,
    load_facts,
    to_scaled,
)
from raschet.core import billing as core
from raschet.core.fixedpoint import AREA_SCALE, KOPECKS_SCALE, round_half_up_int
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.organizations.models import Organization

log = logging.getLogger(__name__)

Key = tuple[int, int]  # (account id, service id)


def charge_line_details(
    organization: Organization, period: date, account_ids: list[int]
) -> dict[Key, LineDetails]:
    """Details of the month ``period`` of ``account_ids``, per (account, service)."""
    building_ids = sorted(
        set(
            Account.objects.filter(organization=organization, pk__in=account_ids).values_list(
                "premises__building_id", flat=True
            )
        )
    )
    if not building_ids:
        return {}
    month = Month.of(period)
    try:
        facts = load_facts(organization=organization, month=month, building_ids=building_ids)
        builder = _Builder(facts)
        for account in facts.accounts:
            builder.add_account(account)
        batch = builder.batch()
        if not len(batch):
            return {}
        result = core.compute(
            batch.lines, batch.parts, batch.segments, batch.benefits, batch.settings
        )
    except (FactsError, ValueError, OverflowError) as exc:  # the run would have failed too
        log.info("no derivation details for %s: %s", period, exc)
        return {}
    wanted = set(account_ids)
    return _Deriver(builder, batch, result).details(wanted)


class _Deriver:
    def __init__(self, builder: _Builder, batch: Any, result: core.Result) -> None:
        self.b = builder
        self.f = builder.f
        self.batch = batch
        self.r = result
        lines, parts, segs = batch.lines, batch.parts, batch.segments
        self.seg_line = parts.line[segs.part]
        # Σ V_u per (building, resource): the individual lines' volumes (rules.md §1.6)
        individual = (lines.rule == core.Rule.VOLUME) | (lines.rule == core.Rule.WASTEWATER)
        self.individual: dict[tuple[int, int], int] = defaultdict(int)
        for k in np.nonzero(individual)[0].tolist():
            self.individual[(int(lines.building[k]), int(lines.resource[k]))] += int(
                result.volume[k]
            )
        self.accounts = {a.pk: a for a in self.f.accounts}
        self.acts = _acts(self.f)

    def details(self, wanted: set[int]) -> dict[Key, LineDetails]:
        out: dict[Key, LineDetails] = {}
        meta = self.b.meta
        for k, m in enumerate(meta):
            if m.account_id in wanted:
                out[(m.account_id, m.service_id)] = self.line(k)
        return out

    def line(self, k: int) -> LineDetails:
        L, r = self.batch.lines, self.r
        meta = self.b.meta[k]
        account = self.accounts[meta.account_id]
        method = int(r.method[k])
        segs = np.nonzero(self.seg_line == k)[0].tolist()
        days_in_month = int(L.days_in_month[k])
        fields: dict[str, Any] = {
            "figures": (
                method,
                int(r.volume[k]),
                int(r.amount[k]),
                int(r.reduction[k]) - int(r.fine[k]),
                int(r.benefit[k]),
                int(r.benefit_cash[k]),
            ),
            "heating_mode": int(L.heating_mode[k]),
            "season_months": int(L.heating_season_months[k]),
            "building_volume": int(L.building_volume[k]),
            "building_volume_last_year": int(L.building_volume_last_year[k]),
            "building_area": int(L.building_area[k]),
            "common_area": int(L.building_common_area[k]),
            "share_area": int(L.area[k]),
            "residents": int(L.residents[k]),
            "days_in_month": days_in_month,
            "base_amount": int(r.amount[k]),
        }
        rule = int(L.rule[k])
        if rule == core.Rule.HEATING:
            num, den = int(L.heating_area_num[k]), int(L.heating_area_den[k])
            fields["share_area"] = round_half_up_int(num, den)
            if den != 1:
                premises = account.premises
                fields["flat_area"] = to_scaled(premises.area_total_m2, AREA_SCALE)
                fields["room_living_area"] = to_scaled(account.living_area_m2, AREA_SCALE)
                fields["flat_living_area"] = den
        if rule == core.Rule.COMMON:
            fields.update(self._common(k, segs, days_in_month))
        if rule == core.Rule.VOLUME and self.f.links.get(account.pk):
            fields.update(self._meter(account, meta.service_id, method))
        fields.update(self._reductions(k, account, meta.service_id, method))
        fields.update(self._benefits(k, segs))
        return LineDetails(**fields)

    def _common(self, k: int, segs: list[int], dim: int) -> dict[str, Any]:
        L, seg = self.batch.lines, self.batch.segments
        sum_u = self.individual.get((int(L.building[k]), int(L.resource[k])), 0)
        carry = int(L.common_carry[k]) if L.building_volume[k] >= 0 else 0
        diff = int(L.building_volume[k]) - sum_u - carry
        s_ob = max(int(L.building_area[k]), 1)
        area = int(L.area[k])
        fact = norm_v = 0
        norm = 0
        for s in segs:
            days = int(seg.days[s])
            norm = int(seg.norm[s])
            fact += _round([diff, area, days], s_ob * dim)
            norm_v += _round(
                [norm, int(L.building_common_area[k]), area, days], AREA_SCALE * s_ob * dim
            )
        return {
            "individual_total": sum_u,
            "carry": carry,
            "carry_over": bool(int((self.f.organization.billing_settings or {}).get(SETTING, 0))),
            "fact_volume": fact,
            "norm_volume": norm_v,
            "common_norm": norm,
            "actual": int(L.common_mode[k]) == core.CommonMode.ACTUAL,
        }

    def _meter(self, account: Account, service_id: int, method: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        links = [lk for lk in self.f.links.get(account.pk, []) if lk.service_id == service_id]
        if not links or links[-1].method != "meter":
            return out
        inputs = self.b.meter_inputs(account.premises_id, service_id, account.pk)
        num, den = self.b.meter_share(account)
        if den and num != den:
            if method == core.Method.METER:
                premises_volume = sum(inputs.volumes.values())
            else:
                premises_volume = sum(inputs.averages.values())
            sharing = [a for a in self.f.accounts if a.premises_id == account.premises_id]
            by = "equal" if den == len(sharing) and num == 1 else "area"
            if account.premises.is_communal_flat and by != "equal":
                by = "persons"
            out.update(premises_volume=premises_volume, share_num=num, share_den=den, share_by=by)
        if method == core.Method.METER and inputs.averaged_taken:
            averaged = _averaged_months(
                self.f.organization.pk,
                account.pk,
                service_id,
                inputs.last_reading,
                self.f.month.start,
            )
            if sum(v for _, v in averaged) == inputs.averaged_taken:
                out["averaged"] = tuple(averaged)
                out["reading_volume"] = sum(inputs.volumes.values()) + inputs.averaged_taken
        return out

    def _reductions(self, k: int, account: Account, service_id: int, method: int) -> dict[str, Any]:
        L, r = self.batch.lines, self.r
        if not int(r.reduction_reasons[k]) & (
            core.ReductionReason.ABSENCE | core.ReductionReason.QUALITY
        ):
            return {}
        amount = int(r.amount[k])
        dim = int(L.days_in_month[k])
        n = max(int(L.residents[k]), 1)
        out: dict[str, Any] = {}
        if int(r.reduction_reasons[k]) & core.ReductionReason.ABSENCE:
            person_days = min(int(L.absence_person_days[k]), n * dim)
            out["absence_amount"] = _round([amount, person_days], n * dim)
            out["absences"] = tuple(self._absences(account))
        if int(r.reduction_reasons[k]) & core.ReductionReason.QUALITY:
            units = int(L.quality_units[k])
            out["quality_units"] = units
            out["quality_amount"] = _round([amount, min(units, 10_000)], 10_000)
            building = account.premises.building_id
            acts = [
                a
                for a in self.acts
                if a.building_id == building
                and a.service_id == service_id
                and a.account_id in (None, account.pk)
            ]
            details = tuple(_quality(a) for a in acts)
            if sum(q.units for q in details) == units:
                out["quality"] = details
        return out

    def _absences(self, account: Account) -> list[tuple[int, int]]:
        """(persons, days) of each absence inside the month: the rule of
        `_Builder.absent_person_days` (more than 5 full days; departure, return not counted)."""
        month = self.f.month
        a_start = max(month.start, account.opened_on)
        a_end = min(month.end, account.closed_on) if account.closed_on else month.end
        out = []
        for ab in self.f.absences.get(account.pk, []):
            away_from = ab.left_on.toordinal() + 1
            away_to = ab.returned_on.toordinal()
            if away_to - away_from <= 5:
                continue
            inside = min(away_to, a_end.toordinal()) - max(away_from, a_start.toordinal())
            if inside > 0:
                out.append((int(ab.persons), inside))
        return out

    def _benefits(self, k: int, segs: list[int]) -> dict[str, Any]:
        B = self.b.B
        rows = [i for i, line in enumerate(B.get("line", [])) if line == k]
        if not rows:
            return {}
        L, r = self.batch.lines, self.r
        net = int(r.amount[k]) - int(r.coefficient_amount[k]) + int(r.reduction[k]) - int(r.fine[k])
        net_exact = (
            sum(int(r.segment_amount_exact[s]) for s in segs)
            + (int(r.reduction[k]) - int(r.fine[k])) * KOPECKS_SCALE
        )
        n_lines = len(L.rule)
        residents = max(int(L.residents[k]), 1)
        out = []
        for i in rows:
            one = core.Benefits(
                line=np.asarray([k], dtype=np.int64),
                covered=np.asarray([B["covered"][i]], dtype=np.int64),
                percent=np.asarray([B["percent"][i]], dtype=np.int64),
                base=np.asarray([B["base"][i]], dtype=np.int8),
                social_norm_area=np.asarray([B["social_norm_area"][i]], dtype=np.int64),
                norm=np.asarray([B["norm"][i]], dtype=np.int64),
                cash=np.asarray([False]),
            )
            nets = np.zeros(n_lines, dtype=np.int64)
            nets[k] = net
            exact = np.zeros(n_lines, dtype=np.int64)
            exact[k] = net_exact
            each, _ = core.benefit_split(L, one, nets, self.r.volume, net_exact=exact)
            category = self.f.categories[B["category"][i]]
            out.append(
                BenefitDetail(
                    name=category.name,
                    cash=bool(B["cash"][i]),
                    base=int(B["base"][i]),
                    percent=int(B["percent"][i]),
                    covered=min(int(B["covered"][i]), residents),
                    residents=residents,
                    area=int(L.area[k]),
                    social_norm_area=int(B["social_norm_area"][i]),
                    norm_volume=int(B["norm"][i]) * residents,
                    volume=int(r.volume[k]),
                    amount=int(each[k]),
                )
            )
        return {"benefit_base": net, "benefits": tuple(out)}


def _round(factors: list[int], den: int) -> int:
    """``round_half_up(Π factors / den)`` on Python integers, as `mul_div_round` does."""
    product = 1
    for f in factors:
        product *= int(f)
    return round_half_up_int(product, den)


def _acts(facts: Any) -> list[QualityAct]:
    return list(
        QualityAct.objects.filter(
            building_id__in=list(facts.buildings),
            period=facts.month.start,
            state=ActState.CONFIRMED,
            kind__in=[QualityKind.INTERRUPTION, QualityKind.TEMPERATURE],
        ).select_related("service", "building")
    )


def _quality(act: QualityAct) -> QualityDetail:
    """One act's share of the month's charge, as the engine takes it (`QualityAct.units`,
    under the act's conditions: `QualityAct.limits`)."""
    hours = [int(h) for h in (act.events_hours or [])]
    units = act.units()
    if act.kind == QualityKind.INTERRUPTION:
        total, once = act.limits()
        if total is None:  # solid waste: each deviation against its permitted one, by days
            return QualityDetail(kind="waste", units=units, hours=sum(hours), once_limit=once)
        return QualityDetail(
            kind=str(act.kind),
            units=units,
            hours=sum(hours),
            excess_hours=core.excess_hours(hours, total, once),
            total_limit=total,
            once_limit=once,
        )
    return QualityDetail(kind=str(act.kind), units=units, hours=act.hours, degrees=act.degrees)


def _averaged_months(
    org_id: int, account_id: int, service_id: int, last: date | None, start: date
) -> list[tuple[date, int]]:
    """The months billed by the average after the last accepted reading, and their volumes."""
    posted = BillingRun.objects.filter(organization_id=org_id, state=RunState.POSTED)
    rows = ChargeLine.objects.filter(
        run_id__in=list(posted.values_list("pk", flat=True)),
        account_id=account_id,
        service_id=service_id,
        method__in=[int(m) for m in AVERAGE_METHODS],
        corrects_period__lt=start,
        corrects_period__gt=last or start,
    ).values_list("corrects_period", "volume")
    per: dict[date, int] = defaultdict(int)
    for period, volume in rows:
        per[period] += volume
    return sorted((p, v) for p, v in per.items() if v)
