"""Billing runs: compute (trial) → post → close. Every write of the billing app.

A run computes the open month for every account of the organization and, for each earlier
closed month whose facts changed after it was closed, recomputes that month. For every
account × service × month it compares the computed figures with what is already posted for
that month and writes only the differences (recompute-and-diff): the month's own charge the
first time, recalculation lines with a reason afterwards. A run with no changed facts adds
nothing.

The run is split into batches of whole buildings (common-property shares need the whole
building). Each batch is a background task (Django tasks API); the process that starts a run
also works through the pending batches, so a run finishes with no worker running and goes
faster with more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from raschet.billing import diff, heating_correction
from raschet.billing.common_carry import common_carry_close
from raschet.billing.models import (
    BatchState,
    BillingRun,
    ChargeLine,
    RunBatch,
    RunState,
)
from raschet.billing.snapshot import FactsError, load_batch
from raschet.core import billing as core
from raschet.core.periods import Month
from raschet.housing.models import Account, Building
from raschet.ledger.models import LedgerEntry
from raschet.ledger.services import ledger_snapshot_month
from raschet.organizations.models import ClosedMonth, Organization

BATCH_ACCOUNTS = 20000
"""Accounts per batch (whole buildings): what one worker holds in memory at a time."""
FINE_NOTE = "штраф 50 % за незаконное начисление (ЖК ст.157 ч.6, ПП 354 п.155(1))"
"""The note of the ledger entry of a fine, kept apart from the line's other reductions."""
CATCH_UP_NOTE = "снятие: по показаниям меньше, чем начислено по среднему (rules.md §14)"
"""The note of the reduction entry of a negative catch-up after averaged months (the line's
reduction reason `core.ReductionReason.CATCH_UP`; such a line has no other reduction)."""
RECALCULATION_LOOKBACK_MONTHS = 36
"""Closed months older than this are not recomputed (ЖК ст.196: three-year limitation)."""

Progress = Callable[[BillingRun], None]


class BillingError(Exception):
    """A run cannot be started, posted or closed; the message says why, in Russian."""


def is_closed(organization_id: int, period: date) -> bool:
    return ClosedMonth.objects.filter(organization_id=organization_id, month=period).exists()


def last_posted_run_id(organization_id: int) -> int:
    value = BillingRun.objects.filter(
        organization_id=organization_id, state=RunState.POSTED
    ).aggregate(m=Max("pk"))["m"]
    return int(value or 0)


def months_to_recompute(organization: Organization, period: date) -> list[date]:
    """Closed months before ``period`` whose facts changed after they were closed.

    A change is any new or corrected row of a fact table (its history record, or its entry
    time for acts and readings) written after the month was closed. Months older than
    `RECALCULATION_LOOKBACK_MONTHS` are left alone.
    """
    from raschet.billing import changes

    horizon = Month.of(period)
    for _ in range(RECALCULATION_LOOKBACK_MONTHS):
        horizon = horizon.previous()
    closed = ClosedMonth.objects.filter(
        organization=organization, month__lt=period, month__gte=horizon.start
    ).order_by("month")
    out = []
    for cm in closed:
        if changes.changed_since(organization.pk, cm.month, cm.closed_at):
            out.append(cm.month)
    return out


def _plan_batches(organization: Organization) -> list[tuple[list[int], int]]:
    """Whole buildings grouped so that a batch holds about `BATCH_ACCOUNTS` accounts."""
    rows = (
        Building.objects.filter(organization=organization)
        .annotate(n=Count("premises__accounts"))
        .order_by("pk")
        .values_list("pk", "n")
    )
    batches: list[tuple[list[int], int]] = []
    current: list[int] = []
    size = 0
    for pk, n in rows:
        if current and size + n > BATCH_ACCOUNTS:
            batches.append((current, size))
            current, size = [], 0
        current.append(pk)
        size += n
    if current:
        batches.append((current, size))
    return batches


