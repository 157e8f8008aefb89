"""Benchmark: print a closed month's payment documents (ЕПД) on PostgreSQL (documents issue:
100,000 documents at ≥ 300 documents/s overall, ≤ 2 GB peak memory, ≤ 15 KiB per document in
bundles, on the 2-core machine). Not a test.

    .venv/bin/python bench/documents.py [--accounts 100000] [--processes 2] [--baseline 1000]
        [--reuse] [--database-url postgres://postgres@127.0.0.1:5432/raschet_bench_documents]

Stock: the billing bench's (``bench/billing.py``: buildings of 100 flats, ten services,
meters, benefits, Тверь-like tariffs), billed, posted and closed for March 2025 by the real
services; the management company gets valid bank details, and a water utility with its own
bank details is the payee of cold water and wastewater in every building by contract, so
each document carries two payees and two QR codes. ``--reuse`` keeps a stock of the same
size and seed and only wipes the earlier prints.

Measured:
1. ``raschet documents print --bundle --processes N``: one file per building, flats in
   order, the whole path (read the data, QR codes, typeset, write, archive). Wall time,
   documents/s, peak memory of the process tree (VmRSS summed over the processes, sampled
   every 0.2 s), bytes per document.
2. The naive baseline on ``--baseline`` accounts in one process: one typst compile per
   document (the same data and QR codes), documents/s; beside it, the same documents in one
   typst compile and written by the direct writer (ADR 0009), one process each.

``--engine typst`` prints the bundles with typst instead of the direct writer.

The last line is ``RESULT documents=N wall_s=W docs_per_s=R peak_rss_mb=M
kib_per_doc=K baseline_docs_per_s=B``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/raschet_bench_documents"
STOCK_VERSION = 1
PERIOD = date(2025, 3, 1)
OUT = ROOT / "var" / "bench" / "documents"
DATA = ROOT / "var" / "bench" / "documents-data"

bb: Any = importlib.import_module("billing")  # bench/billing.py: this script's folder


def build_stock(url: str, accounts: int, seed: int) -> dict[str, Any]:
    """The billing bench's stock, then payees and contracts, the month billed and closed."""
    import random

    t0 = time.perf_counter()
    stock = bb.build_stock(url, accounts, seed)
    from django.db import connection

    from raschet.billing.services import billing_month_close, billing_run
    from raschet.demo.legal import BANKS
    from raschet.housing.models import Building
    from raschet.organizations.models import Organization
    from raschet.tariffs.models import Service, ServiceContract

    rng = random.Random(seed)
    org = Organization.objects.get(code="bench")
    bank = BANKS[0]
    org.short_name = "УК «Бенчмарк»"
    org.bank_name, org.bic = bank.name, bank.bic
    org.correspondent_account = bank.correspondent_account
    org.settlement_account = bank.settlement_account(rng)
    org.phone, org.email = "+7 (4822) 00-00-00", "info@bench.example"
    org.legal_address = "170100, г. Тверь, ул. Советская, д. 1"
    org.save()
    water_bank = BANKS[1]
    water = Organization.objects.create(
        code="bench-water", kind="supplier", name="АО «Тверской водоканал»",
        short_name="АО «Водоканал»", inn="6950286768", kpp="695001001",
        bank_name=water_bank.name, bic=water_bank.bic,
        correspondent_account=water_bank.correspondent_account,
        settlement_account=water_bank.settlement_account(rng),
    )  # fmt: skip
    services = Service.objects.filter(organization=org, code__in=["cold_water", "wastewater"])
    ServiceContract.objects.bulk_create(
        ServiceContract(
            organization=org, building_id=b, service=s, payee=water, valid_from=date(2020, 1, 1)
        )
        for b in Building.objects.filter(organization=org).values_list("pk", flat=True)
        for s in services
    )
    t = time.perf_counter()
    run = billing_run(organization=org, period=PERIOD)
    billing_month_close(organization=org, period=PERIOD)
    billed = round(time.perf_counter() - t, 1)
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_documents_stock (accounts integer, seed integer, version integer)"
        )
        cur.execute(
            "INSERT INTO bench_documents_stock VALUES (%s, %s, %s)",
            [accounts, seed, STOCK_VERSION],
        )
        cur.execute("ANALYZE")
    return {
        "stock": stock["seconds"],
        "run": run.pk,
        "run_state": run.state,
        "billed_and_closed_s": billed,
        "total_s": round(time.perf_counter() - t0, 1),
    }


