"""Benchmark: a full billing month (load facts, compute, write trial lines, post) on PostgreSQL.

Targets (billing issue) for 1,000,000 accounts on the 2-core machine: ≤ 60 s wall, ≤ 4 GB
peak memory, and at most 4 times the floor — the time to `COPY` the same number of rows,
formatted in Python the way the engine formats them, into an unindexed table. Also run with
100,000 accounts on SQLite (`--sqlite`). Not a test.

    .venv/bin/python bench/billing.py [--accounts 1000000] [--reuse]
        [--database-url $DATABASE_URL or postgres://postgres@127.0.0.1:5432/raschet_bench_billing]
    .venv/bin/python bench/billing.py --sqlite [--accounts 100000] [--reuse]

Stock (deterministic from ``--seed``, written with raw `COPY` on PostgreSQL and
``executemany`` on SQLite): one organization with the standard catalogue, Тверь-like tariffs
and norms of ``raschet.demo.rates`` (organization-wide, maintenance included), buildings of
100 flats, each flat one account with 10 services (maintenance, capital repair, heating,
cold and hot water, wastewater, electricity, solid waste, common-property electricity and
cold water). 70 % of the accounts have cold water, hot water and electricity meters (a fifth
of the electricity meters two-zone) with an initial reading in November 2024, readings for
December to February and, for 90 % of them, March 2025 (the rest get the average); 0.5 %
have a broken cold-water meter. The others pay by the norm, half of them with the increasing
coefficient. 1–4 registered persons per account (2 % with one arriving mid-month), one owner,
5 % with a benefit. Half of the buildings have a heating building meter with monthly volumes.
The billed month is March 2025.

A second run with ``--reuse`` and the same ``--accounts`` and ``--seed`` keeps the stock (a
marker table names it) and only wipes the earlier runs, lines and ledger entries.

The month runs in a subprocess that times its phases and reports its own peak RSS
(getrusage); the floor runs in another. The last line is
``RESULT accounts=N lines=L wall_s=W floor_s=F ratio=R peak_rss_mb=M``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/raschet_bench_billing"
STOCK_VERSION = 1  # bump when the generator changes: --reuse then rebuilds
PERIOD = date(2025, 3, 1)
FLATS = 100
SERVICES = (
    "maintenance",
    "capital_repair",
    "heating",
    "cold_water",
    "hot_water",
    "wastewater",
    "electricity",
    "solid_waste",
    "common_electricity",
    "common_cold_water",
)
METER_SERVICES = ("cold_water", "hot_water", "electricity")
BY_METER = {"cold_water", "hot_water", "electricity", "wastewater"}
MAINTENANCE_RATE = "32.50"  # ₽/m², organization-wide here (the demo sets it per building)
# Readings: the initial one at installation, then one for each month up to PERIOD — three
# months before it, the least an average may be based on (rules.md §14, п.59).
INSTALLED = "2024-11-10"
READING_MONTHS = (("2024-11-01", "2024-11-10"), ("2024-12-01", "2024-12-20"),
                  ("2025-01-01", "2025-01-20"), ("2025-02-01", "2025-02-20"),
                  ("2025-03-01", "2025-03-20"))  # fmt: skip
HEATING_MONTHS = ("2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-10-01",
                  "2024-11-01", "2024-12-01", "2025-01-01", "2025-02-01", "2025-03-01")  # fmt: skip
LAST = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов",
        "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев"]  # fmt: skip
FIRST_M = ["Иван", "Пётр", "Сергей", "Алексей", "Дмитрий", "Андрей", "Михаил", "Николай"]
FIRST_F = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана"]
STREETS = ["Советская", "Ленина", "Мира", "Садовая", "Школьная", "Лесная", "Новая", "Заречная"]


# ----------------------------------------------------------------------------- plumbing


def recreate_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raschet.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def raw_connect(url: str) -> Any:
    """A plain DB-API connection (autocommit on PostgreSQL) for the parent's housekeeping."""
    if is_sqlite(url):
        import sqlite3

        return sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
    import psycopg

    return psycopg.connect(url, autocommit=True)


def stock_marker(url: str, table: str = "bench_billing_stock") -> dict[str, int] | None:
    """The marker of the stock in the database, or None when there is none."""
    if is_sqlite(url) and not Path(url.split(":///", 1)[1]).exists():
        return None
    try:
        conn = raw_connect(url)
    except Exception:  # no database yet
        return None
    try:
        row = conn.execute(f"SELECT accounts, seed, version FROM {table}").fetchone()  # noqa: S608
    except Exception:  # no marker table
        return None
    finally:
        conn.close()
    return dict(zip(("accounts", "seed", "version"), row, strict=True)) if row else None


