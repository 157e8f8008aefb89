"""The vectorised path of the snapshot: the month's facts as arrays, no object per row.

Most accounts are plain in a month: open all month, one connected row per service, nobody
registered or leaving mid-month, at most one single-zone meter per service, no absence, no
capital-repair exemption of the building.
Their lines are built here with numpy over whole tables read by `raschet.billing.arrays`.
Tariff and norm changes inside the month are handled here too (they are the same for every
account of a building). Every other account goes through the general builder of
`raschet.billing.snapshot`; `tests/billing/test_snapshot_paths.py` proves both paths give
the same lines.
"""

# ruff: noqa: S608 - the SQL here joins fixed table names and placeholders, never input
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from raschet.billing import arrays as A
from raschet.billing.common_carry import load_common_carry
from raschet.billing.exemptions import exempt_building_ids
from raschet.billing.models import (
    Absence,
    BillingRun,
    ChargeLine,
    RunState,
)
from raschet.billing.snapshot import (
    ABSENCE_SERVICES,
    AVERAGE_BASE_MONTHS,
    AVERAGE_METHODS,
    BASIS_RULES,
    BENEFIT_BASES,
    COEFFICIENT_SERVICES,
    RESOURCES,
    RULES,
    FactsError,
    averaged_by_zone,
    cold_water_rate,
    engine_settings,
    first_zone,
    history_start,
    load_acts,
    load_heat_meters,
    norm_basis_of,
    season_months,
    to_scaled,
)
from raschet.core import billing as core
from raschet.core.fixedpoint import AREA_SCALE, NORM_SCALE, PERCENT_SCALE, RATE_SCALE
from raschet.core.periods import Month
from raschet.housing.models import Account, Building, Premises
from raschet.metering.models import (
    BuildingMeter,
    BuildingMeterReading,
    Meter,
    MeterState,
    MeterStateChange,
    Reading,
)
from raschet.organizations.models import Organization
from raschet.registry.models import (
    BenefitCategory,
    Ownership,
    PersonBenefit,
    Registration,
    TemporaryResidentAct,
)
from raschet.tariffs.models import (
    ZONES_BY_COUNT,
    AccountService,
    Norm,
    Service,
    ServiceContract,
    Tariff,
    Zone,
)
from raschet.tariffs.selectors import norm_for

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
FAR = A.FAR_FUTURE
ZONE_CODES = {"single": 0, "day": 1, "night": 2, "peak": 3, "semi_peak": 4}
N_ZONE_CODES = len(ZONE_CODES)
KEY = 1 << 24  # combined keys: id × KEY + small id (service ids stay far below 2**24)


def _t(model: Any) -> str:
    return str(model._meta.db_table)


def _in(column: str, values: list[int]) -> tuple[str, list[Any]]:
    return A.in_list(column, values)


def month_index(days: I64) -> I64:
    """Months since 1970-01 of day numbers (since 2000-01-01)."""
    d = np.datetime64("2000-01-01") + np.asarray(days, dtype="timedelta64[D]")
    return d.astype("datetime64[M]").astype(np.int64)


def _only(table: dict[str, I64], keep: Any) -> dict[str, I64]:
    """The rows of ``table`` selected by a mask or an index array."""
    return {k: v[keep] for k, v in table.items()}


def _last_per_group(keys: I64) -> I64:
    """Index of the last row of each run of equal keys (keys sorted)."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.r_[keys[1:] != keys[:-1], True]
    return np.nonzero(ends)[0]


def _lookup(keys_sorted: I64, values: I64, wanted: I64, default: int) -> I64:
    """``values`` of ``wanted`` keys in ``keys_sorted`` (unique), ``default`` when absent."""
    if len(keys_sorted) == 0:
        return np.full(len(wanted), default, dtype=np.int64)
    pos = np.searchsorted(keys_sorted, wanted)
    pos_c = np.minimum(pos, len(keys_sorted) - 1)
    found = keys_sorted[pos_c] == wanted
    return np.where(found, values[pos_c], default).astype(np.int64)


@dataclass
class FastLines:
    """The simple lines of a batch, ready to concatenate with the general builder's."""

    lines: core.Lines
    parts: core.Parts
    segments: core.Segments
    benefits: core.Benefits
    meta: dict[str, I64]
    complex_accounts: list[int]