def reset(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute(
            "TRUNCATE documents_documentdelivery, documents_paymentdocument, "
            "documents_printfile, documents_printbatch, documents_printjob"
        )
    shutil.rmtree(DATA, ignore_errors=True)
    shutil.rmtree(OUT, ignore_errors=True)


class TreeMemory:
    """The largest sum of VmRSS over a process and its descendants, sampled."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                        parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
                except OSError:
                    continue
        tree, frontier = [self.pid], [self.pid]
        while frontier:
            frontier = [p for p, parent in parents.items() if parent in frontier]
            tree += frontier
        return tree

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for pid in self._tree():
                try:
                    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                        for line in fh:
                            if line.startswith("VmRSS:"):
                                total += int(line.split()[1])
                except OSError:
                    continue
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(0.2)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kb // 1024


def child_baseline(url: str, count: int) -> None:
    """One typst compile per document for ``count`` accounts, in this one process."""
    bb.setup_django(url)
    from raschet.documents.assemble import documents_data
    from raschet.documents.render import Renderer
    from raschet.housing.models import Account
    from raschet.organizations.models import Organization

    org = Organization.objects.get(code="bench")
    ids = list(
        Account.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True)
    )[:count]
    now = datetime.now(UTC)
    start = time.perf_counter()
    docs = documents_data(organization=org, period=PERIOD, account_ids=ids)
    data_s = time.perf_counter() - start
    size = 0
    with Renderer() as renderer:
        t = time.perf_counter()
        for doc in docs:
            size += len(renderer.render([doc], timestamp=now))
        separate_s = time.perf_counter() - t
        t = time.perf_counter()
        batched = renderer.render(docs, timestamp=now)
        batched_s = time.perf_counter() - t
    from raschet.documents.direct import DirectWriter, fonts

    fonts()  # subset once per process, as a printing process does
    t = time.perf_counter()
    direct = DirectWriter().render(docs, timestamp=now)
    direct_s = time.perf_counter() - t
    wall = data_s + separate_s
    print(json.dumps({
        "documents": len(docs), "data_s": round(data_s, 2),
        "separate_s": round(separate_s, 2), "docs_per_s": round(len(docs) / wall, 1),
        "kib_per_doc": round(size / len(docs) / 1024, 1),
        "batched_one_process_docs_per_s": round(len(docs) / (data_s + batched_s), 1),
        "batched_kib_per_doc": round(len(batched) / len(docs) / 1024, 1),
        "direct_one_process_docs_per_s": round(len(docs) / (data_s + direct_s), 1),
        "direct_kib_per_doc": round(len(direct) / len(docs) / 1024, 1),
    }))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--baseline", type=int, default=1000, help="accounts, 0: skip")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--engine", choices=("direct", "typst"), default="direct",
        help="the bundles' writer (RASCHET_EPD_BUNDLE_ENGINE, ADR 0009)",
    )  # fmt: skip
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-baseline", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src"),
           "RASCHET_DATA_DIR": str(DATA), "RASCHET_TASKS": "immediate",
           "RASCHET_EPD_BUNDLE_ENGINE": args.engine}  # fmt: skip
    if args.build:
        os.environ.update(env)
        bb.setup_django(url)
        print(json.dumps(build_stock(url, args.accounts, args.seed)))
        return 0
    if args.child_baseline:
        child_baseline(url, args.child_baseline)
        return 0

    print(bb.machine(url), flush=True)
    os.environ["RASCHET_DATA_DIR"] = str(DATA)
    bb.stock_ready(
        url, script=str(Path(__file__).resolve()), marker_table="bench_documents_stock",
        accounts=args.accounts, seed=args.seed, version=STOCK_VERSION, reuse=args.reuse,
        reset=reset,
    )  # fmt: skip
    reset(url)
    print(f"  load average before: {os.getloadavg()[0]:.2f}", flush=True)
    command = [
        sys.executable, "-m", "raschet.cli", "documents", "print", "--organization", "bench",
        "--period", f"{PERIOD:%Y-%m}", "--bundle", "--processes", str(args.processes),
        "--out", str(OUT),
    ]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
    memory = TreeMemory(proc.pid)
    code = proc.wait()
    wall = time.perf_counter() - start
    peak = memory.stop()
    if code != 0:
        print(f"print failed with code {code}")
        return 1
    files = list(OUT.glob("*.pdf"))
    size = sum(f.stat().st_size for f in files)
    print(f"  load average after: {os.getloadavg()[0]:.2f}", flush=True)
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as c:
        row = c.execute("SELECT count(*) FROM documents_paymentdocument").fetchone()
        documents = int(row[0]) if row else 0
    rate = documents / wall
    kib = size / documents / 1024 if documents else 0.0
    print(f"print: {documents} documents in {len(files)} bundles, {wall:.1f} s, {rate:.0f}/s, "
          f"peak {peak} MB, {kib:.1f} KiB per document", flush=True)  # fmt: skip
    baseline: dict[str, Any] = {}
    if args.baseline:
        out = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--database-url", url,
             "--child-baseline", str(args.baseline)],
            env=env, cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        baseline = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"naive baseline (one compile per document, one process): {json.dumps(baseline)}")
    print(f"RESULT documents={documents} wall_s={wall:.1f} docs_per_s={rate:.0f} "
          f"peak_rss_mb={peak} kib_per_doc={kib:.1f} "
          f"baseline_docs_per_s={baseline.get('docs_per_s', 0)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
