"""Benchmark: import of 1,000,000 meter readings from CSV on PostgreSQL, with validation.

Target (metering issue): ≤ 30 s and ≤ 2 GB peak memory on the 2-core machine. Not a test.

    .venv/bin/python bench/import_readings.py [--accounts 100000] [--readings 1000000]
        [--database-url postgres://postgres@127.0.0.1:5432/raschet_bench_readings]

Steps: recreate the database and migrate; build the stock with raw `COPY` — 100,000 flats
and accounts, each with a cold- and a hot-water meter and every second one with a two-zone
electricity meter (250,000 meters, 300,000 meter zones), plus two months of current readings
(November and December 2024) so every row has a previous value and an average; write a CSV
of the following months' readings (January, February, March and part of April 2025: a
metering system's backfill, so each meter zone is a chain of up to four rows); then import it
in a subprocess that reports the wall time, the phases and its own peak RSS, and import the
same file again (every row "unchanged").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/raschet_bench_readings"
TODAY = date(2025, 5, 10)
HISTORY = (date(2024, 11, 20), date(2024, 12, 20))
FILE_MONTHS = (date(2025, 1, 20), date(2025, 2, 20), date(2025, 3, 20), date(2025, 4, 20))


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


def meters_of(premises_index: int) -> list[tuple[str, str, int]]:
    """(service, serial, zones) of one flat: cold and hot water, electricity on even flats."""
    meters = [("cold_water", f"CW-{premises_index}", 1), ("hot_water", f"HW-{premises_index}", 1)]
    if premises_index % 2 == 0:
        meters.append(("electricity", f"EL-{premises_index}", 2))
    return meters


def zone_rows(premises_index: int) -> list[tuple[int, str, str, str]]:
    """(meter position, service, serial, zone) for every meter zone of a flat."""
    out = []
    for pos, (service, serial, zones) in enumerate(meters_of(premises_index)):
        for zone in ("single",) if zones == 1 else ("day", "night"):
            out.append((pos, service, serial, zone))
    return out


def value_at(premises_index: int, pos: int, zone: str, month: int) -> int:
    """A plausible reading in thousandths: a start value plus 3–9 units a month."""
    start = (premises_index * 37 + pos * 11 + len(zone)) % 5000 * 1000 + 100_000
    step = 3000 + (premises_index + pos) % 7 * 1000 + (premises_index % 1000)
    return start + month * step


def fmt(value: int) -> str:
    return f"{value // 1000},{value % 1000:03d}"


def build_stock(url: str, accounts: int) -> dict[str, int]:
    """Organization, services, buildings, flats, accounts, meters and history by `COPY`."""
    setup_django(url)
    from django.db import connection

    from raschet.housing.models import Account, Building, Premises
    from raschet.metering.models import Meter, Reading
    from raschet.organizations.models import Organization
    from raschet.tariffs.models import Service

    org = Organization.objects.create(
        code="bench", kind="management_company", name="ООО «Бенчмарк»", inn="7707083893",
        kpp="770701001",
    )  # fmt: skip
    for code, name, unit, zones in (
        ("cold_water", "Холодное водоснабжение", "m3", 1),
        ("hot_water", "Горячее водоснабжение", "m3", 1),
        ("electricity", "Электроснабжение", "kwh", 2),
    ):
        Service.objects.create(
            organization=org, code=code, name=name, kind="communal", unit=unit,
            basis="volume", metered=True, max_zones=zones,
        )  # fmt: skip
    services = dict(Service.objects.filter(organization=org).values_list("code", "pk"))
    raw = connection.connection

    def copy(model, columns: list[str], rows) -> None:
        table = model._meta.db_table
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)

    def ids(model) -> list[int]:
        with raw.cursor() as cur:
            cur.execute(f"SELECT id FROM {model._meta.db_table} ORDER BY id")  # noqa: S608
            return [r[0] for r in cur.fetchall()]

    with connection.cursor():
        pass
    connection.ensure_connection()
    flats = 100
    n_buildings = (accounts + flats - 1) // flats
    copy(Building,
         ["organization_id", "address", "area_total_m2", "area_residential_m2",
          "area_non_residential_m2", "area_common_m2", "heating_mode", "heating_season_months",
          "common_property_mode"],
         ((org.pk, f"г. Тверь, ул. Бенчмарка, д. {b + 1}", "6000", "5500", "0", "900", "season",
           7, "norm_cap") for b in range(n_buildings)))  # fmt: skip
    building_ids = ids(Building)
    copy(Premises,
         ["organization_id", "building_id", "number", "kind", "area_total_m2", "is_communal_flat"],
         ((org.pk, building_ids[i // flats], str(i % flats + 1), "residential", "54.00", False)
          for i in range(accounts)))  # fmt: skip
    premises_ids = ids(Premises)
    copy(Account,
         ["organization_id", "premises_id", "number", "opened_on", "payer_name", "tenure",
          "gis_account_id", "email", "phone"],
         ((org.pk, premises_ids[i], str(1_000_000 + i), date(2020, 1, 1), "Иванов И. И.",
           "owner", "", "", "") for i in range(accounts)))  # fmt: skip
    copy(Meter,
         ["organization_id", "premises_id", "service_id", "serial_number", "model_name", "zones",
          "integer_digits", "installed_on"],
         ((org.pk, premises_ids[i], services[s], serial, "", z, 5 if z == 1 else 6,
           date(2020, 1, 1))
          for i in range(accounts) for s, serial, z in meters_of(i)))  # fmt: skip
    meter_ids = ids(Meter)
    now = "2025-01-01T00:00:00+00:00"

    def history():
        k = 0
        for i in range(accounts):
            first = k
            for pos, _s, _serial, zone in zone_rows(i):
                mid = meter_ids[first + pos]
                for h, taken in enumerate(HISTORY):
                    value = value_at(i, pos, zone, h - 2)
                    volume = value - value_at(i, pos, zone, h - 3) if h else None
                    vol = fmt(volume).replace(",", ".") if volume is not None else None
                    yield (
                        org.pk, mid, zone, taken.replace(day=1), "regular",
                        fmt(value).replace(",", "."), vol, taken, "operator", "ok", True, now,
                        "bench",
                    )  # fmt: skip
            k += len(meters_of(i))

    copy(Reading,
         ["organization_id", "meter_id", "zone", "period", "kind", "value", "volume", "taken_on",
          "source", "state", "is_current", "entered_at", "origin"], history())  # fmt: skip
    with raw.cursor() as cur:
        cur.execute("ANALYZE")
    raw.commit()
    return {"organization": org.pk, "meters": len(meter_ids), "premises": len(premises_ids)}


def write_csv(path: Path, accounts: int, readings: int) -> int:
    header = "Лицевой счёт;Услуга;Заводской номер;Зона;Показание;Дата снятия;Дата получения\n"
    zone_ru = {"single": "", "day": "день", "night": "ночь"}
    written = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        for m, taken in enumerate(FILE_MONTHS):
            day = f"{taken:%d.%m.%Y}"
            for i in range(accounts):
                rows = zone_rows(i)
                if written + len(rows) > readings:
                    return written
                fh.write("".join(
                    f"{1_000_000 + i};{s};{serial};{zone_ru[zone]};"
                    f"{fmt(value_at(i, pos, zone, m))};{day};{day}\n"
                    for pos, s, serial, zone in rows))  # fmt: skip
                written += len(rows)
    return written


def child_import(url: str, path: Path) -> None:
    """Run in a subprocess: import and print a JSON line with the figures."""
    setup_django(url)
    from raschet.metering.imports import readings_import
    from raschet.organizations.models import Organization

    org = Organization.objects.get(code="bench")
    start = time.perf_counter()
    report = readings_import(path=path, organization=org, today=TODAY)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    print(json.dumps({
        "ok": report.ok, "wall_s": round(wall, 2), "peak_rss_mb": round(peak_mb),
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "timings": report.timings, "counts": report.counts, "rows": report.rows,
        "errors": [e.message for e in report.errors[:5]],
    }, ensure_ascii=False))  # fmt: skip


def reset_readings(url: str) -> None:
    """Drop what earlier runs imported, keeping the stock and its two months of history."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM metering_reading WHERE origin <> 'bench'")
        conn.execute("UPDATE metering_reading SET is_current = true WHERE NOT is_current")
        conn.execute("VACUUM ANALYZE metering_reading")


