"""Benchmark: the resident portal's account overview under concurrent signed-in residents
(issue 8: with 100,000 accounts on PostgreSQL, 50 concurrent users from 127.0.0.1 get the
overview at p95 ≤ 150 ms with no errors on the 2-core machine). Not a test.

    .venv/bin/python bench/portal.py [--accounts 100000] [--users 50] [--duration 60]
        [--warmup 10] [--think 1.0] [--workers 2] [--threads 4] [--reuse] [--explain]
        [--database-url postgres://postgres@127.0.0.1:5432/raschet_bench_portal]

Stock: the documents bench's (``bench/documents.py``, itself the billing bench's buildings
of 100 flats with ten services, meters, people and benefits): March 2025 billed, posted and
closed; then a bank registry with one payment per account (``bench/payments.py``'s
generator, Sberbank layout, paid in March) imported and posted into April, the open month;
then April billed and posted (readings of April are missing, so metered services get the
average). The overview of an account thus shows balances by service and payee, the April
charges with their derivations, the month list and a payment. ``--reuse`` keeps a stock of
the same size and seed (marker table ``bench_portal_stock``); without it the database is
dropped and built again.

Residents: ``--users`` Django users (``bench-resident-NNNNN@bench.example``, unusable
password), each linked (`ResidentAccount`) to a distinct account drawn from the seed, are
created afresh on every run. They are signed in without the sign-in page, which would cost a
password hash per user and trip its lockout: each gets a session written by the session
engine with the three keys `django.contrib.auth.login` stores (user id, backend, session auth
hash) — what the test client's ``force_login`` does — and its key is the ``sessionid`` cookie.
Server and benchmark share ``RASCHET_SECRET_KEY`` so the sessions validate.

Measured:
1. The overview request in this process through Django's test client: the SQL queries it
   runs (``CaptureQueriesContext``), each with its median time over five requests after a
   warm-up one; with ``--explain`` the plans (``EXPLAIN ANALYZE``) of the three slowest.
2. A real server, ``gunicorn raschet.config.wsgi`` on 127.0.0.1 with ``--workers`` processes
   of ``--threads`` threads each (the gthread worker; ``--threads 1``: the sync worker),
   ``RASCHET_DEBUG=0``, no static files. The default, 2 processes × 4 threads, is one process
   per core, its threads overlapping the waits for PostgreSQL, which runs on the same two
   cores; the gthread worker also keeps connections alive as a browser behind a proxy would.
   (On a loaded 2-core machine with 20,000 accounts, 4 sync workers served only 20–26 of the
   offered ~47 requests/s with a p50 near 1 s; 2 × 4 gthread served all of them.) A
   closed-loop load: one thread per resident with its own cookie and HTTP/1.1 connection
   requests its ``/portal/accounts/<id>/`` and then waits ``--think`` seconds, jittered
   uniformly ±50 %; starts are spread over the first think time. Requests started during the
   ``--warmup`` seconds are not recorded; those started in the next ``--duration`` seconds
   are, each with its latency (request sent to body read) and status. An error is a failed
   connection, a status other than 200 or a page without the account's number. Server memory
   is the peak of VmRSS summed over gunicorn's process tree (sampled every 0.2 s), server CPU
   the tree's user + system time during the measurement.

The last line is ``RESULT accounts=N users=U requests=R rps=X p50_ms=… p95_ms=… p99_ms=…
max_ms=… errors=E server_rss_mb=M``.
"""

from __future__ import annotations

import argparse
import http.client
import importlib
import json
import math
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/raschet_bench_portal"
STOCK_VERSION = 1
MARKER = "bench_portal_stock"
OPEN_MONTH = date(2025, 4, 1)  # billed and posted, not closed; March is closed
USER_PREFIX = "bench-resident-"
# Sessions are signed with the secret key: this process writes them, gunicorn reads them.
SECRET_KEY = "raschet-bench-portal-key-not-for-production"  # noqa: S105 — bench sessions only
TARGET_P95_MS = 150.0
PROFILE_REQUESTS = 5  # in-process overview requests timed query by query, after a warm-up

# This script's folder is sys.path[0]: the other benches import as top-level modules.
bb: Any = importlib.import_module("billing")  # bench/billing.py
bd: Any = importlib.import_module("documents")  # bench/documents.py
bp: Any = importlib.import_module("payments")  # bench/payments.py


# ----------------------------------------------------------------------------- stock


