"""Benchmark: the monthly penalty run (пени) over 24 months of history on PostgreSQL
(credit-control issue: 1,000,000 accounts in ≤ 60 s and ≤ 4 GB peak memory on the 2-core
machine). Not a test.

    .venv/bin/python bench/penalties.py [--accounts 1000000] [--reuse]
        [--database-url postgres://postgres@127.0.0.1:5432/raschet_bench_penalties]

Stock (deterministic from ``--seed``): one organization, buildings of 100 flats (the
generators of ``bench/billing.py``), one account per flat, one service (maintenance) charged
every month from January 2024 to December 2025 (24 tranches an account). Payments: 70 % of
the accounts pay each month's document in the next month before the due date, 20 % pay it
2–4 months late, 10 % stop paying after a random month; each payment is a `Payment` row and
a ledger entry of its debt month, as the payment posting writes them.

The run (in a subprocess that reports its peak RSS) posts the penalties of January 2026 for
every account: reads the tranches and payments, computes every tranche's penalty with
`raschet.core.penalties`, and posts the differences. The last line is
``RESULT accounts=N tranches=T wall_s=W peak_rss_mb=M``.
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
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/raschet_bench_penalties"
STOCK_VERSION = 1
FIRST = date(2024, 1, 1)
MONTHS = 24
PERIOD = date(2026, 1, 1)


bb: Any = importlib.import_module(
    "billing"
)  # bench/billing.py: this script's folder is on sys.path


def month_start(k: int) -> date:
    m = FIRST.month - 1 + k
    return date(FIRST.year + m // 12, m % 12 + 1, 1)


def build_stock(url: str, accounts: int, seed: int) -> dict[str, Any]:
    import numpy as np

    bb.setup_django(url)
    from django.db import connection, transaction

    from raschet.housing.models import Account, Building, Premises
    from raschet.ledger.models import LedgerEntry
    from raschet.organizations.models import Organization
    from raschet.payments.models import Channel, Payment, PaymentSource
    from raschet.tariffs.models import Service
    from raschet.tariffs.services import services_install_catalogue

    t0 = time.perf_counter()
    plan = bb.Plan(accounts, seed)
    rng = np.random.default_rng(seed + 3)
    charge = rng.integers(1500_00, 6000_00, accounts).tolist()
    kind = rng.random(accounts)
    stop = rng.integers(0, MONTHS, accounts).tolist()
    seconds: dict[str, float] = {}
    with transaction.atomic():
        org = Organization.objects.create(
            code="bench", kind="management_company", name="ООО «Бенчмарк»",
            inn="7707083893", kpp="770701001",
        )  # fmt: skip
        services_install_catalogue(organization=org)
        service = Service.objects.get(organization=org, code="maintenance").pk
        source = PaymentSource.objects.create(
            organization=org, code="sber", name="Сбербанк", channel=Channel.BANK
        ).pk
        w = bb.Writer(connection)
        o, n = str(org.pk), w.null
        pays: list[tuple[int, int, int, date, date]] = []  # id, account, amount, paid, month
        late = rng.integers(2, 5, accounts * MONTHS).tolist()
        day = rng.integers(1, 25, accounts * MONTHS).tolist()
        pid = 0
        for i in range(accounts):
            for k in range(MONTHS):
                if kind[i] >= 0.9 and k >= stop[i]:
                    break
                delay = 1 if kind[i] < 0.7 else late[i * MONTHS + k]
                paid_month = month_start(k + delay)
                paid = date(paid_month.year, paid_month.month, day[i * MONTHS + k])
                if paid >= PERIOD:
                    continue
                pid += 1
                pays.append((pid, i + 1, charge[i], paid, month_start(k)))

        def charges() -> Any:
            for k in range(MONTHS):
                m = str(month_start(k))
                for i in range(accounts):
                    yield (o, str(i + 1), str(service), m, m, "charge", str(charge[i]), w.now)

        def payment_rows() -> Any:
            for p, a, amount, paid, _m in pays:
                yield (str(p), o, str(source), str(p), str(paid), str(a), str(amount),
                       "posted", w.now, "cashless")  # fmt: skip

        def payment_entries() -> Any:
            for p, a, amount, paid, m in pays:
                posted = str(date(paid.year, paid.month, 1))
                yield (o, str(a), str(service), posted, posted, str(m), "payment",
                       str(-amount), str(p), w.now)  # fmt: skip

        steps = [
            (Building, ["id", "organization_id", "address", "area_total_m2",
                        "area_residential_m2", "area_non_residential_m2", "area_common_m2",
                        "heating_mode", "heating_season_months", "common_property_mode",
                        "year_built", "floors"], lambda: bb.rows_buildings(plan, o, n)),
            (Premises, ["id", "organization_id", "building_id", "number", "kind",
                        "area_total_m2", "area_living_m2", "rooms", "is_communal_flat"],
             lambda: bb.rows_premises(plan, o, n)),
            (Account, ["id", "organization_id", "premises_id", "number", "opened_on",
                       "payer_name", "tenure"], lambda: bb.rows_accounts(plan, o, n)),
            (LedgerEntry, ["organization_id", "account_id", "service_id", "period",
                           "corrects_period", "kind", "amount_kopecks", "posted_at"], charges),
            (Payment, ["id", "organization_id", "source_id", "operation_id", "paid_on",
                       "account_id", "amount_kopecks", "state", "created_at", "method"],
             payment_rows),
            (LedgerEntry, ["organization_id", "account_id", "service_id", "period",
                           "corrects_period", "debt_period", "kind", "amount_kopecks",
                           "payment_id", "posted_at"], payment_entries),
        ]  # fmt: skip
        for model, columns, rows in steps:
            t = time.perf_counter()
            w.write(model, columns, rows())
            key = model._meta.db_table
            seconds[key] = round(seconds.get(key, 0) + time.perf_counter() - t, 1)
        with connection.cursor() as cur:
            for table in ("housing_building", "housing_premises", "housing_account",
                          "payments_payment"):  # fmt: skip
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            cur.execute(
                "CREATE TABLE bench_penalties_stock (accounts integer, seed integer, "
                "version integer)"
            )
            cur.execute(
                "INSERT INTO bench_penalties_stock VALUES (%s, %s, %s)",
                [accounts, seed, STOCK_VERSION],
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    seconds["total"] = round(time.perf_counter() - t0, 1)
    return {"rows": w.counts, "seconds": seconds}


def reset(url: str) -> None:
    conn = bb.raw_connect(url)
    conn.execute("SET session_replication_role = replica")
    conn.execute("DELETE FROM ledger_ledgerentry WHERE kind = 'penalty'")
    conn.execute("RESET session_replication_role")
    conn.execute("VACUUM ANALYZE ledger_ledgerentry")
    conn.close()


def child_run(url: str) -> None:
    bb.setup_django(url)
    from raschet.core import penalties as core
    from raschet.debt import penalties
    from raschet.ledger import writes
    from raschet.organizations.models import Organization

    timers = bb.Timers()
    timers.wrap(penalties, "_tranches", "read tranches")
    timers.wrap(penalties, "_settlements", "read payments")
    timers.wrap(core, "accrue_penalties", "compute (core)")
    timers.wrap(penalties, "_posted", "read posted")
    timers.wrap(penalties, "entries_write", "write entries")
    del writes
    org = Organization.objects.get(code="bench")
    t = time.perf_counter()
    result = penalties.penalties_post(organization=org, period=PERIOD)
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall_s": round(wall, 1),
                "tranches": result.tranches,
                "entries": result.entries,
                "total_rubles": result.total_kopecks // 100,
                "phases": {k: round(v, 1) for k, v in timers.seconds.items()},
                "peak_rss_mb": round(peak),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_PENALTIES_URL", DEFAULT_URL)
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url
    if args.build:
        print(json.dumps(build_stock(url, args.accounts, args.seed)))
        return 0
    if args.child:
        child_run(url)
        return 0
    bb.stock_ready(
        url,
        script=__file__,
        marker_table="bench_penalties_stock",
        accounts=args.accounts,
        seed=args.seed,
        version=STOCK_VERSION,
        reuse=args.reuse,
        reset=reset,
    )
    bb.checkpoint(url)
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--database-url", url, "--child"],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"machine: {bb.machine(url)}")
    print(
        f"RESULT accounts={args.accounts} tranches={result['tranches']} "
        f"wall_s={result['wall_s']} peak_rss_mb={result['peak_rss_mb']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