def machine(url: str) -> str:
    """nproc, CPU model, RAM, PostgreSQL and Python versions, for the benchmark record."""
    import platform

    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as fh:
        ram_gb = int(fh.readline().split()[1]) / 1024 / 1024
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return (
        f"machine: {os.cpu_count()} CPUs, {cpu}, {ram_gb:.1f} GB RAM, PostgreSQL {pg}, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--reuse", action="store_true",
        help="keep the database and the stock; delete the imported readings and import again",
    )  # fmt: skip
    parser.add_argument("--child-import", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-stock", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(args.database_url, args.child_import)
        return 0
    if args.child_stock:
        print(json.dumps(build_stock(args.database_url, args.accounts)))
        return 0

    env = {**os.environ, "DATABASE_URL": args.database_url, "PYTHONPATH": str(ROOT / "src")}
    me = [sys.executable, str(Path(__file__).resolve()), "--database-url", args.database_url]
    print(machine(args.database_url))
    if args.reuse:
        reset_readings(args.database_url)
    else:
        t = time.perf_counter()
        recreate_database(args.database_url)
        migrate = [sys.executable, "-m", "django", "migrate", "-v", "0"]
        subprocess.run([*migrate, "--settings", "raschet.config.settings"],  # noqa: S603
                       check=True, env=env, cwd=ROOT)  # fmt: skip
        print(f"database migrated in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        stock = [*me, "--child-stock", "--accounts", str(args.accounts)]
        out = subprocess.run(stock, check=True, env=env, cwd=ROOT,  # noqa: S603
                             capture_output=True, text=True)  # fmt: skip
        print(f"stock built in {time.perf_counter() - t:.1f} s: {out.stdout.strip()}")
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    path = bench_dir / f"readings-{args.readings}.csv"
    t = time.perf_counter()
    written = write_csv(path, args.accounts, args.readings)
    size_mb = path.stat().st_size / 1e6
    print(f"CSV written in {time.perf_counter() - t:.1f} s: {written} rows, {size_mb:.0f} MB")
    for label in ("import", "re-import (all unchanged)"):
        print(f"  load average before: {os.getloadavg()[0]:.2f}")
        out = subprocess.run([*me, "--child-import", str(path)], check=True, env=env,  # noqa: S603
                             cwd=ROOT, capture_output=True, text=True)  # fmt: skip
        result = json.loads(out.stdout.strip().splitlines()[-1])
        load = os.getloadavg()
        print(f"{label}: {json.dumps(result, ensure_ascii=False)}")
        print(f"  load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
