"""The write phase: a checked `Plan` → rows, parents before children, inside the caller's
transaction.

PostgreSQL gets `COPY` (about 40× faster than `bulk_create`, architecture.md §1); SQLite gets
`bulk_create`. New ids are read back by natural key with one query per parent table. Bulk
writes bypass django-simple-history: the `ImportBatch` row is the audit record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Max, Model

from raschet.housing.models import Account, Building, Premises
from raschet.importers.housing.plan import Plan, TablePlan
from raschet.organizations.models import Organization
from raschet.registry.models import Ownership, Person, Registration
from raschet.tariffs.models import AccountService, Service
from raschet.tariffs.services import services_install_catalogue

Progress = Callable[[int], None]
_BATCH = 2000


def plan_write(*, plan: Plan, organization: Organization, progress: Progress) -> None:
    ids = plan.ids
    services = plan.service_ids
    if plan.install_catalogue:
        services_install_catalogue(organization=organization)
        services = {s.code: s.pk for s in Service.objects.filter(organization=organization)}

    def refs(vals: dict[str, Any]) -> dict[str, Any]:
        if "building_ref" in vals:
            vals["building_id"] = ids["buildings"][vals.pop("building_ref")]
        if "premises_ref" in vals:
            vals["premises_id"] = ids["premises"][vals.pop("premises_ref")]
        return vals

    def link(parent: str, parent_table: str, second: str, second_ids: dict) -> Callable:
        def make(key: Any, vals: dict[str, Any]) -> dict[str, Any]:
            return {
                **vals,
                parent: ids[parent_table][key[0]],
                second: second_ids[key[1]],
                "valid_from": key[2],
            }

        return make

    steps: list[tuple[type[Model], str, Callable, tuple[str, ...] | None]] = [
        (Building, "buildings", lambda k, v: refs(v), ("address",)),
        (Premises, "premises", lambda k, v: refs(v), ("building__address", "number")),
        (Account, "accounts", lambda k, v: refs(v), ("number",)),
        (Person, "persons", lambda k, v: v,
         ("last_name", "first_name", "middle_name", "birth_date")),
        (Ownership, "ownerships", link("premises_id", "premises", "person_id", ids["persons"]),
         None),
        (Registration, "registrations",
         link("account_id", "accounts", "person_id", ids["persons"]), None),
        (AccountService, "account_services",
         link("account_id", "accounts", "service_id", services), None),
    ]  # fmt: skip
    done = 0
    for model, name, to_values, natural in steps:
        tp = plan.tables[name]
        _write_table(model, tp, organization, to_values, natural, ids.get(name))
        done += len(tp.creates) + len(tp.updates)
        progress(done)


def _write_table(
    model: type[Model],
    tp: TablePlan,
    org: Organization,
    to_values: Callable[[Any, dict[str, Any]], dict[str, Any]],
    natural: tuple[str, ...] | None,
    id_map: dict[Any, int] | None,
) -> None:
    manager = model._default_manager  # type: ignore[attr-defined]
    if tp.creates:
        before = manager.aggregate(m=Max("id"))["m"] or 0
        rows = [to_values(key, dict(vals)) for key, vals in tp.creates]
        if connection.vendor == "postgresql":
            _copy(model, rows, org)
        else:
            manager.bulk_create(
                [model(organization=org, **vals) for vals in rows], batch_size=_BATCH
            )
        del rows
        if natural is not None and id_map is not None:
            new = manager.filter(organization=org, id__gt=before).values_list("id", *natural)
            for r in new.iterator(chunk_size=20_000):
                key = r[1] if len(r) == 2 else tuple(r[1:])
                id_map.setdefault(key, r[0])
    groups: dict[tuple[str, ...], list[Model]] = {}
    for pk, changed in tp.updates:
        vals = to_values(None, dict(changed)) if natural is not None else dict(changed)
        groups.setdefault(tuple(sorted(vals)), []).append(model(pk=pk, **vals))
    for fields, objs in groups.items():
        manager.bulk_update(objs, list(fields), batch_size=500)


def _copy(model: type[Model], rows: list[dict[str, Any]], org: Organization) -> None:
    """`COPY … FROM STDIN` through the psycopg 3 connection of the current transaction."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]  # type: ignore[attr-defined]
    defaults = {f.attname: f.get_default() for f in fields}
    defaults["organization_id"] = org.pk
    attnames = [f.attname for f in fields]
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(  # names come from model metadata
        quote(model._meta.db_table),  # type: ignore[attr-defined]
        ", ".join(quote(str(f.column)) for f in fields),
    )
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for vals in rows:
            merged = {**defaults, **vals}
            copy.write_row([merged[a] for a in attnames])