def billing_run(
    *,
    organization: Organization,
    period: date,
    trial: bool = False,
    user: Any = None,
    progress: Progress | None = None,
    wait: bool = True,
) -> BillingRun:
    """Compute ``period`` for ``organization``; post it too unless ``trial``.

    With ``wait`` (the CLI, the demo) this process works through the batches itself, next
    to any workers. Without it (the back office with a task queue) the run is only queued:
    the workers compute the batches, and the one that finishes the last batch finishes the
    run (and posts it unless it is a trial run).
    """
    month = Month.of(period)
    if is_closed(organization.pk, month.start):
        raise BillingError(f"Месяц {month} закрыт: начисления в нём не меняются")
    _refuse_capital_repair_below_minimum(organization, month)
    recompute = months_to_recompute(organization, month.start)
    plan = _plan_batches(organization)
    with transaction.atomic():
        run = BillingRun.objects.create(
            organization=organization,
            period=month.start,
            trial=trial,
            basis=last_posted_run_id(organization.pk),
            created_by=user if getattr(user, "pk", None) else None,
            accounts_total=sum(n for _, n in plan),
            months_recomputed=[d.isoformat() for d in recompute],
        )
        RunBatch.objects.bulk_create(
            RunBatch(organization=organization, run=run, number=k, building_ids=ids, accounts=n)
            for k, (ids, n) in enumerate(plan)
        )
    from raschet.billing.tasks import billing_batch_task

    for batch_id in RunBatch.objects.filter(run=run).values_list("pk", flat=True):
        billing_batch_task.enqueue(batch_id)
    if wait:
        run_work(run=run, progress=progress)
    run.refresh_from_db()
    return run


def _refuse_capital_repair_below_minimum(organization: Organization, month: Month) -> None:
    """Stop a run whose capital-repair tariff is below the regional minimum in force in the
    month (rules.md §2.2, ЖК ст.156 ч.8.1). Refused rather than warned: a contribution below
    the minimum is unlawful, every ЕПД of the month would carry it, and a warning beside a
    posted run is easily missed; the fix (a new tariff row, or the minimum's row if that one
    is wrong) takes a minute. docs/billing.md "Capital repair minimum"."""
    from raschet.tariffs.models import rate_text
    from raschet.tariffs.selectors import capital_repair_below_minimum

    found = capital_repair_below_minimum(organization.pk, month.start, month.end)
    if not found:
        return
    parts = []
    for tariff, minimum in found[:5]:
        where = tariff.building.address if tariff.building is not None else "все дома"
        parts.append(
            f"{tariff.service.name} ({where}, с {tariff.valid_from:%d.%m.%Y}): тариф "
            f"{rate_text(tariff.rate)} ₽/м² ниже минимального взноса {minimum.rate_text} ₽/м² "
            f"({minimum.act}, с {minimum.valid_from:%d.%m.%Y})"
        )
    more = f"; и ещё {len(found) - 5}" if len(found) > 5 else ""
    raise BillingError(
        f"Расчёт за {month} не выполнен: взнос на капремонт ниже установленного регионом "
        f"минимального размера (ЖК ст.156 ч.8.1) — " + "; ".join(parts) + more
    )


def billing_run_resume(*, run: BillingRun, progress: Progress | None = None) -> BillingRun:
    """Finish a run left computing (its process died): work through its pending batches.

    A batch is written in one transaction, so a batch interrupted half-way is still
    pending and is computed again from the start; finished batches are kept.
    """
    run = BillingRun.objects.get(pk=run.pk)
    if run.state != RunState.COMPUTING:
        raise BillingError(f"Расчёт №{run.pk} не выполняется: {run.get_state_display()}")
    run_work(run=run, progress=progress)
    run.refresh_from_db()
    return run


def run_work(*, run: BillingRun, progress: Progress | None = None) -> None:
    """Work through the run's pending batches, then finish the run when all are done."""
    while True:
        batch_id = _claim_pending(run)
        if batch_id is None:
            break
        billing_batch_compute(batch_id=batch_id)
        if progress is not None:
            run.refresh_from_db()
            progress(run)
    _finish_if_done(run)
    if progress is not None:
        run.refresh_from_db()
        progress(run)


def _claim_pending(run: BillingRun) -> int | None:
    with transaction.atomic():
        qs = RunBatch.objects.filter(run=run, state=BatchState.PENDING).order_by("number")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        batch = qs.first()
        return batch.pk if batch else None