def build_stock(url: str, accounts: int, seed: int) -> dict[str, Any]:
    """The documents bench's stock (March billed and closed), a payment per account posted
    into April, and April billed and posted."""
    t0 = time.perf_counter()
    documents = bd.build_stock(url, accounts, seed)
    from django.db import connection

    from raschet.billing.models import RunState
    from raschet.billing.services import billing_run
    from raschet.organizations.models import Organization
    from raschet.payments.models import Channel, PaymentSource
    from raschet.payments.services import registry_import

    org = Organization.objects.get(code="bench")
    source = PaymentSource.objects.create(
        organization=org, code="sber", name="Сбербанк", channel=Channel.BANK, layout="sberbank"
    )
    path = BENCH_DIR / f"portal-registry-{accounts}-{seed}.txt"
    lines = bp.write_registry(path, bp.account_numbers(url), seed)
    t = time.perf_counter()
    report = registry_import(
        organization=org, source=source, data=path.read_bytes(), filename=path.name,
        today=bp.TODAY,
    )  # fmt: skip
    paid_s = round(time.perf_counter() - t, 1)
    if not report.ok:
        raise SystemExit(f"the registry was refused: {report.summary()}")
    t = time.perf_counter()
    run = billing_run(organization=org, period=OPEN_MONTH)
    if run.state != RunState.POSTED:
        raise SystemExit(f"billing {OPEN_MONTH:%Y-%m} ended {run.state}: {run.error}")
    april_s = round(time.perf_counter() - t, 1)
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE {MARKER} (accounts integer, seed integer, version integer)")
        cur.execute(f"INSERT INTO {MARKER} VALUES (%s, %s, %s)", [accounts, seed, STOCK_VERSION])  # noqa: S608
        cur.execute("ANALYZE")
    return {
        "documents_stock": documents,
        "registry_lines": lines,
        "payments_accepted": report.accepted,
        "payments_s": paid_s,
        "april_run": run.pk,
        "april_lines": run.lines_count,
        "april_s": april_s,
        "total_s": round(time.perf_counter() - t0, 1),
    }


# ----------------------------------------------------------------------------- residents


@dataclass(frozen=True)
class Resident:
    account_id: int
    number: str
    session_key: str


def make_residents(count: int, seed: int) -> list[Resident]:
    """``count`` residents, each linked to its own account and signed in by a session written
    directly (no sign-in page: no password hash, no lockout). Earlier ones are removed."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.models import Session
    from django.db import transaction

    from raschet.housing.models import Account
    from raschet.portal.models import ResidentAccount

    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        raise SystemExit(f"the bench writes database sessions, not {settings.SESSION_ENGINE}")
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore
    backend = settings.AUTHENTICATION_BACKENDS[0]
    user_model = get_user_model()
    accounts = list(
        Account.objects.filter(organization__code="bench")
        .order_by("pk")
        .values_list("pk", "number", "organization_id")
    )
    if count > len(accounts):
        raise SystemExit(f"--users {count} is more than the {len(accounts)} accounts")
    chosen = random.Random(seed).sample(accounts, count)
    with transaction.atomic():
        user_model.objects.filter(username__startswith=USER_PREFIX).delete()
        Session.objects.all().delete()  # the bench database holds only the bench's sessions
        users = user_model.objects.bulk_create(
            user_model(
                username=f"{USER_PREFIX}{k:05d}@bench.example",
                email=f"{USER_PREFIX}{k:05d}@bench.example",
                password=make_password(None),
            )
            for k in range(count)
        )
        ResidentAccount.objects.bulk_create(
            ResidentAccount(organization_id=org, user=user, account_id=pk)
            for user, (pk, _number, org) in zip(users, chosen, strict=True)
        )
        residents = []
        for user, (pk, number, _org) in zip(users, chosen, strict=True):
            session = store()
            session[SESSION_KEY] = user._meta.pk.value_to_string(user)
            session[BACKEND_SESSION_KEY] = backend
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            residents.append(Resident(pk, number, session.session_key))
    return residents


# ----------------------------------------------------------------------------- profile


def profile_overview(resident: Resident, explain: bool) -> dict[str, Any]:
    """The queries of the overview request, each timed over ``PROFILE_REQUESTS`` requests
    after a first one that warms the caches; with ``explain`` the plans of the three slowest."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = resident.session_key
    url = f"/portal/accounts/{resident.account_id}/"
    first = client.get(url)
    if first.status_code != 200 or resident.number.encode() not in first.content:
        raise SystemExit(f"profile: {url} answered {first.status_code} without the number")
    runs: list[list[tuple[float, str, Any]]] = []  # per request: (ms, sql, params)

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            runs[-1].append(((time.perf_counter() - start) * 1000, sql, params))

    walls = []
    for _ in range(PROFILE_REQUESTS):
        runs.append([])
        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timer):
            t = time.perf_counter()
            client.get(url)
            walls.append((time.perf_counter() - t) * 1000)
        if len(runs[-1]) != len(ctx.captured_queries) or len(runs[-1]) != len(runs[0]):
            raise SystemExit("profile: the overview ran a varying number of queries")
    timed = runs[-1]
    # the median of each query over the requests (finer than the captured times' 1 ms)
    queries = [
        (statistics.median(r[k][0] for r in runs), q["sql"])
        for k, q in enumerate(ctx.captured_queries)
    ]
    wall = statistics.median(walls)
    plans = []
    if explain and connection.vendor == "postgresql":
        slowest = sorted(range(len(queries)), key=lambda k: -queries[k][0])[:3]
        with connection.cursor() as cur:
            for k in slowest:
                _ms, sql, params = timed[k]
                if sql.lstrip().upper().startswith("SELECT"):
                    cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                    plans.append((queries[k][1], "\n".join(r[0] for r in cur.fetchall())))
    connection.close()  # the server has its own connections
    return {"wall_ms": wall, "queries": queries, "plans": plans, "bytes": len(first.content)}