def reset_runs(url: str) -> None:
    """Wipe the runs, lines and ledger entries of earlier measurements; keep the stock."""
    conn = raw_connect(url)
    tables = "billing_chargeline, billing_runbatch, billing_billingrun, ledger_ledgerentry"
    if is_sqlite(url):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO ledger_purgeflag (reason) VALUES ('bench')")
        for t in tables.split(", "):
            conn.execute(f"DELETE FROM {t}")  # noqa: S608 — fixed names
        conn.execute("DELETE FROM ledger_purgeflag")
        conn.execute("COMMIT")  # no VACUUM: the CHECKs need Django's SQL functions
    else:
        # The append-only guards refuse TRUNCATE; a bench database may switch them off.
        conn.execute("SET session_replication_role = replica")
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY")
        conn.execute("RESET session_replication_role")
        conn.execute("VACUUM ANALYZE")
    conn.close()


def checkpoint(url: str) -> None:
    """Flush dirty pages so one measurement does not pay for the writes of the one before."""
    conn = raw_connect(url)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)" if is_sqlite(url) else "CHECKPOINT")
    conn.close()


# ----------------------------------------------------------------------------- stock


class Plan:
    """Per-account attributes of the stock, drawn once with numpy from the seed."""

    def __init__(self, accounts: int, seed: int) -> None:
        import numpy as np

        rng = np.random.default_rng(seed)
        n = self.n = accounts
        self.buildings = -(-n // FLATS)
        self.area = rng.integers(2800, 9501, n)  # 1e-2 m²
        self.people = rng.choice(np.array([1, 2, 3, 4]), n, p=[0.15, 0.35, 0.35, 0.15])
        self.metered = rng.random(n) < 0.70
        self.possible = rng.random(n) < 0.5  # norm accounts: the coefficient applies
        self.two_zone = self.metered & (rng.random(n) < 0.20)
        self.submitted = rng.random(n) < 0.90  # the March reading arrived
        self.broken = self.metered & (rng.random(n) < 0.005)  # cold-water meter broken
        self.arrival = (self.people >= 2) & (rng.random(n) < 0.02)
        self.benefit = rng.random(n) < 0.05
        self.category = rng.integers(0, 4, n)
        # Ids assigned here: 1-based, contiguous, so no id is ever read back.
        self.person_base = (np.cumsum(self.people) - self.people + 1).tolist()
        self.meter_base = (np.cumsum(self.metered * 3) - self.metered * 3 + 1).tolist()
        self.meters = int(self.metered.sum()) * 3
        self.persons = int(self.people.sum())
        sums = np.add.reduceat(self.area, np.arange(0, n, FLATS))
        self.building_area = sums.tolist()
        for name in ("area", "people", "metered", "possible", "two_zone", "submitted",
                     "broken", "arrival", "benefit", "category"):  # fmt: skip
            setattr(self, name, getattr(self, name).tolist())


def m2(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def thousandths(value: int) -> str:
    return f"{value // 1000}.{value % 1000:03d}"


def rows_buildings(p: Plan, org: str, n: Any) -> Iterator[tuple[str, ...]]:
    for b in range(p.buildings):
        total = p.building_area[b]
        yield (str(b + 1), org, f"г. Тверь, ул. {STREETS[b % 8]}, д. {b // 8 + 1}", m2(total),
               m2(total), "0", m2(total * 15 // 100), "season", "7", "norm_cap",
               str(1960 + b % 60), "9")  # fmt: skip


def rows_premises(p: Plan, org: str, n: Any) -> Iterator[tuple[str, ...]]:
    for i in range(p.n):
        area = p.area[i]
        rooms = min(1 + area // 3000, 4)
        yield (str(i + 1), org, str(i // FLATS + 1), str(i % FLATS + 1), "residential",
               m2(area), m2(area * 6 // 10), str(rooms), "0")  # fmt: skip


def rows_accounts(p: Plan, org: str, n: Any) -> Iterator[tuple[str, ...]]:
    for i in range(p.n):
        last = LAST[i % 15]
        yield (str(i + 1), org, str(i + 1), str(1_000_000 + i), "2020-01-01",
               f"{last} {FIRST_M[i % 8]} Иванович", "owner")  # fmt: skip


def rows_persons(p: Plan, org: str, n: Any) -> Iterator[tuple[str, ...]]:
    for i in range(p.n):
        last = LAST[i % 15]
        base = p.person_base[i]
        for k in range(p.people[i]):
            female = k % 2 == 1
            first = (FIRST_F if female else FIRST_M)[(i + k) % 8]
            yield (str(base + k), org, last + ("а" if female else ""), first,
                   "Ивановна" if female else "Иванович",
                   f"{1940 + (i + 7 * k) % 65}-{1 + (i + k) % 12:02d}-"
                   f"{1 + (i * 3 + k) % 28:02d}")  # fmt: skip


def rows_ownerships(p: Plan, org: str, n: Any) -> Iterator[tuple[str, ...]]:
    for i in range(p.n):
        yield (org, str(i + 1), str(p.person_base[i]), "1", "1", "2015-01-01", n)


def rows_registrations(p: Plan, org: str, n: Any) -> Iterator[tuple[str, ...]]:
    for i in range(p.n):
        base, people = p.person_base[i], p.people[i]
        for k in range(people):
            arrives = p.arrival[i] and k == people - 1
            yield (org, str(i + 1), str(base + k), "permanent",
                   "owner" if k == 0 else "relative", "2025-03-15" if arrives else "2015-01-01",
                   n)  # fmt: skip


def rows_benefits(p: Plan, org: str, n: Any, categories: list[int]) -> Iterator[tuple[str, ...]]:
    for i in range(p.n):
        if p.benefit[i]:
            cat = str(categories[p.category[i] % len(categories)])
            yield (org, str(p.person_base[i]), cat, "2020-01-01", n, "")


def rows_account_services(
    p: Plan, org: str, n: Any, services: dict[str, int]
) -> Iterator[tuple[str, ...]]:
    sids = [(code, str(services[code]), code in BY_METER) for code in SERVICES]
    for i in range(p.n):
        acc = str(i + 1)
        metered = p.metered[i]
        possible = "1" if metered or p.possible[i] else "0"
        zones = "2" if p.two_zone[i] else "1"
        for code, sid, meterable in sids:
            method = "meter" if metered and meterable else "norm"
            yield (org, acc, sid, method, possible if meterable else "1",
                   zones if code == "electricity" else "1", "2020-01-01", n)  # fmt: skip


def rows_meters(p: Plan, org: str, n: Any, services: dict[str, int]) -> Iterator[tuple[str, ...]]:
    cw, hw, el = (str(services[c]) for c in METER_SERVICES)
    for i in range(p.n):
        if not p.metered[i]:
            continue
        base, prem = p.meter_base[i], str(i + 1)
        for k, (sid, prefix, zones, digits) in enumerate(
            (
                (cw, "CW", "1", "5"),
                (hw, "HW", "1", "5"),
                (el, "EL", "2" if p.two_zone[i] else "1", "6"),
            )
        ):
            yield (str(base + k), org, prem, sid, f"{prefix}-{i}", "", zones, digits,
                   INSTALLED, "2030-12-10")  # fmt: skip


def rows_state_changes(p: Plan, org: str, n: Any) -> Iterator[tuple[str, ...]]:
    for i in range(p.n):
        if p.broken[i]:
            yield (org, str(p.meter_base[i]), "broken", "2025-02-10", "")


def reading_streams(p: Plan, i: int) -> Iterator[tuple[int, str, int, int]]:
    """(meter id, zone, start value, monthly step) of each meter zone of a metered flat."""
    base = p.meter_base[i]
    yield base, "single", (i * 7919) % 40_000 * 1000, 2000 + (i * 37) % 7000
    yield base + 1, "single", (i * 6007) % 40_000 * 1000, 1000 + (i * 53) % 5000
    if p.two_zone[i]:
        yield base + 2, "day", (i * 104_729) % 400_000 * 1000, 80_000 + (i * 31) % 150_000
        yield base + 2, "night", (i * 15_485) % 400_000 * 1000, 30_000 + (i * 17) % 80_000
    else:
        yield base + 2, "single", (i * 104_729) % 400_000 * 1000, 90_000 + (i * 31) % 200_000


def rows_readings(p: Plan, org: str, n: Any, now: str) -> Iterator[tuple[str, ...]]:
    last_month = len(READING_MONTHS) - 1
    for i in range(p.n):
        if not p.metered[i]:
            continue
        for mid, zone, start, step in reading_streams(p, i):
            broken = p.broken[i] and mid == p.meter_base[i]
            months = last_month if broken or not p.submitted[i] else last_month + 1
            value = start
            for m in range(months):
                period, taken = READING_MONTHS[m]
                volume = n
                if m:
                    used = step + (i + m * 13) % 5 * step // 10
                    value += used
                    volume = thousandths(used)
                kind = "initial" if m == 0 else "regular"
                yield (org, str(mid), zone, period, kind, thousandths(value), volume, taken,
                       "operator", "ok", "1", now, "bench")  # fmt: skip


def rows_building_meters(p: Plan, org: str, n: Any, heating: int) -> Iterator[tuple[str, ...]]:
    for b in range(0, p.buildings, 2):
        yield (str(b // 2 + 1), org, str(b + 1), str(heating), f"HT-{b}", "8", "2020-01-01")


def rows_building_readings(p: Plan, org: str, n: Any, now: str) -> Iterator[tuple[str, ...]]:
    for b in range(0, p.buildings, 2):
        area = p.building_area[b]  # 1e-2 m²; ~0.02 Gcal/m² a month in the season
        for k, period in enumerate(HEATING_MONTHS):
            gcal = area * (18 + (b + k) % 7) // 100  # thousandths of a Gcal
            yield (org, str(b // 2 + 1), period, n, thousandths(gcal), "operator", "1", now)


class Writer:
    """Bulk rows into a model's table: text `COPY` on PostgreSQL, executemany on SQLite.

    Rows are tuples of strings (booleans "1"/"0", ``self.null`` for NULL). Columns the
    generators leave out get the model field's default, NULL or "" (the constant tail).
    """

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pg = connection.vendor == "postgresql"
        self.null: Any = "\\N" if self.pg else None
        self.now = "2025-03-25 00:00:00+00" if self.pg else "2025-03-25 00:00:00"
        self.counts: dict[str, int] = {}
        self.skipped: list[str] = []  # constraints left out of the stock

    def tail(self, model: Any, columns: list[str]) -> tuple[list[str], tuple[Any, ...]]:
        from decimal import Decimal

        from django.db import models

        names, values = [], []
        for f in model._meta.concrete_fields:
            if f.column in columns or (f.primary_key and "id" not in columns):
                continue
            if f.has_default():
                v = f.get_default()
            elif getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                v = self.now
            elif f.null:
                v = None
            elif isinstance(f, models.CharField | models.TextField):
                v = ""
            else:
                raise RuntimeError(f"{model.__name__}.{f.name}: the generator must fill it")
            if v is None:
                v = self.null
            elif isinstance(v, bool):
                v = "1" if v else "0"
            elif isinstance(v, dict | list):
                v = json.dumps(v)
            elif isinstance(v, int | Decimal | str):
                v = str(v)
            else:
                raise RuntimeError(f"{model.__name__}.{f.name}: default {v!r}")
            names.append(f.column)
            values.append(v)
        return names, tuple(values)

    def drop_indexes(self, table: str) -> list[str]:
        """Drop the table's constraints and indexes but the primary key; return the
        statements that put them back (building an index once is much faster than
        maintaining it row by row).

        The no-overlap exclusion constraints are not put back: their GiST build costs about
        50 µs a row here (≈ 9 minutes for the 10 million connected services of 1,000,000
        accounts), the generator cannot make overlaps, and the billing month only reads
        these tables (their btree indexes stay)."""
        with self.connection.connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: ALTER may run
            cur.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype <> 'p' ORDER BY contype, conname",
                [table],
            )
            constraints = cur.fetchall()
            skipped = [name for name, d in constraints if d.startswith("EXCLUDE")]
            self.skipped += skipped
            cur.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
                "AND NOT x.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY 1",
                [table],
            )
            indexes = cur.fetchall()
            for name, _ in constraints:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
        return [definition for _, definition in indexes] + [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for name, definition in constraints
            if name not in skipped
        ]

    def write(self, model: Any, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        table = model._meta.db_table
        extra, tail = self.tail(model, columns)
        cols = columns + extra
        count = 0
        if self.pg:
            from psycopg.copy import QueuedLibpqWriter

            end = "".join("\t" + v for v in tail) + "\n"
            raw = self.connection.connection
            sql = f"COPY {table} ({', '.join(cols)}) FROM STDIN"
            restore = self.drop_indexes(table)
            with raw.cursor() as cur, cur.copy(sql, writer=QueuedLibpqWriter(cur)) as cp:
                chunk: list[str] = []
                for r in rows:
                    chunk.append("\t".join(r) + end)
                    if len(chunk) == 50_000:
                        cp.write("".join(chunk))
                        count += len(chunk)
                        chunk = []
                cp.write("".join(chunk))
                count += len(chunk)
            with raw.cursor() as cur:
                for statement in restore:
                    cur.execute(statement)
        else:
            raw = self.connection.connection
            marks = ", ".join("?" * len(cols))
            counted = (r + tail for r in rows)
            cur = raw.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",  # noqa: S608
                                  counted)  # fmt: skip
            count = cur.rowcount
        self.counts[table] = self.counts.get(table, 0) + count


def build_stock(url: str, accounts: int, seed: int) -> dict[str, Any]:
    """Write the whole stock; return the row counts and the seconds per table."""
    setup_django(url)
    from django.db import connection, transaction

    from raschet.billing.models import ChargeLine
    from raschet.demo.rates import benefit_categories_make, norms_make, tariffs_make
    from raschet.housing.models import Account, Building, Premises
    from raschet.metering.models import (
        BuildingMeter,
        BuildingMeterReading,
        Meter,
        MeterStateChange,
        Reading,
    )
    from raschet.organizations.models import Organization
    from raschet.registry.models import (
        BenefitCategory,
        Ownership,
        Person,
        PersonBenefit,
        Registration,
    )
    from raschet.tariffs.models import AccountService, RateBasis, Service, Tariff, Zone
    from raschet.tariffs.services import services_install_catalogue

    del ChargeLine
    t0 = time.perf_counter()
    plan = Plan(accounts, seed)
    seconds: dict[str, float] = {"plan": round(time.perf_counter() - t0, 1)}
    with transaction.atomic():
        org = Organization.objects.create(
            code="bench", kind="management_company", name="ООО «Бенчмарк»",
            inn="7707083893", kpp="770701001",
        )  # fmt: skip
        services_install_catalogue(organization=org)
        services = {s.code: s for s in Service.objects.filter(organization=org)}
        Tariff.objects.bulk_create(tariffs_make(org, services))
        Tariff.objects.create(
            organization=org, service=services["maintenance"], zone=Zone.SINGLE,
            basis=RateBasis.PER_M2, rate=MAINTENANCE_RATE, valid_from=date(2024, 7, 1),
        )  # fmt: skip
        from raschet.tariffs.models import Norm

        Norm.objects.bulk_create(norms_make(org, services))
        BenefitCategory.objects.bulk_create(benefit_categories_make(org))
        categories = list(
            BenefitCategory.objects.filter(organization=org)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ids = {code: s.pk for code, s in services.items()}
        w = Writer(connection)
        if w.pg:
            with connection.cursor() as cur:
                cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        o, n = str(org.pk), w.null
        steps: list[tuple[Any, list[str], Callable[[], Iterable[tuple[Any, ...]]]]] = [
            (Building, ["id", "organization_id", "address", "area_total_m2",
                        "area_residential_m2", "area_non_residential_m2", "area_common_m2",
                        "heating_mode", "heating_season_months", "common_property_mode",
                        "year_built", "floors"],
             lambda: rows_buildings(plan, o, n)),
            (Premises, ["id", "organization_id", "building_id", "number", "kind",
                        "area_total_m2", "area_living_m2", "rooms", "is_communal_flat"],
             lambda: rows_premises(plan, o, n)),
            (Account, ["id", "organization_id", "premises_id", "number", "opened_on",
                       "payer_name", "tenure"], lambda: rows_accounts(plan, o, n)),
            (Person, ["id", "organization_id", "last_name", "first_name", "middle_name",
                      "birth_date"], lambda: rows_persons(plan, o, n)),
            (Ownership, ["organization_id", "premises_id", "person_id", "share_numerator",
                         "share_denominator", "valid_from", "valid_to"],
             lambda: rows_ownerships(plan, o, n)),
            (Registration, ["organization_id", "account_id", "person_id", "kind", "relation",
                            "valid_from", "valid_to"], lambda: rows_registrations(plan, o, n)),
            (PersonBenefit, ["organization_id", "person_id", "category_id", "valid_from",
                             "valid_to", "document"],
             lambda: rows_benefits(plan, o, n, categories)),
            (AccountService, ["organization_id", "account_id", "service_id", "method",
                              "meter_possible", "zones", "valid_from", "valid_to"],
             lambda: rows_account_services(plan, o, n, ids)),
            (Meter, ["id", "organization_id", "premises_id", "service_id", "serial_number",
                     "model_name", "zones", "integer_digits", "installed_on",
                     "verification_due"], lambda: rows_meters(plan, o, n, ids)),
            (MeterStateChange, ["organization_id", "meter_id", "state", "since", "reason"],
             lambda: rows_state_changes(plan, o, n)),
            (Reading, ["organization_id", "meter_id", "zone", "period", "kind", "value",
                       "volume", "taken_on", "source", "state", "is_current", "entered_at",
                       "origin"], lambda: rows_readings(plan, o, n, w.now)),
            (BuildingMeter, ["id", "organization_id", "building_id", "service_id",
                             "serial_number", "integer_digits", "installed_on"],
             lambda: rows_building_meters(plan, o, n, ids["heating"])),
            (BuildingMeterReading, ["organization_id", "building_meter_id", "period", "value",
                                    "volume", "source", "is_current", "entered_at"],
             lambda: rows_building_readings(plan, o, n, w.now)),
        ]  # fmt: skip
        for model, columns, rows in steps:
            t = time.perf_counter()
            w.write(model, columns, rows())
            seconds[model._meta.db_table] = round(time.perf_counter() - t, 1)
        with connection.cursor() as cur:
            for model, columns, _rows in steps:
                table = model._meta.db_table
                if "id" in columns and w.pg:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
            cur.execute(
                "CREATE TABLE bench_billing_stock (accounts integer, seed integer, version integer)"
            )
            cur.execute(
                "INSERT INTO bench_billing_stock VALUES (%s, %s, %s)",
                [accounts, seed, STOCK_VERSION],
            )
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    seconds["analyze"] = round(time.perf_counter() - t, 1)
    return {"organization": org.pk, "rows": w.counts, "seconds": seconds,
            "constraints_left_out": w.skipped}  # fmt: skip


# ----------------------------------------------------------------------------- measurement


class Timers:
    """Wall time and calls of named functions, by replacing the module attributes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.active: set[str] = set()

    def wrap(self, module: Any, name: str, label: str) -> None:
        fn = getattr(module, name, None)
        if fn is None:  # renamed by an engine change: report the phases that remain
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            if label in self.active:  # nested (one write helper calling another): count once
                return fn(*args, **kwargs)
            self.active.add(label)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.active.discard(label)
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start
                self.calls[label] = self.calls.get(label, 0) + 1

        setattr(module, name, timed)


# (module, function, phase): wrapped where it is looked up at call time; a name the engine
# no longer has is skipped, so the phases follow the engine as it changes.
PHASES = (
    ("raschet.billing.snapshot", "load_facts", "facts"),
    ("raschet.billing.services", "load_batch", "snapshot"),  # facts + arrays
    ("raschet.core.billing", "compute", "compute"),
    ("raschet.billing.services", "_posted_figures", "posted"),
    ("raschet.billing.diff", "posted_sums", "posted"),
    ("raschet.billing.diff", "month_output", "diff"),
    ("raschet.billing.diff", "reversals", "diff"),
    ("raschet.billing.services", "write_lines", "write"),
    ("raschet.billing.diff", "write_new_lines", "write"),
    ("raschet.billing.diff", "write_rows", "write"),
    ("raschet.billing.services", "run_report", "report"),
)
TOP_PHASES = ("snapshot", "compute", "posted", "diff", "write", "report")


def child_billing(url: str) -> None:
    """Run in a subprocess: trial run and post of PERIOD; print a JSON line."""
    setup_django(url)
    import importlib

    from django.db import connection
    from django.db.models import Count, Sum

    import raschet.billing.services as services
    from raschet.billing.models import ChargeLine
    from raschet.ledger.models import LedgerEntry
    from raschet.organizations.models import Organization

    timers = Timers()
    for module_name, name, label in PHASES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        timers.wrap(module, name, label)
    org = Organization.objects.get(code="bench")
    connection.ensure_connection()
    start = time.perf_counter()
    run = services.billing_run(organization=org, period=PERIOD, trial=True)
    while run.state == "computing":  # a worker still computes the last batches (--workers)
        time.sleep(0.1)
        run.refresh_from_db()
    computed = time.perf_counter()
    if run.state != "computed":
        print(json.dumps({"ok": False, "state": run.state, "error": run.error}, ensure_ascii=False))
        return
    run = services.billing_run_post(run=run)
    posted = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    phases = {k: round(v, 2) for k, v in timers.seconds.items()}
    if "snapshot" in phases and "facts" in phases:
        phases["arrays"] = round(phases["snapshot"] - phases["facts"], 2)
    phases["run_total"] = round(computed - start, 2)
    phases["run_other"] = round(computed - start - sum(phases.get(k, 0) for k in TOP_PHASES), 2)
    phases["post"] = round(posted - computed, 2)
    lines = ChargeLine.objects.filter(run_id=run.pk)
    methods = dict(lines.values_list("method").annotate(n=Count("pk")).order_by("method"))
    total = lines.aggregate(t=Sum("amount") + Sum("reduction") + Sum("benefit"))["t"]
    print(json.dumps({
        "ok": True, "run": run.pk, "wall_s": round(posted - start, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "lines": run.lines_count,
        "ledger_entries": LedgerEntry.objects.filter(run_id=run.pk).count(),
        "accounts": run.accounts_total, "phases": phases, "calls": timers.calls,
        "lines_by_method": methods, "total_kopecks": int(total or 0),
    }, ensure_ascii=False))  # fmt: skip


def month_with_workers(
    child: Callable[..., dict[str, Any]], env: dict[str, str], workers: int
) -> dict[str, Any]:
    """The month with ``workers`` `db_worker` processes beside the starting one: batches go
    to the database task queue (``RASCHET_TASKS=database``) and whoever is free takes the
    next; the starting process works through the queue too (docs/billing.md)."""
    queued = {**env, "RASCHET_TASKS": "database"}
    command = [sys.executable, "-m", "django", "db_worker", "--settings",
               "raschet.config.settings", "--interval", "0.2", "--no-reload",
               "--no-startup-delay", "-v", "0"]  # fmt: skip
    procs = [
        subprocess.Popen(command, env=queued, cwd=ROOT)  # noqa: S603
        for _ in range(workers)
    ]
    try:
        env["RASCHET_TASKS"] = "database"  # ``child`` runs with this very mapping
        return child("--child", "billing")
    finally:
        env["RASCHET_TASKS"] = "immediate"
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def child_floor(url: str, count: int) -> None:
    """Run in a subprocess: write ``count`` lines shaped like the run's into a bare table."""
    setup_django(url)
    from django.db import connection, transaction

    from raschet.billing.models import ChargeLine

    table = ChargeLine._meta.db_table
    # Every column the engine writes: all but the generated id.
    columns = [f.column for f in ChargeLine._meta.concrete_fields if not f.primary_key]
    cols = ", ".join(columns)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {cols} FROM {table} ORDER BY id LIMIT 20000")  # noqa: S608
        pool = [tuple(r) for r in cur.fetchall()]
        cur.execute("DROP TABLE IF EXISTS bench_floor")
        if connection.vendor == "postgresql":
            cur.execute(
                f"CREATE TABLE bench_floor (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )
        else:
            cur.execute(f"CREATE TABLE bench_floor AS SELECT * FROM {table} WHERE 0")  # noqa: S608
    if not pool:
        raise SystemExit("no lines to copy: the billing run wrote none")
    while len(pool) < 20000:
        pool += pool[: 20000 - len(pool)]
    from raschet.importers.pgcopy import copy_chunks, field

    start = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":

            def chunks() -> Iterator[str]:
                for k in range(0, count, 20000):
                    rows = pool[: min(20000, count - k)]
                    yield "".join("\t".join(field(v) for v in row) + "\n" for row in rows)

            copy_chunks("bench_floor", columns, chunks())
        else:
            marks = ", ".join("?" * len(columns))
            raw = connection.connection
            for k in range(0, count, 20000):
                raw.executemany(
                    f"INSERT INTO bench_floor ({cols}) VALUES ({marks})",  # noqa: S608
                    pool[: min(20000, count - k)],
                )
    wall = time.perf_counter() - start
    format_est = None
    if connection.vendor == "postgresql":  # the client's share: format a sample, scale up
        sample = min(count, 200_000)
        t = time.perf_counter()
        for k in range(0, sample, 20000):
            "".join(
                "\t".join(field(v) for v in row) + "\n" for row in pool[: min(20000, sample - k)]
            )
        format_est = round((time.perf_counter() - t) * count / sample, 2)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_floor")
        written = cur.fetchone()[0]
        cur.execute("DROP TABLE bench_floor")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"floor_s": round(wall, 2), "rows": written,
                      "format_s_estimated": format_est,
                      "peak_rss_mb": round(usage.ru_maxrss / 1024)}))  # fmt: skip


def machine(url: str) -> str:
    """nproc, CPU model, RAM, database and Python versions, for the benchmark record."""
    import platform

    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as fh:
        ram_gb = int(fh.readline().split()[1]) / 1024 / 1024
    if is_sqlite(url):
        import sqlite3

        db = f"SQLite {sqlite3.sqlite_version}"
    else:
        import psycopg

        with psycopg.connect(f"{url.rsplit('/', 1)[0]}/postgres") as conn:
            db = f"PostgreSQL {conn.execute('SHOW server_version').fetchone()[0]}"  # type: ignore[index]
    return (
        f"machine: {os.cpu_count()} CPUs, {cpu}, {ram_gb:.1f} GB RAM, {db}, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, help="1,000,000 (100,000 with --sqlite)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file in var/bench/")
    parser.add_argument(
        "--reuse", action="store_true",
        help="keep the stock when the database holds one of the same size and seed",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=0,
        help="extra `db_worker` processes sharing the run's batches (RASCHET_TASKS=database); "
        "the phases then count the starting process's share only",
    )  # fmt: skip
    parser.add_argument("--child", choices=["stock", "billing", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--lines", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    accounts = args.accounts or (100_000 if args.sqlite else 1_000_000)
    url = args.database_url
    if args.sqlite:
        url = f"sqlite:///{BENCH_DIR / f'billing-{accounts}.sqlite3'}"
    if args.child == "stock":
        print(json.dumps(build_stock(url, accounts, args.seed)))
        return 0
    if args.child == "billing":
        child_billing(url)
        return 0
    if args.child == "floor":
        child_floor(url, args.lines)
        return 0

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src"),
           "RASCHET_TASKS": "immediate"}  # fmt: skip
    me = [sys.executable, str(Path(__file__).resolve()), "--database-url", url,
          "--accounts", str(accounts), "--seed", str(args.seed)]  # fmt: skip

    def child(*extra: str) -> dict[str, Any]:
        out = subprocess.run([*me, *extra], env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
        if out.returncode != 0:
            sys.stderr.write(out.stderr)
            raise SystemExit(f"child {extra} failed with code {out.returncode}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    print(machine(url))
    wanted = {"accounts": accounts, "seed": args.seed, "version": STOCK_VERSION}
    marker = stock_marker(url) if args.reuse else None
    migrate = [sys.executable, "-m", "django", "migrate", "-v", "0"]
    if marker == wanted:
        t = time.perf_counter()
        # the stock's rows stay; the engine's newer migrations (columns with defaults) apply
        subprocess.run([*migrate, "--settings", "raschet.config.settings"],  # noqa: S603
                       check=True, env=env, cwd=ROOT)  # fmt: skip
        reset_runs(url)
        print(f"stock reused ({accounts} accounts); migrated and earlier runs wiped in "
              f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    else:
        if args.reuse:
            print(f"no stock to reuse (found {marker}, want {wanted}): building it")
        t = time.perf_counter()
        if args.sqlite:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{url.split(':///', 1)[1]}{suffix}").unlink(missing_ok=True)
        else:
            recreate_database(url)
        subprocess.run([*migrate, "--settings", "raschet.config.settings"],  # noqa: S603
                       check=True, env=env, cwd=ROOT)  # fmt: skip
        print(f"database migrated in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        stock = child("--child", "stock")
        print(f"stock built in {time.perf_counter() - t:.1f} s: {json.dumps(stock)}")

    checkpoint(url)
    print(f"  load average before: {os.getloadavg()[0]:.2f}")
    if args.workers:
        month = month_with_workers(child, env, args.workers)
    else:
        month = child("--child", "billing")
    load = os.getloadavg()
    print(f"month (trial run + post): {json.dumps(month, ensure_ascii=False)}")
    print(f"  load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if not month.get("ok"):
        print("the billing run failed: no RESULT")
        return 1
    lines = int(month["lines"])
    checkpoint(url)
    floor = child("--child", "floor", "--lines", str(lines))
    print(f"floor ({'executemany' if args.sqlite else 'COPY'} of {lines} lines into a bare "
          f"table): {json.dumps(floor)}")  # fmt: skip
    wall, floor_s = month["wall_s"], floor["floor_s"]
    ratio = wall / floor_s if floor_s else float("inf")
    print(f"wall {wall:.1f} s, {accounts / wall:,.0f} accounts/s, {lines / wall:,.0f} lines/s, "
          f"peak {month['peak_rss_mb']} MB, floor {floor_s:.1f} s, ratio {ratio:.2f}")  # fmt: skip
    print(f"RESULT accounts={accounts} lines={lines} wall_s={wall:.2f} floor_s={floor_s:.2f} "
          f"ratio={ratio:.2f} peak_rss_mb={month['peak_rss_mb']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def stock_ready(
    url: str,
    *,
    script: str,
    marker_table: str,
    accounts: int,
    seed: int,
    version: int,
    reuse: bool,
    reset: Callable[[str], None],
) -> None:
    """Reuse the stock when ``reuse`` and the marker matches (after ``reset``), else recreate
    the database, migrate it and build the stock by running ``script --build`` (the
    payments and penalties benches; each writes its own marker table)."""
    wanted = {"accounts": accounts, "seed": seed, "version": version}
    if reuse and stock_marker(url, marker_table) == wanted:
        print("stock: reused; wiping the earlier measurement", flush=True)
        reset(url)
        return
    print(f"stock: building {accounts} accounts…", flush=True)
    recreate_database(url)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src")}
    migrate = [sys.executable, "-m", "django", "migrate", "-v", "0"]
    subprocess.run([*migrate, "--settings", "raschet.config.settings"],  # noqa: S603
                   env=env, cwd=ROOT, check=True)  # fmt: skip
    t = time.perf_counter()
    subprocess.run(  # noqa: S603
        [sys.executable, script, "--database-url", url, "--build",
         "--accounts", str(accounts), "--seed", str(seed)],
        check=True,
    )  # fmt: skip
    print(f"stock built in {time.perf_counter() - t:.1f} s", flush=True)