def billing_batch_compute(*, batch_id: int) -> None:
    """Compute one batch and write its lines; a no-op when the batch is already done."""
    with transaction.atomic():
        qs = RunBatch.objects.filter(pk=batch_id)
        if connection.features.has_select_for_update:
            qs = qs.select_for_update()
        batch = qs.select_related("run", "run__organization").first()
        if batch is None or batch.state != BatchState.PENDING:
            return
        run = batch.run
        try:
            with _planned_for_batches():
                written = _compute_and_write(run, batch.building_ids)
        except FactsError as exc:
            RunBatch.objects.filter(pk=batch.pk).update(state=BatchState.FAILED, error=str(exc))
            BillingRun.objects.filter(pk=run.pk).update(state=RunState.FAILED, error=str(exc))
            return
        RunBatch.objects.filter(pk=batch.pk).update(state=BatchState.DONE, lines=written)
        BillingRun.objects.filter(pk=run.pk).update(
            accounts_done=F("accounts_done") + batch.accounts,
            lines_count=F("lines_count") + written,
        )
    # whoever computes the last batch finishes the run (a worker, or the starting process)
    _finish_if_done(run)


def tasks_are_queued() -> bool:
    """True when batches go to a task queue for workers (``RASCHET_TASKS=database``)."""
    from django_tasks import task_backends
    from django_tasks.backends.immediate import ImmediateBackend

    return not isinstance(task_backends["default"], ImmediateBackend)


@contextmanager
def _planned_for_batches() -> Iterator[None]:
    """Plan the batch's queries with ``RASCHET_BILLING_RANDOM_PAGE_COST`` on PostgreSQL: a
    batch reads ~20,000 accounts' facts by their ids, and with the server's default cost the
    planner scans the whole readings table instead (1.4 GB per batch at a million accounts;
    docs/benchmarks.md). Local to the transaction, and put back afterwards for when the
    batch's transaction is nested in another one (a test's)."""
    cost = settings.RASCHET_BILLING_RANDOM_PAGE_COST
    if connection.vendor != "postgresql" or not cost:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('random_page_cost')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('random_page_cost', %s, true)", [str(cost)])
    yield  # after a failure the transaction is rolled back, the setting with it
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('random_page_cost', %s, true)", [before])


def _compute_and_write(run: BillingRun, building_ids: list[int]) -> int:
    """Compute every month of the run for the buildings, diff against what is posted and
    write the new lines; returns how many were written."""
    organization = run.organization
    months = [date.fromisoformat(d) for d in run.months_recomputed] + [run.period]
    computed = []
    account_ids: set[int] = set()
    for m_start in months:
        batch = load_batch(
            organization=organization, month=Month.of(m_start), building_ids=building_ids
        )
        result = core.compute(
            batch.lines, batch.parts, batch.segments, batch.benefits, batch.settings
        )
        computed.append((m_start, batch, result))
        account_ids.update(batch.account_ids)
    posted = diff.posted_sums(organization.pk, sorted(account_ids), months)
    written = 0
    seen: set[tuple[int, int, int]] = set()
    extra: list[tuple[Any, ...]] = []
    for m_start, batch, result in computed:
        out = diff.month_output(run, m_start, batch, result, posted)
        written += diff.write_new_lines(run, out.charges)
        extra += out.recalculations
        seen |= out.seen
    extra += diff.reversals(run, posted, seen)
    extra += heating_correction.correction_rows(run, building_ids)
    diff.write_rows(extra)
    return written + len(extra)


def _finish_if_done(run: BillingRun) -> None:
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if run.state != RunState.COMPUTING:
            return
        if RunBatch.objects.filter(run=run, state=BatchState.PENDING).exists():
            return
        run.state = RunState.COMPUTED
        run.finished_at = timezone.now()
        run.report = run_report(run)
        run.save(update_fields=["state", "finished_at", "report"])
    if not run.trial:
        billing_run_post(run=run)


# ----------------------------------------------------------------------------- post, close


def billing_run_post(*, run: BillingRun, user: Any = None) -> BillingRun:
    """Post a computed run into the ledger: one transaction, idempotent.

    Refused when the month is closed, when the run failed or is still computing, and when
    another run of the organization was posted after this one started (a stale run: compute
    again). The organization row is locked so two posts of one organization never overlap;
    the database also allows only one posted run per basis.
    """
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=run.organization_id).first()
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if run.state == RunState.POSTED:
            return run
        if run.state != RunState.COMPUTED:
            raise BillingError(f"Расчёт №{run.pk} нельзя провести: {run.get_state_display()}")
        if is_closed(run.organization_id, run.period):
            raise BillingError(f"Месяц {Month.of(run.period)} закрыт")
        if last_posted_run_id(run.organization_id) != run.basis:
            raise BillingError(
                f"Расчёт №{run.pk} устарел: после него проведён другой расчёт. "
                "Запустите расчёт заново."
            )
        now = timezone.now()
        _post_ledger(run, now)
        run.state = RunState.POSTED
        run.posted_at = now
        run.save(update_fields=["state", "posted_at"])
    return run