def print_profile(profile: dict[str, Any]) -> None:
    queries = profile["queries"]
    total = sum(ms for ms, _ in queries)
    print(f"one overview in-process (median of {PROFILE_REQUESTS}): {profile['wall_ms']:.1f} ms, "
          f"{profile['bytes']} bytes, {len(queries)} queries taking {total:.1f} ms:")  # fmt: skip
    for k, (ms, sql) in enumerate(queries, 1):
        text = re.sub(r"^SELECT (DISTINCT )?.*? FROM ", r"SELECT \1… FROM ", " ".join(sql.split()))
        print(f"  {k:2d}. {ms:7.2f} ms  {text[:200]}{'…' if len(text) > 200 else ''}")
    for sql, plan in profile["plans"]:
        print(f"plan of: {' '.join(sql.split())[:150]}")
        print("    " + plan.replace("\n", "\n    "))


# ----------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_SETTINGS_MODULE": "raschet.config.settings", "RASCHET_DEBUG": "0",
        "RASCHET_SECRET_KEY": SECRET_KEY, "RASCHET_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RASCHET_DATA_DIR": str(BENCH_DIR / "portal-data"), "RASCHET_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    command = [
        sys.executable, "-m", "gunicorn", "raschet.config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", "gthread" if threads > 1 else "sync", "--threads", str(threads),
        "--timeout", "60", "--log-level", "warning",
        "--error-logfile", str(BENCH_DIR / "portal-gunicorn.log"),
    ]  # fmt: skip
    proc = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {proc.returncode}; see its log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/portal/login/")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its living descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    tree, frontier = {pid}, {pid}
    while frontier:
        frontier = {p for p, (parent, _cpu) in stats.items() if parent in frontier}
        tree |= frontier
    return sum(stats[p][1] for p in tree if p in stats)


def machine_busy() -> tuple[int, int]:
    """Busy and total jiffies of all CPUs (/proc/stat): the machine's load, not only ours."""
    with open("/proc/stat", encoding="utf-8") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


# ----------------------------------------------------------------------------- load


