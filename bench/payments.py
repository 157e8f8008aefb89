"""Benchmark: a bank registry of 1,000,000 payments on PostgreSQL — parse, deduplicate,
identify, allocate and post (payments issue: ≤ 60 s and ≤ 2 GB peak memory on the 2-core
machine). Not a test.

    .venv/bin/python bench/payments.py [--accounts 1000000] [--reuse]
        [--database-url postgres://postgres@127.0.0.1:5432/raschet_bench_payments]

Stock (deterministic from ``--seed``): one organization, buildings of 100 flats (the
generators of ``bench/billing.py``), one account per flat, and a ledger with the posted
charges of January and February 2025 for three services per account (heating, cold water,
maintenance): 6 entries an account. The registry (Sberbank layout, cp1251) has one line per
account plus 0.5 % lines with unknown account numbers: 60 % of the payers pay both months
in full, 30 % a part, 10 % more than they owe (an advance); 40 % name February as the paid
month. It is written to ``var/bench/`` before the measurement.

The import runs in a subprocess that times its phases and reports its own peak RSS
(getrusage), then imports the same file again (every line a duplicate). ``--reuse`` keeps
the stock and wipes only the payments of earlier measurements.
The last line is ``RESULT payments=N wall_s=W again_s=A peak_rss_mb=M``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/raschet_bench_payments"
STOCK_VERSION = 1
TODAY = date(2025, 3, 20)
MONTHS = (date(2025, 1, 1), date(2025, 2, 1))
SERVICES = ("heating", "cold_water", "maintenance")


bb: Any = importlib.import_module(
    "billing"
)  # bench/billing.py: this script's folder is on sys.path


def charges(accounts: int, seed: int) -> Any:
    """Per account and service the monthly charge in kopecks (the same both months)."""
    import numpy as np

    rng = np.random.default_rng(seed + 1)
    return {
        "heating": rng.integers(1500_00, 4500_00, accounts),
        "cold_water": rng.integers(200_00, 900_00, accounts),
        "maintenance": rng.integers(800_00, 2500_00, accounts),
    }


def build_stock(url: str, accounts: int, seed: int) -> dict[str, Any]:
    bb.setup_django(url)
    from django.db import connection, transaction

    from raschet.housing.models import Account, Building, Premises
    from raschet.ledger.models import LedgerEntry
    from raschet.organizations.models import Organization
    from raschet.payments.models import Channel, PaymentSource
    from raschet.tariffs.models import Service
    from raschet.tariffs.services import services_install_catalogue

    t0 = time.perf_counter()
    plan = bb.Plan(accounts, seed)
    money = charges(accounts, seed)
    seconds: dict[str, float] = {}
    with transaction.atomic():
        org = Organization.objects.create(
            code="bench", kind="management_company", name="ООО «Бенчмарк»",
            inn="7707083893", kpp="770701001",
        )  # fmt: skip
        services_install_catalogue(organization=org)
        ids = {s.code: s.pk for s in Service.objects.filter(organization=org)}
        PaymentSource.objects.create(
            organization=org, code="sber", name="Сбербанк", channel=Channel.BANK,
            layout="sberbank",
        )  # fmt: skip
        w = bb.Writer(connection)
        o, n = str(org.pk), w.null

        def ledger_rows() -> Any:
            for month in MONTHS:
                for code in SERVICES:
                    service = str(ids[code])
                    amounts = money[code].tolist()
                    for i in range(accounts):
                        yield (o, str(i + 1), service, str(month), str(month), "charge",
                               str(amounts[i]), "0", "0", w.now)  # fmt: skip

        steps = [
            (Building, ["id", "organization_id", "address", "area_total_m2",
                        "area_residential_m2", "area_non_residential_m2", "area_common_m2",
                        "heating_mode", "heating_season_months", "common_property_mode",
                        "year_built", "floors"],
             lambda: bb.rows_buildings(plan, o, n)),
            (Premises, ["id", "organization_id", "building_id", "number", "kind",
                        "area_total_m2", "area_living_m2", "rooms", "is_communal_flat"],
             lambda: bb.rows_premises(plan, o, n)),
            (Account, ["id", "organization_id", "premises_id", "number", "opened_on",
                       "payer_name", "tenure"], lambda: bb.rows_accounts(plan, o, n)),
            (LedgerEntry, ["organization_id", "account_id", "service_id", "period",
                           "corrects_period", "kind", "amount_kopecks", "run_id", "line_id",
                           "posted_at"], ledger_rows),
        ]  # fmt: skip
        for model, columns, rows in steps:
            t = time.perf_counter()
            w.write(model, columns, rows())
            seconds[model._meta.db_table] = round(time.perf_counter() - t, 1)
        with connection.cursor() as cur:
            for model, columns, _rows in steps:
                table = model._meta.db_table
                if "id" in columns:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
            cur.execute(
                "CREATE TABLE bench_payments_stock (accounts integer, seed integer, "
                "version integer)"
            )
            cur.execute(
                "INSERT INTO bench_payments_stock VALUES (%s, %s, %s)",
                [accounts, seed, STOCK_VERSION],
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    seconds["total"] = round(time.perf_counter() - t0, 1)
    return {"organization": org.pk, "rows": w.counts, "seconds": seconds}


def account_numbers(url: str) -> list[str]:
    conn = bb.raw_connect(url)
    try:
        rows = conn.execute("SELECT number FROM housing_account ORDER BY id").fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def write_registry(path: Path, numbers: list[str], seed: int) -> int:
    """The registry file: one line per account and 0.5 % unknown accounts; returns lines."""
    import numpy as np

    n = len(numbers)
    money = charges(n, seed)
    owed = sum(money[c] for c in SERVICES) * len(MONTHS)
    rng = np.random.default_rng(seed + 2)
    kind = rng.random(n)
    amount = np.where(
        kind < 0.6,
        owed,
        np.where(kind < 0.9, owed * rng.integers(10, 90, n) // 100, owed + 500_00),
    ).tolist()
    named = (rng.random(n) < 0.4).tolist()
    days = rng.integers(1, 20, n).tolist()
    lines = []
    total = 0
    for i in range(n):
        kop = amount[i]
        total += kop
        rub = f"{kop // 100}.{kop % 100:02d}"
        period = "022025" if named[i] else ""
        lines.append(
            f"{days[i]:02d}-03-2025;10-00-00;8607;8607/0001;1;{i + 1};{numbers[i]};"
            f"ПЛАТЕЛЬЩИК {i};;{period};{rub};{rub};0.00"
        )
    unknown = n // 200
    for k in range(unknown):
        total += 100_00
        lines.append(
            f"05-03-2025;10-00-00;8607;8607/0001;1;{n + k + 1};X{k:09d};НЕИЗВЕСТНЫЙ;;;"
            "100.00;100.00;0.00"
        )
    count = len(lines)
    money_total = f"{total // 100}.{total % 100:02d}"
    lines.append(f"={count};{money_total};{money_total};0.00;1;20-03-2025")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return count


def reset_payments(url: str) -> None:
    conn = bb.raw_connect(url)
    conn.execute("SET session_replication_role = replica")
    conn.execute("DELETE FROM ledger_ledgerentry WHERE kind <> 'charge'")
    conn.execute(
        "TRUNCATE payments_payment, payments_paymenttarget, payments_registryimport "
        "RESTART IDENTITY CASCADE"
    )
    conn.execute("RESET session_replication_role")
    conn.execute("VACUUM ANALYZE")
    conn.close()


def child_import(url: str, path: str) -> None:
    bb.setup_django(url)
    from raschet.core import allocation
    from raschet.organizations.models import Organization
    from raschet.payments import formats, posting, services
    from raschet.payments.models import PaymentSource

    timers = bb.Timers()
    timers.wrap(formats, "parse_registry", "parse")
    timers.wrap(services, "_store_records", "store (COPY, dedupe, identify)")
    timers.wrap(posting, "load_debts", "load debts")
    timers.wrap(allocation, "allocate", "allocate (core)")
    timers.wrap(allocation, "split_proportional", "advance split (core)")
    timers.wrap(posting, "_write_entries", "write ledger entries")
    timers.wrap(posting, "_mark_posted", "mark payments posted")
    org = Organization.objects.get(code="bench")
    source = PaymentSource.objects.get(organization=org, code="sber")
    data = Path(path).read_bytes()
    t = time.perf_counter()
    report = services.registry_import(
        organization=org, source=source, data=data, filename=Path(path).name, today=TODAY
    )
    wall = time.perf_counter() - t
    t = time.perf_counter()
    again = services.registry_import(
        organization=org, source=source, data=data, filename="again.txt", today=TODAY
    )
    again_wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall_s": round(wall, 1),
                "again_s": round(again_wall, 1),
                "accepted": report.accepted,
                "unidentified": len(report.unidentified),
                "duplicates_again": len(again.duplicates),
                "phases": timers.seconds,
                "peak_rss_mb": round(peak),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PAYMENTS_URL", DEFAULT_URL))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url
    if args.build:
        print(json.dumps(build_stock(url, args.accounts, args.seed)))
        return 0
    if args.child:
        child_import(url, args.child)
        return 0
    bb.stock_ready(
        url,
        script=__file__,
        marker_table="bench_payments_stock",
        accounts=args.accounts,
        seed=args.seed,
        version=STOCK_VERSION,
        reuse=args.reuse,
        reset=reset_payments,
    )
    path = BENCH_DIR / f"registry_{args.accounts}.txt"
    t = time.perf_counter()
    lines = write_registry(path, account_numbers(url), args.seed)
    print(f"registry: {lines} lines, {path.stat().st_size / 1e6:.0f} MB, "
          f"written in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip
    bb.checkpoint(url)
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--database-url", url, "--child", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"machine: {bb.machine(url)}")
    print(
        f"RESULT payments={lines} wall_s={result['wall_s']} again_s={result['again_s']} "
        f"peak_rss_mb={result['peak_rss_mb']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