def _post_ledger(run: BillingRun, now: Any) -> None:
    """The run's lines as ledger entries, by one ``INSERT … SELECT`` on the server.

    A charge line gives up to four entries (charge, reduction, the fine for an unlawful
    over-charge — a reduction entry of its own with its note, ЖК ст.157 ч.6 —, benefit; a
    negative catch-up after averaged months is the line's reduction, noted so), a
    recalculation line one (its total difference); zero amounts write nothing.
    """
    table = LedgerEntry._meta.db_table
    lines = ChargeLine._meta.db_table
    cols = (
        "organization_id, account_id, service_id, payee_id, period, corrects_period, kind, "
        "amount_kopecks, run_id, line_id, posted_at, note"
    )
    select = (
        "SELECT c.organization_id, c.account_id, c.service_id, c.payee_id, c.period, "
        "c.corrects_period, v.kind, v.amount, c.run_id, c.id, %s, v.note "
    )
    if connection.vendor == "postgresql":
        # one scan of the run's lines, each fanned out into its entries
        sql = (
            f"INSERT INTO {table} ({cols}) {select}"
            f"FROM {lines} c CROSS JOIN LATERAL (VALUES "
            "('charge', CASE WHEN c.kind = 'charge' THEN c.amount ELSE 0 END, ''), "
            "('reduction', CASE WHEN c.kind = 'charge' THEN c.reduction - c.fine ELSE 0 END, "
            f"CASE WHEN (c.reduction_reasons & {int(core.ReductionReason.CATCH_UP)}) <> 0 "
            "THEN %s ELSE '' END), "
            "('reduction', CASE WHEN c.kind = 'charge' THEN c.fine ELSE 0 END, %s), "
            "('benefit', CASE WHEN c.kind = 'charge' THEN c.benefit ELSE 0 END, ''), "
            "('recalculation', CASE WHEN c.kind = 'recalculation' "
            "THEN c.amount + c.reduction + c.benefit ELSE 0 END, '')"
            ") AS v(kind, amount, note) WHERE c.run_id = %s AND v.amount <> 0"
        )
        params: list[Any] = [now, CATCH_UP_NOTE, FINE_NOTE, run.pk]
    else:
        parts = []
        params = []
        catch_up = (
            f"CASE WHEN (c.reduction_reasons & {int(core.ReductionReason.CATCH_UP)}) <> 0 "
            "THEN %s ELSE '' END"
        )
        for kind, amount, where, note_sql, note in (
            ("charge", "c.amount", "c.kind = 'charge'", "%s", ""),
            ("reduction", "c.reduction - c.fine", "c.kind = 'charge'", catch_up, CATCH_UP_NOTE),
            ("reduction", "c.fine", "c.kind = 'charge'", "%s", FINE_NOTE),
            ("benefit", "c.benefit", "c.kind = 'charge'", "%s", ""),
            (
                "recalculation",
                "c.amount + c.reduction + c.benefit",
                "c.kind = 'recalculation'",
                "%s",
                "",
            ),
        ):
            parts.append(
                select.replace("v.kind, v.amount", f"'{kind}', {amount}").replace(
                    "v.note", note_sql
                )
                + f"FROM {lines} c WHERE c.run_id = %s AND {where} AND {amount} <> 0"
            )
            params += [now, note, run.pk]
        sql = f"INSERT INTO {table} ({cols}) " + " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def billing_month_close(
    *, organization: Organization, period: date, user: Any = None
) -> ClosedMonth:
    """Close a month: its charges and ledger entries can never change again.

    The month's balance snapshot (opening, charged, …, closing per account × service ×
    payee) is stored in the same transaction.

    Needs a posted run of the month; closing twice is refused with a clear message.
    """
    month = Month.of(period)
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if is_closed(organization.pk, month.start):
            raise BillingError(f"Месяц {month} уже закрыт")
        if not BillingRun.objects.filter(
            organization=organization, period=month.start, state=RunState.POSTED
        ).exists():
            raise BillingError(f"За {month} нет проведённого расчёта: месяц нельзя закрыть")
        ledger_snapshot_month(organization_id=organization.pk, period=month.start)
        common_carry_close(organization=organization, month=month)
        return ClosedMonth.objects.create(
            organization=organization,
            month=month.start,
            closed_by=user if getattr(user, "pk", None) else None,
        )