@dataclass
class Samples:
    """Requests started in the measured window: (latency s, status, content ok)."""

    rows: list[tuple[float, int, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency: float, status: int, ok: bool) -> None:
        with self.lock:
            self.rows.append((latency, status, ok))


def virtual_user(
    resident: Resident, port: int, cookie: str, think: float, measure_from: float,
    stop_at: float, samples: Samples, seed: int,
) -> None:  # fmt: skip
    """A closed loop: request the overview, wait a jittered think time, again, until
    ``stop_at``; record the requests started at or after ``measure_from``."""
    rng = random.Random(seed)
    path = f"/portal/accounts/{resident.account_id}/"
    headers = {"Cookie": f"{cookie}={resident.session_key}", "Accept-Language": "ru",
               "User-Agent": "raschet-bench-portal"}  # fmt: skip
    needle = resident.number.encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    time.sleep(rng.uniform(0, think))  # spread the starts
    while (start := time.perf_counter()) < stop_at:
        status, body = 0, b""
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latency = time.perf_counter() - start
        if start >= measure_from:
            samples.add(latency, status, status == 200 and needle in body)
        time.sleep(think * rng.uniform(0.5, 1.5))
    conn.close()


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def run_load(
    residents: list[Resident], port: int, think: float, warmup: float, duration: float, seed: int
) -> dict[str, Any]:
    from django.conf import settings

    cookie = settings.SESSION_COOKIE_NAME
    samples = Samples()
    begin = time.perf_counter()
    measure_from, stop_at = begin + warmup, begin + warmup + duration
    threads = [
        threading.Thread(
            target=virtual_user,
            args=(r, port, cookie, think, measure_from, stop_at, samples, seed * 100_003 + k),
            daemon=True,
        )
        for k, r in enumerate(residents)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = sorted(lat * 1000 for lat, _s, _ok in samples.rows)
    statuses: dict[str, int] = {}
    for _lat, status, ok in samples.rows:
        if not ok:
            key = "no connection" if status == 0 else str(status) if status != 200 else "content"
            statuses[key] = statuses.get(key, 0) + 1
    return {
        "requests": len(latencies),
        "rps": len(latencies) / duration,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "errors": sum(statuses.values()),
        "errors_by_kind": statuses,
    }


# ----------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=50, help="virtual users, one account each")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=10.0, help="unrecorded seconds first")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause, ±50 %% jitter")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="per worker; 1: sync worker")
    parser.add_argument("--port", type=int, default=0, help="0: a free one")
    parser.add_argument("--explain", action="store_true", help="plans of the slowest queries")
    parser.add_argument(
        "--reuse", action="store_true",
        help="keep the stock when the database holds one of the same size and seed",
    )  # fmt: skip
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PORTAL_URL", DEFAULT_URL))
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url
    if bb.is_sqlite(url):
        raise SystemExit("the portal bench runs on PostgreSQL only")
    os.environ.update({"RASCHET_SECRET_KEY": SECRET_KEY, "RASCHET_DEBUG": "0",
                       "RASCHET_TASKS": "immediate"})  # fmt: skip
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if args.build:
        bb.setup_django(url)
        print(json.dumps(build_stock(url, args.accounts, args.seed)))
        return 0

    print(bb.machine(url), flush=True)
    wanted = {"accounts": args.accounts, "seed": args.seed, "version": STOCK_VERSION}
    if not args.reuse and bb.stock_marker(url, MARKER) == wanted:
        print("the database holds this stock already: building it again (--reuse keeps it)")
    bb.stock_ready(
        url, script=str(Path(__file__).resolve()), marker_table=MARKER, accounts=args.accounts,
        seed=args.seed, version=STOCK_VERSION, reuse=args.reuse,
        reset=lambda _url: None,  # the residents and sessions are made afresh below
    )  # fmt: skip
    bb.setup_django(url)
    t = time.perf_counter()
    residents = make_residents(args.users, args.seed)
    print(f"{len(residents)} residents linked and signed in in {time.perf_counter() - t:.1f} s",
          flush=True)  # fmt: skip
    print_profile(profile_overview(residents[0], args.explain))
    bb.checkpoint(url)

    port = args.port or free_port()
    kind = f"gthread, {args.threads} threads" if args.threads > 1 else "sync"
    server_desc = f"gunicorn {args.workers} workers ({kind})"
    print(f"{server_desc} on 127.0.0.1:{port}; {args.users} users, think {args.think} s ±50 %, "
          f"warm-up {args.warmup} s, measured {args.duration} s", flush=True)  # fmt: skip
    server = start_server(url, port, args.workers, args.threads)
    try:
        memory = bd.TreeMemory(server.pid)
        print(f"  load average before: {os.getloadavg()[0]:.2f}", flush=True)
        cpu_before = tree_cpu_seconds(server.pid)
        busy_before = machine_busy()
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        result = run_load(residents, port, args.think, args.warmup, args.duration, args.seed)
        client_after = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = tree_cpu_seconds(server.pid) - cpu_before
        busy_after = machine_busy()
        rss = memory.stop()
        load = os.getloadavg()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    client_cpu = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    print(f"  load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    print(f"  CPU during warm-up and measurement: server tree {server_cpu:.1f} s, "
          f"load generator {client_cpu:.1f} s, all CPUs of the machine {busy:.0%} busy "
          f"(PostgreSQL and anything else included); errors by kind "
          f"{result['errors_by_kind']}")  # fmt: skip
    met = result["p95_ms"] <= TARGET_P95_MS and result["errors"] == 0 and result["requests"]
    print()
    print("| Accounts | Users | Server | Think | Requests | rps | p50 | p95 | p99 | max "
          "| Errors | Server RSS |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.accounts:,} | {args.users} | {server_desc} | {args.think:g} s "
          f"| {result['requests']:,} | {result['rps']:.1f} | {result['p50_ms']:.0f} ms "
          f"| {result['p95_ms']:.0f} ms | {result['p99_ms']:.0f} ms | {result['max_ms']:.0f} ms "
          f"| {result['errors']} | {rss} MB |")  # fmt: skip
    print()
    print(f"target p95 ≤ {TARGET_P95_MS:.0f} ms and no errors: {'met' if met else 'NOT met'}")
    print(f"RESULT accounts={args.accounts} users={args.users} requests={result['requests']} "
          f"rps={result['rps']:.1f} p50_ms={result['p50_ms']:.1f} p95_ms={result['p95_ms']:.1f} "
          f"p99_ms={result['p99_ms']:.1f} max_ms={result['max_ms']:.1f} "
          f"errors={result['errors']} server_rss_mb={rss}")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
