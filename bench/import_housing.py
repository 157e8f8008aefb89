"""Benchmark: import of the housing stock (issue 2) from CSV and XLSX on PostgreSQL.

Target: 100,000 accounts (premises, owners, people, services) in ≤ 60 s and ≤ 2 GB peak
memory on the 2-core machine. Not part of the test suite.

    .venv/bin/python bench/import_housing.py [--accounts 100000] [--formats csv xlsx]
        [--database-url postgres://postgres@127.0.0.1:5432/raschet_bench]

The script generates the files (cached in var/bench/), recreates the database, migrates,
then for each format: imports into an empty database and imports the same file again (all
"unchanged"). Every import runs in its own subprocess, which reports its wall time and its
own peak RSS (getrusage RUSAGE_SELF).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = (
    "cold_water:meter; hot_water:meter; wastewater:meter; electricity:meter:2; heating; "
    "maintenance; capital_repair"
)
LAST = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов",
        "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев"]  # fmt: skip
FIRST_M = ["Иван", "Пётр", "Сергей", "Алексей", "Дмитрий", "Андрей", "Михаил", "Николай"]
FIRST_F = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана"]
STREETS = ["Советская", "Ленина", "Мира", "Садовая", "Школьная", "Лесная", "Новая", "Заречная"]


def generate_rows(accounts: int, seed: int = 1):
    """Yield template rows: ~100 flats per building, 1–4 people per account (~2.5)."""
    from raschet.importers.housing.columns import COLUMNS

    keys = [c.key for c in COLUMNS]
    rnd = random.Random(seed)
    yield [c.header for c in COLUMNS]
    flats_per_building = 100
    for b in range((accounts + flats_per_building - 1) // flats_per_building):
        address = f"г. Тверь, ул. {STREETS[b % len(STREETS)]}, д. {b // len(STREETS) + 1}"
        flats = min(flats_per_building, accounts - b * flats_per_building)
        areas = [round(rnd.uniform(28, 95), 1) for _ in range(flats)]
        total = round(sum(areas) + 150, 2)
        building = {
            "address": address,
            "year_built": str(rnd.randint(1950, 2020)),
            "floors": "9",
            "building_area_total": f"{total:.2f}".replace(".", ","),
            "building_area_residential": f"{sum(areas):.2f}".replace(".", ","),
            "building_area_non_residential": "150",
            "building_area_common": "900",
            "heating_mode": "в отопительный период",
            "common_property_mode": "по нормативу",
        }
        for f in range(flats):
            n = b * flats_per_building + f
            area = areas[f]
            base = {
                **building,
                "premises_number": str(f + 1),
                "premises_kind": "жилое",
                "premises_area_total": f"{area:.1f}".replace(".", ","),
                "premises_area_living": f"{area * 0.6:.1f}".replace(".", ","),
                "rooms": str(1 + int(area // 30)),
                "communal_flat": "нет",
                "account_number": f"{1_000_000 + n}",
                "opened_on": f"01.{rnd.randint(1, 12):02d}.{rnd.randint(2005, 2022)}",
                "tenure": "собственник",
                "services": SERVICES,
            }
            people = rnd.choices((1, 2, 3, 4), weights=(15, 35, 35, 15))[0]
            last = LAST[n % len(LAST)]
            owners = 2 if people >= 2 and rnd.random() < 0.3 else 1
            share = "1" if owners == 1 else "1/2"
            for p in range(people):
                female = p % 2 == 1
                first = (FIRST_F if female else FIRST_M)[rnd.randrange(8)]
                suffix = "а" if female and not last.endswith("ой") else ""
                born = (
                    f"{rnd.randint(1, 28):02d}.{rnd.randint(1, 12):02d}.{rnd.randint(1940, 2004)}"
                )
                row = {
                    **base,
                    "payer_name": f"{last} {FIRST_M[n % 8]} Иванович",
                    "full_name": f"{last}{suffix}-{_letters(n)} {first}",  # unique per account
                    "birth_date": born,
                    "registration": "постоянная",
                    "registered_from": "01.01.2023",
                    "relation": "собственник" if p == 0 else "родственник",
                }
                if p < owners:
                    row["share"] = share
                yield [row.get(k, "") for k in keys]


def _letters(n: int) -> str:
    """A number spelled in Cyrillic letters, to make names unique without digits."""
    alphabet = "абвгдежзиклмнопрстуфхцчшэюя"
    out = ""
    while True:
        n, r = divmod(n, len(alphabet))
        out = alphabet[r] + out
        if n == 0:
            return out


def write_csv(path: Path, accounts: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(generate_rows(accounts))


def write_xlsx(path: Path, accounts: int) -> None:
    """A workbook as Excel or LibreOffice save it: shared strings and a <dimension>.

    openpyxl's write_only mode writes inline strings and no dimension, which openpyxl then
    reads about three times slower (a full pre-scan for the size, a rich-text object per
    cell); a real user's file does not look like that, so the benchmark does not use it.
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Жилфонд"
    for row in generate_rows(accounts):
        ws.append([v if v != "" else None for v in row])
    wb.save(path)


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