class FastLoader:
    account_ids: list[int]
    premises_ids: list[int]
    meter_ids: list[int]

    def __init__(self, organization: Organization, month: Month, building_ids: list[int]):
        self.org = organization
        self.month = month
        self.building_ids = sorted(building_ids)
        self.s = A.day_number(month.start)
        self.e = A.day_number(month.end)

    # ------------------------------------------------------------------ reading
    def _accounts(self) -> dict[str, I64]:
        where, params = _in("p.building_id", self.building_ids)
        sql = (
            f"SELECT a.id, a.premises_id, p.building_id, {A.days_sql('a.opened_on')}, "
            f"{A.days_sql('a.closed_on', null=FAR)}, "
            f"{A.scaled_sql('COALESCE(a.area_m2, p.area_total_m2)', AREA_SCALE)}, "
            "CASE WHEN p.kind = 'residential' THEN 1 ELSE 0 END, COALESCE(p.rooms, -1) "
            f"FROM {_t(Account)} a JOIN {_t(Premises)} p ON p.id = a.premises_id "
            f"WHERE {where} AND a.opened_on < %s AND (a.closed_on IS NULL OR a.closed_on > %s) "
            "ORDER BY a.id"
        )
        return A.read(
            sql,
            [*params, self.month.end, self.month.start],
            ["id", "premises", "building", "opened", "closed", "area", "residential", "rooms"],
        )

    def _scope(self, owner: str) -> tuple[str, list[Any]]:
        """``WHERE`` restricting a fact table ``x`` to the batch: its accounts, premises or
        meters as one array parameter on PostgreSQL (an index lookup per id; a join to the
        buildings made the planner scan whole tables)."""
        ids = {"account": self.account_ids, "premises": self.premises_ids}.get(owner)
        if owner == "meter":
            ids = self.meter_ids
        where, params = _in(f"x.{owner}_id", ids or [])
        return f"WHERE {where}", params

    def _during(self, table: str, owner: str, extra: str, names: list[str]) -> dict[str, I64]:
        scope, params = self._scope(owner)
        sql = (
            f"SELECT {extra}, {A.days_sql('x.valid_from')}, "
            f"{A.days_sql('x.valid_to', null=FAR)} FROM {table} x {scope} "
            "AND x.valid_from < %s AND (x.valid_to IS NULL OR x.valid_to > %s)"
        )
        return A.read(sql, [*params, self.month.end, self.month.start], [*names, "vf", "vt"])

    def build(self) -> FastLines:
        org = self.org
        s, e = self.s, self.e
        acc = self._accounts()
        acc = _only(acc, np.argsort(acc["id"], kind="stable"))
        account_ids = acc["id"].tolist()
        self.account_ids = account_ids
        self.premises_ids = np.unique(acc["premises"]).tolist()
        n_acc = len(account_ids)
        complex_acc = np.zeros(n_acc, dtype=bool)
        # partial months go to the general builder
        complex_acc |= (acc["opened"] > s) | (acc["closed"] < e)
        # several accounts sharing one premises (and its meters) → general builder
        prem_u, prem_n = np.unique(acc["premises"], return_counts=True)
        complex_acc |= np.isin(acc["premises"], prem_u[prem_n > 1])
        # a building with a capital-repair exemption in the month → general builder (its
        # exempt days are cut there, `raschet.billing.exemptions`)
        exempt = exempt_building_ids(org.pk, self.building_ids, self.month)
        if exempt:
            complex_acc |= np.isin(acc["building"], np.asarray(sorted(exempt), dtype=np.int64))
        # a premises heat meter taken at its average or norm (ПП 354 п.59, п.60) → general
        # builder, which writes the note of it into the line's derivation
        extra = org.billing_settings or {}
        self.heat = load_heat_meters(
            self.building_ids,
            self.month,
            engine_settings(org),
            int(extra.get("heating_season_start_month", 10)),
        )
        if self.heat.substitutes or self.heat.catch_up:
            # and one read after such months (rules.md §14 catch-up): the note of it too
            substituted = np.asarray(
                sorted(set(self.heat.substitutes) | set(self.heat.catch_up)), dtype=np.int64
            )
            complex_acc |= np.isin(acc["premises"], substituted)
        # a premises heated by its own installation (rules.md §1.5) → general builder
        own_heating = Premises.objects.filter(
            building_id__in=self.building_ids, individual_heating_from__lte=self.month.start
        ).values_list("pk", flat=True)
        if own_heating:
            complex_acc |= np.isin(acc["premises"], np.asarray(list(own_heating), dtype=np.int64))

        def acc_pos(ids: I64) -> I64:
            return np.searchsorted(acc["id"], ids)

        # connected services
        links = self._during(
            _t(AccountService),
            "account",
            "x.account_id, x.service_id, CASE WHEN x.method = 'meter' THEN 1 ELSE 0 END, "
            "CASE WHEN x.meter_possible THEN 1 ELSE 0 END, x.zones",
            ["account", "service", "meter", "possible", "zones"],
        )
        links = _only(links, np.isin(links["account"], acc["id"]))
        # partial links or several links per (account, service) → general builder
        lk = links["account"] * KEY + links["service"]
        order = np.argsort(lk, kind="stable")
        for name in list(links):
            links[name] = links[name][order]
        lk = lk[order]
        dup = np.r_[lk[1:] == lk[:-1], False] | np.r_[False, lk[1:] == lk[:-1]]
        partial = (links["vf"] > s) | (links["vt"] < e)
        bad = dup | partial
        if np.any(bad):
            complex_acc[acc_pos(links["account"][bad])] = True

        # residents: registrations, temporary-resident acts, owners (ПП 354 п.56(1), (2))
        regs = self._during(
            _t(Registration), "account", "x.account_id, x.person_id", ["account", "person"]
        )
        regs = _only(regs, np.isin(regs["account"], acc["id"]))
        acts = self._during(
            _t(TemporaryResidentAct), "account", "x.account_id, x.persons", ["account", "persons"]
        )
        acts = _only(acts, np.isin(acts["account"], acc["id"]))
        owners = self._during(
            _t(Ownership), "premises", "x.premises_id, x.person_id", ["premises", "person"]
        )
        for table, col in ((regs, "account"), (acts, "account")):
            cut = ((table["vf"] > s) & (table["vf"] < e)) | ((table["vt"] > s) & (table["vt"] < e))
            if np.any(cut):
                complex_acc[acc_pos(table[col][cut])] = True
        o_cut = ((owners["vf"] > s) & (owners["vf"] < e)) | (
            (owners["vt"] > s) & (owners["vt"] < e)
        )
        if np.any(o_cut):
            cut_premises = np.unique(owners["premises"][o_cut])
            complex_acc |= np.isin(acc["premises"], cut_premises)
        persons = np.zeros(n_acc, dtype=np.int64)
        if len(regs["account"]):
            # distinct persons per account
            pk = np.unique(regs["account"] * (1 << 32) + regs["person"])
            np.add.at(persons, acc_pos(pk >> 32), 1)
        if len(acts["account"]):
            np.add.at(persons, acc_pos(acts["account"]), acts["persons"])
        owner_count = np.zeros(n_acc, dtype=np.int64)
        if len(owners["premises"]):
            ok = np.unique(owners["premises"] * (1 << 32) + owners["person"])
            prem_sorted, counts = np.unique(ok >> 32, return_counts=True)
            owner_count = _lookup(prem_sorted, counts.astype(np.int64), acc["premises"], 0)
        persons = np.where(persons == 0, owner_count, persons)

        # absences → general builder (rare, and their day arithmetic lives there)
        ab_scope, ab_params = self._scope("account")
        absent = A.read(
            f"SELECT x.account_id FROM {_t(Absence)} x {ab_scope} "
            "AND x.left_on < %s AND x.returned_on > %s",
            [*ab_params, self.month.end, self.month.start],
            ["account"],
        )
        absent = _only(absent, np.isin(absent["account"], acc["id"]))
        if len(absent["account"]):
            complex_acc[acc_pos(absent["account"])] = True

        services = {sv.pk: sv for sv in Service.objects.filter(organization=org)}
        # meters: at most one meter per (premises, service) on the fast path
        meters = self._meters()
        self.meter_ids = meters["id"].tolist()
        mkey = meters["premises"] * KEY + meters["service"]
        mk_sorted, mk_count = np.unique(mkey, return_counts=True)
        multi_keys = mk_sorted[mk_count > 1]
        link_acc_pos = acc_pos(links["account"])
        link_pkey = acc["premises"][link_acc_pos] * KEY + links["service"]
        metered_link = (links["meter"] == 1) & np.isin(
            links["service"],
            [sid for sid, sv in services.items() if RULES.get(sv.code) == core.Rule.VOLUME],
        )
        bad_meter = metered_link & np.isin(link_pkey, multi_keys)
        if np.any(bad_meter):
            complex_acc[link_acc_pos[bad_meter]] = True

        # keep simple accounts only
        simple = ~complex_acc
        keep_link = simple[link_acc_pos]
        for name in list(links):
            links[name] = links[name][keep_link]
        link_acc_pos = link_acc_pos[keep_link]
        link_pkey = link_pkey[keep_link]
        metered_link = metered_link[keep_link]
        n = len(links["account"])

        building = acc["building"][link_acc_pos]
        service = links["service"]
        line_persons = persons[link_acc_pos]
        rooms = acc["rooms"][link_acc_pos]
        area = acc["area"][link_acc_pos]

        # per (service, building): rule data, rate segments, norms
        svc_ids = np.array(sorted(services), dtype=np.int64)
        codes = {sid: services[sid].code for sid in services}
        rule_of = {
            sid: RULES.get(sv.code, BASIS_RULES.get(sv.basis, core.Rule.FIXED))
            for sid, sv in services.items()
        }
        rule = _lookup(
            svc_ids,
            np.array([int(rule_of[x]) for x in svc_ids], dtype=np.int64),
            service,
            int(core.Rule.FIXED),
        )
        resource = _lookup(
            svc_ids,
            np.array(
                [
                    int(
                        RESOURCES.get(services[x].resource or services[x].code, core.Resource.OTHER)
                    )
                    for x in svc_ids
                ],
                dtype=np.int64,
            ),
            service,
            0,
        )
        pair = building * KEY + service
        pairs, pair_inv = np.unique(pair, return_inverse=True)
        tariffs = self._tariffs()
        norms = self._norms()
        self._norm_all = norms  # read once; `_norm_rows_cache` looks into it
        self._norm_cache: dict[tuple[int, int], list[Norm]] = {}
        # meter inputs for metered volume lines (the number of zones decides the parts)
        mi = self._meter_inputs(meters, links, link_pkey, metered_link, acc, link_acc_pos)
        zones_n = mi["zones"]
        tables = []  # per pair: (bounds as day numbers, {tariff zone: rate per sub-period})
        for p in pairs.tolist():
            b, sid = divmod(p, KEY)
            tables.append(self._rate_table(tariffs, sid, b, services[sid]))
        n_bounds = np.array([len(t[0]) - 1 for t in tables], dtype=np.int64)
        bound_start = np.array([d for t in tables for d in t[0][:-1]], dtype=np.int64)
        bound_end = np.array([d for t in tables for d in t[0][1:]], dtype=np.int64)
        bound_offset = np.cumsum(n_bounds) - n_bounds
        # parts: one per line, or per meter zone plus a single-rate part for the norm
        combo = pair_inv.astype(np.int64) * 4 + zones_n
        combos, combo_inv = np.unique(combo, return_inverse=True)
        part_role: list[int] = []
        part_meter_zone: list[int] = []
        part_rates: list[list[int]] = []
        combo_parts = np.zeros(len(combos), dtype=np.int64)
        for c, value in enumerate(combos.tolist()):
            pi, zn = divmod(value, 4)
            rates = tables[pi][1]
            sid = int(pairs[pi] % KEY)
            if zn <= 1:
                spec = [(first_zone(rates), core.PartRole.BOTH, ZONE_CODES[Zone.SINGLE])]
            else:
                names = ZONES_BY_COUNT[zn]
                spec = [(z, core.PartRole.METER_ONLY, ZONE_CODES[z]) for z in names]
                single = Zone.SINGLE if Zone.SINGLE in rates else names[0]
                spec.append((single, core.PartRole.NORM_ONLY, -1))
            for zone, role, meter_zone in spec:
                if zone not in rates:
                    raise FactsError(
                        f"нет тарифа на услугу «{services[sid].name}» ({zone}) в {self.month}"
                    )
                part_role.append(int(role))
                part_meter_zone.append(meter_zone)
                part_rates.append(rates[zone])
            combo_parts[c] = len(spec)
        combo_part_offset = np.cumsum(combo_parts) - combo_parts
        n_parts_line = combo_parts[combo_inv]
        part_line = np.repeat(np.arange(n, dtype=np.int64), n_parts_line)
        part_k = np.arange(len(part_line), dtype=np.int64) - np.repeat(
            np.cumsum(n_parts_line) - n_parts_line, n_parts_line
        )
        fidx = combo_part_offset[combo_inv[part_line]] + part_k
        role_arr = np.asarray(part_role, dtype=np.int8)[fidx]
        mzone = np.asarray(part_meter_zone, dtype=np.int64)[fidx]
        has_zone = mzone >= 0
        zone_col = np.maximum(mzone, 0)
        part_meter_volume = np.where(has_zone, mi["volume"][part_line, zone_col], 0)
        part_average = np.where(has_zone, mi["average"][part_line, zone_col], 0)
        # sub-periods: every part of a line has its pair's bounds
        nb_part = n_bounds[pair_inv[part_line]]
        seg_part = np.repeat(np.arange(len(part_line), dtype=np.int64), nb_part)
        seg_k = np.arange(len(seg_part), dtype=np.int64) - np.repeat(
            np.cumsum(nb_part) - nb_part, nb_part
        )
        seg_line = part_line[seg_part]
        rate_flat = np.asarray([r for rates in part_rates for r in rates], dtype=np.int64)
        rate_offset = np.cumsum([len(r) for r in part_rates]) - np.asarray(
            [len(r) for r in part_rates], dtype=np.int64
        )
        seg_rate = rate_flat[np.asarray(rate_offset, dtype=np.int64)[fidx[seg_part]] + seg_k]
        bidx = bound_offset[pair_inv[seg_line]] + seg_k
        seg_start = bound_start[bidx]
        seg_days = bound_end[bidx] - seg_start
        # norms: one lookup per distinct (norm table, sub-period start, rooms, persons); a
        # pair uses its building's own norm table if there is one, else the organization's
        own_norms = {(sid, bid) for (sid, bid) in norms if bid is not None}
        table_of_pair = np.array(
            [
                p if divmod(p, KEY)[::-1] in own_norms else (KEY - 1) * KEY + p % KEY
                for p in pairs.tolist()
            ],
            dtype=np.int64,
        )
        seg_table = table_of_pair[pair_inv[seg_line]]
        seg_rooms = rooms[seg_line]
        seg_persons = line_persons[seg_line]
        # one int64 key (a 1-D unique is far faster than a row-wise one)
        _tables, t_idx = np.unique(seg_table, return_inverse=True)
        # table (< 2**19) | start offset (< 2**20) | rooms + 1 and persons, capped at
        # 4095 (a norm table never distinguishes more; the values looked up are exact)
        key = (
            (t_idx.astype(np.int64) << 44)
            + ((seg_start - self.s + 1) << 24)
            + (np.clip(seg_rooms + 1, 0, 4095) << 12)
            + np.clip(seg_persons, 0, 4095)
        )
        uniq_key, inv = np.unique(key, return_inverse=True)
        inv = inv.reshape(-1)
        first_of = np.zeros(len(uniq_key), dtype=np.int64)
        first_of[inv[::-1]] = np.arange(len(inv) - 1, -1, -1)
        uniq = np.stack(
            [seg_table[first_of], seg_start[first_of], seg_rooms[first_of], seg_persons[first_of]],
            axis=1,
        )
        norm_values = np.zeros(len(uniq), dtype=np.int64)
        for k, (p, start, rm, pers) in enumerate(uniq.tolist()):
            b, sid = divmod(p, KEY)
            b = -1 if b == KEY - 1 else b
            norm_values[k] = self._norm_value(norms, sid, b, rule_of[sid], start, rm, pers)
        seg_norm = norm_values[inv]
        by_area_pair = np.array(
            [
                rule_of[sid] in (core.Rule.VOLUME, core.Rule.WASTEWATER)
                and norm_basis_of(rule_of[sid], self._norm_rows_cache(sid, b)) == "per_m2"
                for b, sid in (divmod(p, KEY) for p in pairs.tolist())
            ],
            dtype=bool,
        )
        n_seg_line = n_parts_line * n_bounds[pair_inv]
        last_seg = np.cumsum(n_seg_line) - 1

        # building figures
        bld = {b.pk: b for b in Building.objects.filter(pk__in=self.building_ids)}
        b_ids = np.array(self.building_ids, dtype=np.int64)

        def per_building(fn: Any) -> I64:
            return _lookup(
                b_ids,
                np.array([fn(bld[x]) for x in self.building_ids], dtype=np.int64),
                building,
                0,
            )

        extra = org.billing_settings or {}
        season_start = int(extra.get("heating_season_start_month", 10))
        in_season = per_building(
            lambda b: self.month.month in season_months(season_start, b.heating_season_months or 0)
        )
        bvol = self._building_volumes()
        resource_service = {
            sid: next((x.pk for x in services.values() if x.code == sv.resource), sid)
            for sid, sv in services.items()
        }
        meter_service = np.array(
            [resource_service.get(x, x) for x in service.tolist()], dtype=np.int64
        )
        month_key = building * KEY + service
        own_vol = _lookup(bvol["key"], bvol["month"], month_key, -1)
        res_vol = _lookup(bvol["key"], bvol["month"], building * KEY + meter_service, -1)
        common_vol = np.where(own_vol >= 0, own_vol, res_vol)
        heat_vol = own_vol
        last_year = _lookup(bvol["key"], bvol["year"], month_key, -1)
        b_volume = np.select(
            [rule == core.Rule.HEATING, rule == core.Rule.COMMON],
            [heat_vol, common_vol],
            default=-1,
        )
        b_last_year = np.where(rule == core.Rule.HEATING, last_year, -1)

        acts = self._acts(links["account"], building, service, tariffs, services)
        carry = load_common_carry(self.org, self.building_ids, self.month)  # rules.md §1.6
        # формула 3(3): heat meters in every premises of the building
        heat = self.heat
        is_heating = rule == core.Rule.HEATING
        heat_total = np.asarray(
            [heat.buildings.get(b, -1) for b in building.tolist()], dtype=np.int64
        )
        heat_total = np.where(is_heating, heat_total, -1).astype(np.int64)
        line_premises = acc["premises"][link_acc_pos]
        heat_own = np.asarray(
            [heat.premises.get(p, 0) for p in line_premises.tolist()], dtype=np.int64
        )
        heat_own = np.where(heat_total >= 0, heat_own, -1).astype(np.int64)
        heat_catch_up = np.asarray(
            [heat.catch_up.get(p, 0) for p in line_premises.tolist()], dtype=np.int64
        )
        heat_catch_up = np.where(heat_total >= 0, heat_catch_up, 0).astype(np.int64)
        heat_catch_up_total = np.asarray(
            [heat.buildings_catch_up.get(b, 0) for b in building.tolist()], dtype=np.int64
        )
        heat_catch_up_total = np.where(heat_total >= 0, heat_catch_up_total, 0).astype(np.int64)
        # формула 3(4): the previous year's, when every premises metered all of it
        year_total = np.asarray(
            [heat.buildings_last_year.get(b, -1) for b in building.tolist()], dtype=np.int64
        )
        year_total = np.where(is_heating, year_total, -1).astype(np.int64)
        year_own = np.asarray(
            [heat.premises_last_year.get(p, 0) for p in line_premises.tolist()], dtype=np.int64
        )
        year_own = np.where(year_total >= 0, year_own, -1).astype(np.int64)
        lines = core.Lines(
            account=links["account"].astype(np.int64),
            rule=rule.astype(np.int8),
            residential=acc["residential"][link_acc_pos].astype(bool),
            configured_meter=links["meter"].astype(bool),
            meter_possible=links["possible"].astype(bool)
            & np.isin(service, [x for x in svc_ids.tolist() if services[x].metered]),
            coefficient_service=np.isin(
                service, [x for x in svc_ids.tolist() if codes[x] in COEFFICIENT_SERVICES]
            ),
            condition=mi["condition"].astype(np.int8),
            reading_present=mi["present"].astype(bool),
            spell_months=mi["spell"],
            average_months=mi["average_months"],
            area=area,
            residents=line_persons,
            days_in_month=np.full(n, self.month.days, dtype=np.int64),
            resource=resource.astype(np.int8),
            building=building,
            building_area=per_building(lambda b: to_scaled(b.area_total_m2, AREA_SCALE)),
            building_common_area=per_building(lambda b: to_scaled(b.area_common_m2, AREA_SCALE)),
            building_volume=b_volume.astype(np.int64),
            building_volume_last_year=b_last_year.astype(np.int64),
            heating_mode=per_building(
                lambda b: int(
                    {"season": core.HeatingMode.SEASON, "evenly": core.HeatingMode.EVENLY}.get(
                        b.heating_mode, core.HeatingMode.NONE
                    )
                )
            ).astype(np.int8),
            heating_in_season=in_season.astype(bool),
            heating_season_months=per_building(lambda b: b.heating_season_months or 0),
            common_mode=per_building(
                lambda b: int(
                    core.CommonMode.ACTUAL
                    if b.common_property_mode == "actual"
                    else core.CommonMode.NORM_CAP
                )
            ).astype(np.int8),
            absence_service=np.isin(
                service, [x for x in svc_ids.tolist() if codes[x] in ABSENCE_SERVICES]
            ),
            absence_person_days=np.zeros(n, dtype=np.int64),
            quality_units=acts["quality_units"],
            cold_hours=acts["cold_hours"],
            cold_rate=acts["cold_rate"],
            maintenance_hours=acts["maintenance_hours"],
            upkeep_days=acts["upkeep_days"],
            overcharge=acts["overcharge"],
            norm_by_area=by_area_pair[pair_inv],
            # a communal flat's rooms share a premises: the general builder (формула 8)
            heating_area_num=area.astype(np.int64),
            heating_area_den=np.ones(n, dtype=np.int64),
            heat_meter_volume=heat_own,
            heat_meters_total=heat_total,
            heat_meter_catch_up=heat_catch_up,
            heat_meters_catch_up_total=heat_catch_up_total,
            heat_meter_volume_last_year=year_own,
            heat_meters_total_last_year=year_total,
            common_carry=np.where(
                rule == core.Rule.COMMON,
                np.asarray(
                    [
                        carry.get((b, sv), 0)
                        for b, sv in zip(building.tolist(), service.tolist(), strict=True)
                    ],
                    dtype=np.int64,
                ),
                0,
            ).astype(np.int64),
        )
        parts = core.Parts(
            line=part_line,
            meter_volume=part_meter_volume.astype(np.int64),
            average_volume=part_average.astype(np.int64),
            role=role_arr,
        )
        segments = core.Segments(
            part=seg_part,
            days=seg_days,
            rate=seg_rate,
            norm=seg_norm,
            persons=line_persons[seg_line],
        )
        benefits = self._benefits(
            links["account"], service, line_persons, area, seg_norm[last_seg], codes
        )
        payees = self._payees()
        meta = {
            "account_id": links["account"].astype(np.int64),
            "service_id": service,
            "payee_id": _lookup(payees["key"], payees["payee"], building * KEY + service, -1),
            "rate": seg_rate[last_seg],
            "norm": np.where(seg_norm[last_seg] > 0, seg_norm[last_seg], -1),
            "persons": line_persons,
            "area": area,
            "average_months": mi["average_months"],
            "segments": n_bounds[pair_inv],
            "zones": zones_n,
        }
        return FastLines(
            lines=lines,
            parts=parts,
            segments=segments,
            benefits=benefits,
            meta=meta,
            complex_accounts=acc["id"][complex_acc].tolist(),
        )

    # ------------------------------------------------------------------ pieces
    def _tariffs(self) -> dict[tuple[int, int | None, str], list[Tariff]]:
        out: dict[tuple[int, int | None, str], list[Tariff]] = defaultdict(list)
        for t in (
            Tariff.objects.filter(organization=self.org, valid_from__lt=self.month.end)
            .exclude(valid_to__lte=self.month.start)
            .order_by("valid_from")
        ):
            out[(t.service_id, t.building_id, t.zone)].append(t)
        return out

    def _norms(self) -> dict[tuple[int, int | None], list[Norm]]:
        out: dict[tuple[int, int | None], list[Norm]] = defaultdict(list)
        for nrow in Norm.objects.filter(
            organization=self.org, valid_from__lt=self.month.end
        ).exclude(valid_to__lte=self.month.start):
            out[(nrow.service_id, nrow.building_id)].append(nrow)
        return out

    def _rate_table(
        self, tariffs: Any, service_id: int, building_id: int, service: Service
    ) -> tuple[list[int], dict[str, list[int]]]:
        """Sub-period bounds of the month for a service in a building (cut at every tariff
        and norm change) and each tariff zone's rate per sub-period; the building's own
        rows replace the organization's."""
        zones: dict[str, list[Tariff]] = {}
        for (sid, bid, zone), rows in tariffs.items():
            if sid != service_id or bid not in (None, building_id):
                continue
            if bid is None and (service_id, building_id, zone) in tariffs:
                continue
            zones[zone] = rows
        if not zones:
            raise FactsError(f"нет тарифа на услугу «{service.name}» в {self.month}")
        norm_rows = self._norm_rows_cache(service_id, building_id)
        cuts = {self.month.start, self.month.end}
        dated: list[Any] = [r for zone_rows in zones.values() for r in zone_rows]
        for dated_row in [*dated, *norm_rows]:
            for d in (dated_row.valid_from, dated_row.valid_to):
                if d is not None and self.month.start < d < self.month.end:
                    cuts.add(d)
        bounds = sorted(cuts)
        rates: dict[str, list[int]] = {}
        for zone, rows in zones.items():
            values = []
            for a in bounds[:-1]:
                tariff = next(
                    (
                        r
                        for r in rows
                        if r.valid_from <= a and (r.valid_to is None or r.valid_to > a)
                    ),
                    None,
                )
                values.append(-1 if tariff is None else to_scaled(tariff.rate, RATE_SCALE))
            if -1 in values:
                if zone == first_zone(zones):
                    day = bounds[values.index(-1)]
                    raise FactsError(f"нет тарифа на услугу «{service.name}» на {day:%d.%m.%Y}")
                continue  # a zone not in force all month is unusable, as in the general path
            rates[zone] = values
        return [A.day_number(d) for d in bounds], rates

    def _norm_rows_cache(self, service_id: int, building_id: int) -> list[Norm]:
        """The norm table of a service in a building (its own rows, else the organization's)."""
        key = (service_id, building_id)
        if key not in self._norm_cache:
            self._norm_cache[key] = self._norm_all.get(key) or self._norm_all.get(
                (service_id, None), []
            )
        return self._norm_cache[key]

    def _norm_value(
        self,
        norms: Any,
        service_id: int,
        building_id: int,
        rule: core.Rule,
        start: int,
        rooms: int,
        persons: int,
    ) -> int:
        rows = self._norm_rows_cache(service_id, building_id)
        day = A.from_day_number(start)
        basis = norm_basis_of(rule, rows)
        row = norm_for(
            [x for x in rows if x.valid_from <= day and (x.valid_to is None or x.valid_to > day)],
            basis=basis,
            rooms=None if rooms < 0 else rooms,
            residents=persons,
        )
        return to_scaled(row.value, NORM_SCALE) if row is not None else 0

    def _meters(self) -> dict[str, I64]:
        scope, params = self._scope("premises")
        return A.read(
            f"SELECT x.id, x.premises_id, x.service_id, x.zones, {A.days_sql('x.installed_on')}, "
            f"{A.days_sql('x.verification_due', null=FAR)} FROM {_t(Meter)} x "
            f"{scope} AND x.installed_on < %s "
            "AND (x.removed_on IS NULL OR x.removed_on > %s) ORDER BY x.id",
            [*params, self.month.end, self.month.start],
            ["id", "premises", "service", "zones", "installed", "due"],
        )

    def _meter_inputs(
        self,
        meters: dict[str, I64],
        links: dict[str, I64],
        link_pkey: I64,
        metered_link: Bool,
        acc: dict[str, I64],
        link_acc_pos: I64,
    ) -> dict[str, I64]:
        """Condition, month volume, average and spell per line (see the general builder,
        `_Builder.meter_inputs`, for the rules; this is the same for one single-zone meter)."""
        s, e = self.s, self.e
        n = len(metered_link)
        out = {
            "condition": np.zeros(n, dtype=np.int64),
            "present": np.zeros(n, dtype=np.int64),
            "spell": np.zeros(n, dtype=np.int64),
            "average_months": np.zeros(n, dtype=np.int64),
            "zones": np.ones(n, dtype=np.int64),
            "volume": np.zeros((n, N_ZONE_CODES), dtype=np.int64),  # per zone code
            "average": np.zeros((n, N_ZONE_CODES), dtype=np.int64),
        }
        mkey = meters["premises"] * KEY + meters["service"]
        order = np.argsort(mkey, kind="stable")
        mk_sorted = mkey[order]
        meter_row = _lookup(mk_sorted, order.astype(np.int64), link_pkey, -1)
        use = metered_link & (meter_row >= 0)
        if not np.any(use):
            return out
        lines_idx = np.nonzero(use)[0]
        mrow = meter_row[lines_idx]
        meter_ids = meters["id"][mrow]
        # state at the month's last day: the last change since ≤ e − 1
        uniq_meters = np.unique(meter_ids)
        scope, params = self._scope("meter")
        states = A.read(
            "SELECT x.meter_id, CASE x.state WHEN 'broken' THEN 2 "
            "WHEN 'verification_expired' THEN 2 WHEN 'no_access' THEN 3 WHEN 'removed' THEN 0 "
            f"ELSE 1 END, {A.days_sql('x.since')}, x.id "
            f"FROM {_t(MeterStateChange)} x {scope} AND x.since < %s",
            [*params, self.month.end],
            ["meter", "state", "since", "id"],
        )
        states = _only(states, np.isin(states["meter"], uniq_meters))
        states = _only(states, np.lexsort((states["id"], states["since"], states["meter"])))
        last = _last_per_group(states["meter"])
        st_meter, st_state, st_since = (
            states["meter"][last],
            states["state"][last],
            states["since"][last],
        )
        state = _lookup(st_meter, st_state, meter_ids, 1)
        since = _lookup(st_meter, st_since, meter_ids, -1)
        due = meters["due"][mrow]
        expired = (due <= e - 1) & (state == 1)
        state = np.where(expired, 2, state)
        since = np.where(expired, due, since)
        # a removed state counts as working here exactly as in the general builder
        condition = np.where(state == 0, 1, state)

        rd = A.read(
            f"SELECT x.meter_id, {A.days_sql('x.period')}, "
            f"{A.scaled_sql('x.volume', 1_000_000)}, "
            "CASE WHEN x.kind = 'initial' THEN 1 ELSE 0 END, "
            "CASE x.zone WHEN 'single' THEN 0 WHEN 'day' THEN 1 WHEN 'night' THEN 2 "
            "WHEN 'peak' THEN 3 WHEN 'semi_peak' THEN 4 ELSE 9 END "
            f"FROM {_t(Reading)} x {scope} AND x.is_current "
            "AND x.state <> 'rejected' AND x.period >= %s AND x.period <= %s",
            [*params, history_start(self.month, engine_settings(self.org)), self.month.start],
            ["meter", "period", "volume", "initial", "zone"],
        )
        rd = _only(rd, np.isin(rd["meter"], uniq_meters))
        m_sorted = uniq_meters
        n_m = len(m_sorted)
        mpos = np.searchsorted(m_sorted, rd["meter"])
        # only the zones the meter has count (as the general builder reads them)
        meter_zones = _lookup(meters["id"], meters["zones"], m_sorted, 1)
        allowed = np.zeros((n_m, N_ZONE_CODES), dtype=bool)
        for count, names in ZONES_BY_COUNT.items():
            for name in names:
                allowed[meter_zones == count, ZONE_CODES[name]] = True
        zone_ok = rd["zone"] < N_ZONE_CODES
        zone_ok[zone_ok] &= allowed[mpos[zone_ok], rd["zone"][zone_ok]]
        rd = _only(rd, zone_ok)
        mpos = mpos[zone_ok]
        # month volume per zone and presence
        this = (rd["period"] == s) & (rd["initial"] == 0)
        vol = np.zeros((n_m, N_ZONE_CODES), dtype=np.int64)
        np.add.at(vol, (mpos[this], rd["zone"][this]), rd["volume"][this])
        present = np.zeros(n_m, dtype=bool)
        present[mpos[this]] = True
        # last reading: initial readings up to this month, others before it
        lr_mask = (rd["initial"] == 1) | (rd["period"] < s)
        last_reading = np.full(n_m, -1, dtype=np.int64)
        np.maximum.at(last_reading, mpos[lr_mask], rd["period"][lr_mask])
        # history (non-initial before the month): months per meter, volumes per zone
        hist = (rd["initial"] == 0) & (rd["period"] < s)
        h_meter, h_period = mpos[hist], rd["period"][hist]
        h_zone, h_vol = rd["zone"][hist], rd["volume"][hist]
        line_m = np.searchsorted(m_sorted, meter_ids)  # per used line
        base_end_m = np.full(n_m, s, dtype=np.int64)
        broken_since = (condition == 2) & (since >= 0)
        np.minimum.at(base_end_m, line_m[broken_since], np.minimum(s, since[broken_since]))
        before_base = h_period < base_end_m[h_meter]
        mk = np.unique(h_meter[before_base] * (1 << 24) + h_period[before_base])
        mk_m = mk >> 24
        # rank from the end inside each meter → the last AVERAGE_BASE_MONTHS months
        counts = np.bincount(mk_m, minlength=n_m).astype(np.int64)
        ends = np.cumsum(counts)
        rank = ends[mk_m] - 1 - np.arange(len(mk_m))
        chosen = mk[rank < AVERAGE_BASE_MONTHS]
        ch_m = chosen >> 24
        ch_p = chosen & ((1 << 24) - 1)
        n_with = np.bincount(ch_m, minlength=n_m).astype(np.int64)
        first = np.full(n_m, FAR, dtype=np.int64)
        np.minimum.at(first, ch_m, ch_p)
        lastp = np.full(n_m, -1, dtype=np.int64)
        np.maximum.at(lastp, ch_m, ch_p)
        in_base = np.isin(h_meter * (1 << 24) + h_period, chosen)
        total = np.zeros((n_m, N_ZONE_CODES), dtype=np.int64)
        np.add.at(total, (h_meter[in_base], h_zone[in_base]), h_vol[in_base])
        # "earlier": the latest month with any reading (initial included) before `first`
        seen = rd["period"] < s
        skey = np.unique(mpos[seen] * (1 << 24) + rd["period"][seen])
        want = np.arange(n_m, dtype=np.int64) * (1 << 24) + np.minimum(first, (1 << 24) - 1)
        pos = np.searchsorted(skey, want) - 1
        pos_c = np.maximum(pos, 0)
        if len(skey):
            earlier_ok = (pos >= 0) & ((skey[pos_c] >> 24) == np.arange(n_m))
            earlier = np.where(earlier_ok, skey[pos_c] & ((1 << 24) - 1), -1)
        else:
            earlier = np.full(n_m, -1, dtype=np.int64)
        span = np.where(
            earlier >= 0,
            month_index(np.maximum(lastp, 0)) - month_index(np.maximum(earlier, 0)),
            n_with,
        )
        avg_months = np.where(n_with > 0, span, 0)
        average = np.stack(
            [core.average_volume(total[:, z], avg_months) for z in range(N_ZONE_CODES)], axis=1
        )
        # spells
        installed_month = month_index(meters["installed"][mrow])
        ref = np.where(
            last_reading[line_m] >= 0,
            month_index(np.maximum(last_reading[line_m], 0)),
            installed_month,
        )
        this_month = int(month_index(np.array([s]))[0])
        since_month = month_index(np.maximum(since, 0))
        spell = np.select(
            [
                (condition == 2) & (since >= 0),
                (condition == 3) & (since >= 0),
                (condition == 1) & ~present[line_m],
            ],
            [this_month - since_month + 1, this_month - since_month + 1, this_month - ref],
            default=0,
        )
        volume = vol[line_m]
        # rules.md §14: after averaged months subtract what the average billed, zone by zone
        # (split by the base's zone averages, `averaged_by_zone`); only a reading after a
        # gap of a month or more can follow averaged months
        lr = last_reading[line_m]
        gap = present[line_m] & (lr >= 0) & (month_index(np.maximum(lr, 0)) < this_month - 1)
        if np.any(gap):
            averaged = self._averaged(
                links["account"][lines_idx][gap], links["service"][lines_idx][gap], lr[gap]
            )
            first_zone_code = np.array(
                [ZONE_CODES[ZONES_BY_COUNT[int(c)][0]] for c in meter_zones[line_m][gap]],
                dtype=np.int64,
            )
            volume[gap] -= averaged_by_zone(averaged, average[line_m][gap], first_zone_code)
        out["condition"][lines_idx] = condition
        out["present"][lines_idx] = present[line_m]
        out["spell"][lines_idx] = spell
        # a working meter with a reading is charged by it: no average is needed or shown
        by_reading = present[line_m] & (condition == 1)
        out["average_months"][lines_idx] = np.where(by_reading, 0, avg_months[line_m])
        out["zones"][lines_idx] = meter_zones[line_m]
        out["volume"][lines_idx] = volume
        out["average"][lines_idx] = np.where(by_reading[:, None], 0, average[line_m])
        return out

    def _averaged(self, accounts: I64, services: I64, last_reading: I64) -> I64:
        """Σ averaged volumes posted for the months after the last reading (per line)."""
        out = np.zeros(len(accounts), dtype=np.int64)
        posted = list(
            BillingRun.objects.filter(organization=self.org, state=RunState.POSTED).values_list(
                "pk", flat=True
            )
        )
        if not posted or not len(accounts):
            return out
        rwhere, rparams = _in("x.run_id", posted)
        awhere, aparams = _in("x.account_id", np.unique(accounts).tolist())
        rows = A.read(
            f"SELECT x.account_id, x.service_id, {A.days_sql('x.corrects_period')}, x.volume "
            f"FROM {_t(ChargeLine)} x WHERE {awhere} AND {rwhere} "
            f"AND x.method IN ({', '.join(str(int(m)) for m in AVERAGE_METHODS)}) "
            "AND x.corrects_period < %s AND x.corrects_period >= %s",
            [
                *aparams,
                *rparams,
                self.month.start,
                self.month.start.replace(year=self.month.start.year - 2),
            ],
            ["account", "service", "period", "volume"],
        )
        if not len(rows["account"]):
            return out
        key = accounts * KEY + services
        order = np.argsort(key, kind="stable")
        ks = key[order]
        rkey = rows["account"] * KEY + rows["service"]
        pos = np.searchsorted(ks, rkey)
        pos_c = np.minimum(pos, len(ks) - 1)
        hit = ks[pos_c] == rkey
        line = order[pos_c]
        # the posted lines' periods are month starts; last reading may be −1 (none)
        lr = last_reading[line]
        take = hit & (rows["period"] > np.where(lr >= 0, lr, self.s))
        np.add.at(out, line[take], rows["volume"][take])
        return out

    def _building_volumes(self) -> dict[str, I64]:
        where, params = _in("bm.building_id", self.building_ids)
        prev_year = self.month.start.year - 1
        rows = A.read(
            f"SELECT bm.building_id, bm.service_id, {A.days_sql('r.period')}, "
            f"{A.scaled_sql('r.volume', 1_000_000)} FROM {_t(BuildingMeterReading)} r "
            f"JOIN {_t(BuildingMeter)} bm ON bm.id = r.building_meter_id "
            f"WHERE {where} AND r.is_current AND r.period >= %s AND r.period <= %s",
            [*params, date(prev_year, 1, 1), self.month.start],
            ["building", "service", "period", "volume"],
        )
        key = rows["building"] * KEY + rows["service"]
        keys = np.unique(key)
        month = np.full(len(keys), -1, dtype=np.int64)
        year = np.full(len(keys), -1, dtype=np.int64)
        pos = np.searchsorted(keys, key)
        this = rows["period"] == self.s
        if np.any(this):
            month[np.unique(pos[this])] = 0
            np.add.at(month, pos[this], rows["volume"][this])
        in_prev = (rows["period"] >= A.day_number(date(prev_year, 1, 1))) & (
            rows["period"] < A.day_number(date(prev_year + 1, 1, 1))
        )
        if np.any(in_prev):
            year[np.unique(pos[in_prev])] = 0
            np.add.at(year, pos[in_prev], rows["volume"][in_prev])
        return {"key": keys, "month": month, "year": year}

    def _acts(
        self,
        accounts: I64,
        building: I64,
        service: I64,
        tariffs: dict[tuple[int, int | None, str], list[Tariff]],
        services: dict[int, Service],
    ) -> dict[str, I64]:
        """The acts' figures per line, by the general builder's own rules
        (`raschet.billing.snapshot.ActFacts`); only lines of a (building, service) with an
        act are looked at."""
        n = len(accounts)
        out = {
            name: np.zeros(n, dtype=np.int64)
            for name in (
                "quality_units",
                "cold_hours",
                "cold_rate",
                "maintenance_hours",
                "upkeep_days",
                "overcharge",
            )
        }
        facts = load_acts(self.building_ids, self.month)
        pairs = facts.pairs()
        if not pairs or n == 0:
            return out
        wanted = np.asarray([b * KEY + sv for b, sv in pairs], dtype=np.int64)
        cold_rates: dict[int, int] = {}
        for i in np.nonzero(np.isin(building * KEY + service, wanted))[0].tolist():
            b = int(building[i])
            line = facts.for_line(b, int(accounts[i]), int(service[i]))
            out["quality_units"][i] = line.quality_units
            out["cold_hours"][i] = line.cold_hours
            out["maintenance_hours"][i] = line.maintenance_hours
            out["upkeep_days"][i] = line.upkeep_days
            out["overcharge"][i] = line.overcharge
            if line.cold_hours:
                if b not in cold_rates:
                    cold_rates[b] = cold_water_rate(tariffs, services, b, self.month)
                out["cold_rate"][i] = cold_rates[b]
        return out

    def _payees(self) -> dict[str, I64]:
        rows = [
            (c.building_id * KEY + c.service_id, c.payee_id)
            for c in ServiceContract.objects.filter(
                building_id__in=self.building_ids, valid_from__lt=self.month.end
            ).exclude(valid_to__lte=self.month.start)
        ]
        rows.sort()
        return {
            "key": np.array([r[0] for r in rows], dtype=np.int64),
            "payee": np.array([r[1] for r in rows], dtype=np.int64),
        }

    def _benefits(
        self, accounts: I64, service: I64, persons: I64, area: I64, norm: I64, codes: dict[int, str]
    ) -> core.Benefits:
        """Benefits of persons registered on the month's last day (rules.md §4.2)."""
        empty = np.zeros(0, dtype=np.int64)
        last = self.month.end
        acc_ids = np.unique(accounts).tolist()
        scope, params = self._scope("account")
        rows = A.read(
            f"SELECT x.account_id, b.category_id FROM {_t(Registration)} x "
            f"JOIN {_t(PersonBenefit)} b ON b.person_id = x.person_id "
            f"{scope} AND x.valid_from < %s AND (x.valid_to IS NULL OR x.valid_to >= %s) "
            "AND b.valid_from < %s AND (b.valid_to IS NULL OR b.valid_to >= %s)",
            [*params, last, last, last, last],
            ["account", "category"],
        )
        rows = _only(rows, np.isin(rows["account"], np.asarray(acc_ids, dtype=np.int64)))
        if not len(rows["account"]):
            return core.Benefits(
                line=empty,
                covered=empty,
                percent=empty,
                base=empty.astype(np.int8),
                social_norm_area=empty,
                norm=empty,
                cash=empty.astype(np.bool_),
            )
        pairs, counts = np.unique(rows["account"] * KEY + rows["category"], return_counts=True)
        categories = {c.pk: c for c in BenefitCategory.objects.filter(organization=self.org)}
        social = (
            to_scaled(self.org.social_norm_single_m2, AREA_SCALE),
            to_scaled(self.org.social_norm_two_m2, AREA_SCALE),
            to_scaled(self.org.social_norm_per_person_m2, AREA_SCALE),
        )
        line_key = accounts * KEY + service
        order = np.argsort(line_key, kind="stable")
        lk_sorted = line_key[order]
        out: dict[str, list[int]] = defaultdict(list)
        for pair, count in zip(pairs.tolist(), counts.tolist(), strict=True):
            account, cat_id = divmod(pair, KEY)
            cat = categories[cat_id]
            for sid, code in codes.items():
                base = (cat.service_bases or {}).get(code)
                if not base:
                    continue
                key = account * KEY + sid
                pos = int(np.searchsorted(lk_sorted, key))
                if pos >= len(lk_sorted) or lk_sorted[pos] != key:
                    continue
                line = int(order[pos])
                n = int(persons[line])
                out["line"].append(line)
                out["covered"].append(n if cat.covers == "family" else count)
                out["percent"].append(to_scaled(cat.percent, PERCENT_SCALE))
                out["base"].append(int(BENEFIT_BASES[base]))
                from raschet.core.billing import social_norm_area

                out["social_norm_area"].append(social_norm_area(n, *social))
                out["norm"].append(int(norm[line]))
                out["cash"].append(int(cat.is_cash))
        order_b = np.argsort(np.asarray(out["line"], dtype=np.int64), kind="stable")

        def col(name: str, dtype: Any = np.int64) -> Any:
            return np.asarray(out[name], dtype=dtype)[order_b]

        return core.Benefits(
            line=col("line"),
            covered=col("covered"),
            percent=col("percent"),
            base=col("base", np.int8),
            social_norm_area=col("social_norm_area"),
            norm=col("norm"),
            cash=col("cash", np.bool_),
        )


__all__ = ["FastLines", "FastLoader", "MeterState", "engine_settings"]