def billing_run_discard(*, run: BillingRun) -> None:
    """Delete an unposted run and its lines (a posted run is refused by the database too)."""
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if run.state == RunState.POSTED:
            raise BillingError(f"Расчёт №{run.pk} проведён: его нельзя удалить")
        ChargeLine.objects.filter(run_id=run.pk).delete()
        run.delete()


# ----------------------------------------------------------------------------- report


def _changed_accounts(
    run: BillingRun, posted_runs: list[int], prev: date, *, threshold_percent: int, limit: int
) -> tuple[list[tuple[int, int, int, int]], int]:
    """Accounts whose month total moved by more than the threshold against the previous
    month, biggest first — computed by the database (a million accounts stay there)."""
    if not posted_runs:
        return [], 0
    lines = ChargeLine._meta.db_table
    marks = ", ".join(["%s"] * len(posted_runs))
    sql = (
        "WITH now_t AS (SELECT account_id, SUM(amount + reduction + benefit) AS t "  # noqa: S608 - fixed names, values are parameters
        f"FROM {lines} WHERE run_id = %s AND corrects_period = %s GROUP BY account_id), "
        "was_t AS (SELECT account_id, SUM(amount + reduction + benefit) AS t "
        f"FROM {lines} WHERE run_id IN ({marks}) AND corrects_period = %s GROUP BY account_id), "
        "moved AS (SELECT n.account_id, w.t AS was, n.t AS now FROM now_t n "
        "JOIN was_t w ON w.account_id = n.account_id "
        "WHERE w.t <> 0 AND ABS(n.t - w.t) * 100 > %s * ABS(w.t)) "
        "SELECT account_id, was, now, (SELECT COUNT(*) FROM moved) FROM moved "
        "ORDER BY ABS(now - was) DESC, account_id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk, run.period, *posted_runs, prev, threshold_percent, limit])
        rows = cursor.fetchall()
    changed = [
        (abs(int(now) - int(was)), int(acc), int(was), int(now)) for acc, was, now, _ in rows
    ]
    return changed, int(rows[0][3]) if rows else 0


def run_report(run: BillingRun, *, threshold_percent: int = 50, limit: int = 50) -> dict[str, Any]:
    """The trial report: totals per service against the previous month's posted charges,
    and the accounts whose month total changed by more than ``threshold_percent``."""
    prev = Month.of(run.period).previous().start
    posted_runs = BillingRun.objects.filter(
        organization_id=run.organization_id, state=RunState.POSTED
    ).values_list("pk", flat=True)
    current = ChargeLine.objects.filter(run_id=run.pk, corrects_period=run.period)
    before = ChargeLine.objects.filter(run_id__in=list(posted_runs), corrects_period=prev)
    totals: dict[int, dict[str, int]] = defaultdict(lambda: {"current": 0, "previous": 0})
    for sid, total in current.values_list("service_id").annotate(
        t=Sum("amount") + Sum("reduction") + Sum("benefit")
    ):
        totals[sid]["current"] = int(total or 0)
    for sid, total in before.values_list("service_id").annotate(
        t=Sum("amount") + Sum("reduction") + Sum("benefit")
    ):
        totals[sid]["previous"] = int(total or 0)
    recalc = ChargeLine.objects.filter(run_id=run.pk).filter(~Q(corrects_period=run.period))
    recalc_total = recalc.aggregate(t=Sum("amount") + Sum("reduction") + Sum("benefit"))["t"]
    changed, changed_count = _changed_accounts(
        run, list(posted_runs), prev, threshold_percent=threshold_percent, limit=limit
    )
    numbers = dict(
        Account.objects.filter(pk__in=[c[1] for c in changed[:limit]]).values_list("pk", "number")
    )
    from raschet.tariffs.models import Service

    names = dict(Service.objects.filter(pk__in=list(totals)).values_list("pk", "name"))
    return {
        "previous_period": prev.isoformat(),
        "services": [
            {"service_id": sid, "service": names.get(sid, str(sid)), **v}
            for sid, v in sorted(totals.items())
        ],
        "recalculation_total": int(recalc_total or 0),
        "threshold_percent": threshold_percent,
        "changed_accounts": [
            {
                "account_id": acc,
                "account": numbers.get(acc, str(acc)),
                "previous": was,
                "current": now,
            }
            for _, acc, was, now in changed[:limit]
        ],
        "changed_accounts_count": changed_count,
    }