def run_one(args: argparse.Namespace) -> int:
    """Child process: one import, then print a JSON line with the figures."""
    setup_django(args.database_url)
    from raschet.importers.housing import housing_import
    from raschet.organizations.models import Organization

    org = Organization.objects.get(code="bench")
    start = time.perf_counter()
    stages: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter() - start)

    report = housing_import(path=Path(args.run_one), organization=org, progress=progress)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"ok": report.ok, "seconds": round(seconds, 1), "peak_rss_mb": round(rss_mb),
                      "stages_started_at": {k: round(v, 1) for k, v in stages.items()},
                      "counts": report.counts, "errors": [e.message for e in report.errors[:5]]},
                     ensure_ascii=False))  # fmt: skip
    return 0 if report.ok else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/raschet_bench"
    )
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        return run_one(args)

    setup_django(args.database_url)  # the generator reads the template's columns
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for fmt in args.formats:
        path = out_dir / f"housing_{args.accounts}.{fmt}"
        if not path.exists():
            t = time.perf_counter()
            (write_csv if fmt == "csv" else write_xlsx)(path, args.accounts)
            print(f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB "
                  f"in {time.perf_counter() - t:.0f} s", flush=True)  # fmt: skip
        recreate_database(args.database_url)
        settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "raschet.config.settings")
        pythonpath = os.pathsep.join(
            p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p
        )
        env = {**os.environ, "DATABASE_URL": args.database_url, "PYTHONPATH": pythonpath,
               "DJANGO_SETTINGS_MODULE": settings_module}  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "-v0"], check=True, env=env,
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "-c",
             "import django; django.setup();"
             "from raschet.organizations.models import Organization;"
             "Organization.objects.create(code='bench', kind='management_company',"
             " name='Бенчмарк', inn='7707083893')"],
            check=True, env=env,
        )  # fmt: skip
        for attempt in ("first import", "re-import"):
            proc = subprocess.run(  # noqa: S603
                [sys.executable, __file__, "--run-one", str(path),
                 "--database-url", args.database_url],
                capture_output=True, text=True, env=env,
            )  # fmt: skip
            line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
            figures = json.loads(line)
            if proc.returncode != 0 or not figures.get("ok"):
                print(proc.stderr[-3000:], figures, file=sys.stderr)
                return 1
            results.append((fmt, attempt, figures))
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"{fmt:5} {attempt:13} {figures['seconds']:7.1f} s  "
                  f"peak RSS {figures['peak_rss_mb']:5d} MB  load {load}  "
                  f"stages {figures['stages_started_at']}", flush=True)  # fmt: skip
            counts = figures["counts"]
            print("      " + ", ".join(f"{k}: {v}" for k, v in counts.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
