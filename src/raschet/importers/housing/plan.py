"""The database phase: compare the file with what the organization already has.

One query per table loads the organization's rows keyed by their natural keys; every file
entity becomes a create, an update (only the fields the file gives and that differ) or
"unchanged". Checks that need the merged state (file values over database values) run here,
as do overlap checks of effective-dated facts (which SQLite cannot enforce).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from raschet.housing.models import Account, Building, Premises
from raschet.importers.housing.collect import Collected, Entity
from raschet.importers.housing.resolve import Resolved
from raschet.organizations.models import Organization
from raschet.registry.models import Ownership, Person, Registration
from raschet.tariffs.models import AccountService, Service

BUILDING_FIELDS = {
    "fias_guid": "fias_guid",
    "year_built": "year_built",
    "floors": "floors",
    "building_area_total": "area_total_m2",
    "building_area_residential": "area_residential_m2",
    "building_area_non_residential": "area_non_residential_m2",
    "building_area_common": "area_common_m2",
    "heating_mode": "heating_mode",
    "common_property_mode": "common_property_mode",
}
PREMISES_FIELDS = {
    "premises_kind": "kind",
    "premises_area_total": "area_total_m2",
    "premises_area_living": "area_living_m2",
    "rooms": "rooms",
    "communal_flat": "is_communal_flat",
}
ACCOUNT_FIELDS = {
    "opened_on": "opened_on",
    "closed_on": "closed_on",
    "payer_name": "payer_name",
    "tenure": "tenure",
    "account_area": "area_m2",
}
PERSON_FIELDS = {"snils": "snils"}
LINK_FIELDS = {
    "ownerships": ("valid_to", "share_numerator", "share_denominator"),
    "registrations": ("valid_to", "kind", "relation"),
    "account_services": ("valid_to", "method", "zones"),
}


@dataclass
class TablePlan:
    """Creates carry natural keys and references; the writer turns them into ids."""

    creates: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {"created": len(self.creates), "updated": len(self.updates),
                "unchanged": self.unchanged}  # fmt: skip


@dataclass
class Plan:
    tables: dict[str, TablePlan]
    ids: dict[str, dict[Any, int]]  # natural key → id of existing rows, per table
    service_ids: dict[str, int]
    install_catalogue: bool


def _defaults(model: type[Model], attnames: list[str]) -> dict[str, Any]:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return {a: fields[a].get_default() for a in attnames}


def _load(model: type[Model], org: Organization, fields: list[str]) -> list[tuple]:
    return list(model._default_manager.filter(organization=org).values_list("id", *fields))


def build_plan(col: Collected, res: Resolved, *, organization: Organization) -> Plan:
    org = organization
    tables: dict[str, TablePlan] = {}
    ids: dict[str, dict[Any, int]] = {}

    # Buildings
    b_fields = list(BUILDING_FIELDS.values())
    existing_b = {r[1]: (r[0], dict(zip(b_fields, r[2:], strict=True)))
                  for r in _load(Building, org, ["address", *b_fields])}  # fmt: skip
    ids["buildings"] = {k: v[0] for k, v in existing_b.items()}
    b_by_id = {v[0]: k for k, v in existing_b.items()}
    b_defaults = _defaults(Building, b_fields)
    merged_b: dict[str, dict[str, Any]] = {}
    tables["buildings"] = plan_b = TablePlan()
    for address, ent in col.buildings.items():
        given = _given(ent, BUILDING_FIELDS)
        old = existing_b.get(address)
        merged_b[address] = {**(old[1] if old else b_defaults), **given}
        _diff(plan_b, address, old, given, {"address": address})
        m = merged_b[address]
        parts = m["area_residential_m2"] + m["area_non_residential_m2"]
        if m["area_total_m2"] is not None and parts > m["area_total_m2"]:
            col.error(
                _row(ent, "building_area_total"),
                "building_area_total",
                m["area_total_m2"],
                f"площадь дома меньше суммы площадей жилых и нежилых помещений ({parts})",
            )

    # Premises
    p_fields = list(PREMISES_FIELDS.values())
    existing_p = {}
    for r in _load(Premises, org, ["building_id", "number", *p_fields]):
        existing_p[(b_by_id[r[1]], r[2])] = (r[0], dict(zip(p_fields, r[3:], strict=True)))
    ids["premises"] = {k: v[0] for k, v in existing_p.items()}
    p_by_id = {v[0]: k for k, v in existing_p.items()}
    p_defaults = _defaults(Premises, p_fields)
    merged_p: dict[tuple[str, str], dict[str, Any]] = {}
    tables["premises"] = plan_p = TablePlan()
    for pkey, ent in col.premises.items():
        given = _given(ent, PREMISES_FIELDS)
        old = existing_p.get(pkey)
        merged_p[pkey] = m = {**(old[1] if old else p_defaults), **given}
        _diff(plan_p, pkey, old, given, {"building_ref": pkey[0], "number": pkey[1]})
        total = m["area_total_m2"]
        if m["area_living_m2"] is not None and total is not None and m["area_living_m2"] > total:
            col.error(_row(ent, "premises_area_living"), "premises_area_living",
                      m["area_living_m2"], "жилая площадь больше общей площади")  # fmt: skip
        b_total = merged_b[pkey[0]]["area_total_m2"]
        if total is not None and b_total is not None and total > b_total:
            col.error(_row(ent, "premises_area_total"), "premises_area_total", total,
                      f"площадь помещения больше площади дома ({b_total})")  # fmt: skip

    # Accounts
    a_fields = list(ACCOUNT_FIELDS.values())
    existing_a = {r[1]: (r[0], {"premises_id": r[2], **dict(zip(a_fields, r[3:], strict=True))})
                  for r in _load(Account, org, ["number", "premises_id", *a_fields])}  # fmt: skip
    ids["accounts"] = {k: v[0] for k, v in existing_a.items()}
    a_by_id = {v[0]: k for k, v in existing_a.items()}
    a_defaults = _defaults(Account, a_fields)
    tables["accounts"] = plan_a = TablePlan()
    for number, ent in col.accounts.items():
        pkey = col.account_premises[number]
        given = _given(ent, ACCOUNT_FIELDS)
        old = existing_a.get(number)
        m = {**(old[1] if old else a_defaults), **given}
        given["premises_ref"] = pkey  # a different premises moves the account (an update)
        if old is not None:
            old = (old[0], {**old[1], "premises_ref": p_by_id.get(old[1]["premises_id"])})
        _diff(plan_a, number, old, given, {"number": number})
        closed, opened = m["closed_on"], m["opened_on"]
        if closed is not None and opened is not None and closed <= opened:
            col.error(_row(ent, "closed_on"), "closed_on", closed,
                      "дата закрытия должна быть позже даты открытия")  # fmt: skip
        p_total = merged_p[pkey]["area_total_m2"]
        if m["area_m2"] is not None and p_total is not None and m["area_m2"] > p_total:
            col.error(_row(ent, "account_area"), "account_area", m["area_m2"],
                      f"площадь ЛС больше площади помещения ({p_total})")  # fmt: skip

    # Persons: (last, first, middle, birth date); the oldest row wins among equal keys
    existing_person: dict[Any, tuple[int, dict[str, Any]]] = {}
    person_by_id = {}
    for r in (
        Person.objects.filter(organization=org)
        .order_by("id")
        .values_list("id", "last_name", "first_name", "middle_name", "birth_date", "snils")
    ):
        key = (r[1], r[2], r[3], r[4])
        person_by_id[r[0]] = key
        existing_person.setdefault(key, (r[0], {"snils": r[5]}))
    ids["persons"] = {k: v[0] for k, v in existing_person.items()}
    tables["persons"] = plan_person = TablePlan()
    for key, ent in col.persons.items():
        given = _given(ent, PERSON_FIELDS)
        base = {"last_name": key[0], "first_name": key[1], "middle_name": key[2],
                "birth_date": key[3]}  # fmt: skip
        _diff(plan_person, key, existing_person.get(key), given, base)

    # Links
    services = {s.code: s.pk for s in Service.objects.filter(organization=org)}
    svc_by_id = {v: k for k, v in services.items()}
    link_sources: dict[str, tuple[type[Model], str, dict[int, Any], dict[Any, Any]]] = {
        "ownerships": (Ownership, "premises_id", p_by_id, res.ownerships),
        "registrations": (Registration, "account_id", a_by_id, res.registrations),
        "account_services": (AccountService, "account_id", a_by_id, res.account_services),
    }
    for name, (model, parent, parent_by_id, file_rows) in link_sources.items():
        second = "service_id" if name == "account_services" else "person_id"
        second_by_id = svc_by_id if name == "account_services" else person_by_id
        fields = list(LINK_FIELDS[name])
        existing: dict[Any, tuple[int, dict[str, Any]]] = {}
        periods: dict[tuple, list[tuple[dt.date, dt.date | None, int]]] = {}
        for r in _load(model, org, [parent, second, "valid_from", *fields]):
            pair = (parent_by_id[r[1]], second_by_id[r[2]])
            existing[(*pair, r[3])] = (r[0], dict(zip(fields, r[4:], strict=True)))
        tables[name] = tp = TablePlan()
        # Overlaps: the final state of every pair the file touches (one pass, ~1M file rows)
        for key, rec in file_rows.items():
            old = existing.get(key)
            values = rec.values
            _diff(tp, key, old, values, {"valid_from": key[2]})
            if "valid_to" in values:
                end = values["valid_to"]
            else:
                end = old[1]["valid_to"] if old else None
            pair = key[:2]
            items = periods.get(pair)
            if items is None:
                periods[pair] = [(key[2], end, rec.row)]
            else:
                items.append((key[2], end, rec.row))
        for key, (_, vals) in existing.items():
            if key[:2] in periods and key not in file_rows:
                periods[key[:2]].append((key[2], vals["valid_to"], 0))
        _check_overlaps(col, name, periods)
    return Plan(
        tables=tables,
        ids=ids,
        service_ids=services,
        install_catalogue=any(k[1] not in services for k in res.account_services),
    )


def _given(ent: Entity, mapping: dict[str, str]) -> dict[str, Any]:
    return {att: ent.values[key] for key, att in mapping.items() if key in ent.values}


def _row(ent: Entity, key: str) -> int:
    return ent.rows.get(key, ent.row)


def _same(a: Any, b: Any) -> bool:
    """Decimal('54.30') from the database equals Decimal('54.3') from the file."""
    return bool(a == b)


def _diff(
    tp: TablePlan,
    key: Any,
    old: tuple[int, dict[str, Any]] | None,
    given: dict[str, Any],
    create_extra: dict[str, Any],
) -> None:
    if old is None:
        tp.creates.append((key, {**create_extra, **given}))
        return
    changed = {a: val for a, val in given.items() if not _same(old[1].get(a), val)}
    if changed:
        tp.updates.append((old[0], changed))
    else:
        tp.unchanged += 1


_OVERLAP_MESSAGES = {
    "ownerships": "период собственности пересекается с другой записью этого собственника "
    "в помещении (с {other})",
    "registrations": "период регистрации пересекается с другой регистрацией этого гражданина "
    "в лицевом счёте (с {other})",
    "account_services": "период услуги пересекается с уже подключённой услугой (с {other})",
}


def _check_overlaps(
    col: Collected, name: str, periods: dict[tuple, list[tuple[dt.date, dt.date | None, int]]]
) -> None:
    for items in periods.values():
        if len(items) < 2:
            continue
        items.sort(key=lambda p: p[0])
        for prev, cur in itertools.pairwise(items):
            if (prev[2] or cur[2]) and (prev[1] is None or prev[1] > cur[0]):
                row = cur[2] or prev[2]
                rec_col = "registered_from" if name == "registrations" else (
                    "owner_from" if name == "ownerships" else "services_from")  # fmt: skip
                col.error(
                    row,
                    rec_col,
                    cur[0] if cur[2] else prev[0],
                    _OVERLAP_MESSAGES[name].format(other=f"{prev[0]:%d.%m.%Y}"),
                )
