"""Run → post → close, recompute-and-diff, and the closed-month guarantees."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from raschet.billing.models import BillingRun, ChargeLine, LineKind, RunState
from raschet.billing.services import (
    BillingError,
    billing_month_close,
    billing_run,
    billing_run_post,
)
from raschet.ledger.models import LedgerEntry
from raschet.organizations.models import ClosedMonth
from tests.factories import (
    AccountFactory,
    AccountServiceFactory,
    NormFactory,
    RegistrationFactory,
    ServiceFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
DB_REFUSALS = IntegrityError  # the triggers raise restrict_violation (SQLSTATE 23001)


@pytest.fixture
def account():
    acc = AccountFactory()
    org = acc.organization
    water = ServiceFactory(organization=org)
    TariffFactory(service=water, rate=Decimal("50.93"))
    NormFactory(service=water, value=Decimal("4.9"))
    AccountServiceFactory(account=acc, service=water, method="norm", meter_possible=True)
    for _ in range(3):
        RegistrationFactory(account=acc)
    return acc


def test_norm_with_coefficient_is_charged_posted_and_closed(account):
    run = billing_run(organization=account.organization, period=JAN)
    assert run.state == RunState.POSTED
    line = ChargeLine.objects.get(run_id=run.pk)
    assert (line.amount, line.coefficient_amount) == (112301, 37434)  # rules.md C2
    assert line.kind == LineKind.CHARGE
    entries = LedgerEntry.objects.filter(run_id=run.pk)
    assert sum(e.amount_kopecks for e in entries) == 112301
    billing_month_close(organization=account.organization, period=JAN)
    with pytest.raises(BillingError, match="закрыт"):
        billing_run(organization=account.organization, period=JAN)


def test_rerun_without_changes_adds_nothing(account):
    billing_run(organization=account.organization, period=JAN)
    again = billing_run(organization=account.organization, period=JAN)
    assert ChargeLine.objects.filter(run_id=again.pk).count() == 0
    assert LedgerEntry.objects.filter(run_id=again.pk).count() == 0


def test_retroactive_tariff_posts_only_the_difference(account):
    org = account.organization
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    from raschet.tariffs.models import Tariff

    tariff = Tariff.objects.get(organization=org)
    tariff.rate = Decimal("60.00")
    tariff.save()
    run = billing_run(organization=org, period=FEB)
    recalc = ChargeLine.objects.get(run_id=run.pk, corrects_period=JAN)
    assert recalc.kind == LineKind.RECALCULATION
    # 3 × 4.9 × 1.5 × 60.00 = 1323.00 (882.00 + 441.00) − 1123.01 posted
    assert recalc.amount == 132300 - 112301
    assert "тариф" in recalc.reason
    feb = ChargeLine.objects.get(run_id=run.pk, corrects_period=FEB)
    assert feb.amount == 132300
    # and a run after that with no changes adds nothing
    again = billing_run(organization=org, period=FEB)
    assert ChargeLine.objects.filter(run_id=again.pk).count() == 0


def test_trial_run_is_not_posted_until_post_and_post_is_idempotent(account):
    run = billing_run(organization=account.organization, period=JAN, trial=True)
    assert run.state == RunState.COMPUTED
    assert not LedgerEntry.objects.exists()
    assert run.report["services"][0]["current"] == 112301
    billing_run_post(run=run)
    billing_run_post(run=run)
    assert LedgerEntry.objects.filter(run_id=run.pk).count() == 1


def test_stale_run_cannot_be_posted(account):
    first = billing_run(organization=account.organization, period=JAN, trial=True)
    second = billing_run(organization=account.organization, period=JAN, trial=True)
    billing_run_post(run=second)
    with pytest.raises(BillingError, match="устарел"):
        billing_run_post(run=first)


def test_closing_needs_a_posted_run(account):
    with pytest.raises(BillingError, match="нет проведённого"):
        billing_month_close(organization=account.organization, period=JAN)


def test_database_refuses_changes_of_the_ledger_and_closed_months(account):
    org = account.organization
    run = billing_run(organization=org, period=JAN)
    entry = LedgerEntry.objects.get(run_id=run.pk)
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_kopecks=1)
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        ChargeLine.objects.filter(run_id=run.pk).update(amount=1)
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        BillingRun.objects.filter(pk=run.pk).update(state=RunState.COMPUTED)
    billing_month_close(organization=org, period=JAN)
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        ClosedMonth.objects.filter(organization=org).delete()
    line = ChargeLine.objects.filter(run_id=run.pk).values().first()
    line.pop("id")
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        ChargeLine.objects.create(**line)  # a new line into the closed month
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        LedgerEntry.objects.create(
            organization=org,
            account=account,
            service_id=entry.service_id,
            period=JAN,
            corrects_period=JAN,
            kind="charge",
            amount_kopecks=100,
            run_id=run.pk,
            line_id=0,
            posted_at=entry.posted_at,
        )


def test_absence_application_more_than_30_days_after_return_is_refused(account):
    from django.core.exceptions import ValidationError

    from raschet.billing.models import Absence

    late = Absence(
        organization=account.organization,
        account=account,
        persons=1,
        left_on=date(2025, 1, 5),
        returned_on=date(2025, 1, 20),
        applied_on=date(2025, 2, 20),
    )
    with pytest.raises(ValidationError) as err:
        late.full_clean()
    assert "applied_on" in err.value.message_dict
    late.applied_on = date(2025, 2, 19)
    late.full_clean()


def test_a_run_left_computing_is_resumed_from_its_pending_batches(account):
    from raschet.billing.models import RunBatch
    from raschet.billing.services import billing_run_resume

    run = billing_run(organization=account.organization, period=JAN, trial=True)
    # simulate a process that died before computing: the run computing, its batch pending
    ChargeLine.objects.filter(run_id=run.pk).delete()
    RunBatch.objects.filter(run=run).update(state="pending")
    BillingRun.objects.filter(pk=run.pk).update(
        state=RunState.COMPUTING, accounts_done=0, lines_count=0
    )
    run = billing_run_resume(run=run)
    assert run.state == RunState.COMPUTED
    assert ChargeLine.objects.get(run_id=run.pk).amount == 112301
    with pytest.raises(BillingError, match="не выполняется"):
        billing_run_resume(run=run)


class _Queue:
    """Stands in for the task: records what would be queued for the workers."""

    def __init__(self):
        self.batch_ids = []

    def enqueue(self, batch_id):
        self.batch_ids.append(batch_id)


def test_a_queued_run_is_finished_and_posted_by_the_worker_of_its_last_batch(account, monkeypatch):
    from raschet.billing import tasks
    from raschet.billing.services import billing_batch_compute

    queue = _Queue()
    monkeypatch.setattr(tasks, "billing_batch_task", queue)
    run = billing_run(organization=account.organization, period=JAN, wait=False)
    assert run.state == RunState.COMPUTING
    assert queue.batch_ids and not ChargeLine.objects.filter(run_id=run.pk).exists()
    for batch_id in queue.batch_ids:  # what a `raschet manage db_worker` task does
        billing_batch_compute(batch_id=batch_id)
    run.refresh_from_db()
    assert run.state == RunState.POSTED
    assert LedgerEntry.objects.get(run_id=run.pk).amount_kopecks == 112301


def test_with_no_worker_the_starting_process_finishes_the_queued_batches(account, monkeypatch):
    from raschet.billing import tasks
    from raschet.billing.models import RunBatch
    from raschet.billing.services import billing_batch_compute, tasks_are_queued

    assert not tasks_are_queued()  # the default backend runs tasks inline
    queue = _Queue()
    monkeypatch.setattr(tasks, "billing_batch_task", queue)
    run = billing_run(organization=account.organization, period=JAN)
    assert len(queue.batch_ids) == RunBatch.objects.filter(run=run).count() >= 1
    assert run.state == RunState.POSTED
    # a late worker picking a queued task changes nothing
    billing_batch_compute(batch_id=queue.batch_ids[0])
    assert ChargeLine.objects.filter(run_id=run.pk).count() == 1


def test_an_application_in_advance_covers_at_most_six_months(account):
    from django.core.exceptions import ValidationError

    from raschet.billing.models import Absence

    long = Absence(
        organization=account.organization,
        account=account,
        persons=1,
        left_on=date(2025, 1, 10),
        returned_on=date(2025, 7, 11),
        applied_on=date(2025, 1, 5),
    )
    with pytest.raises(ValidationError) as err:
        long.full_clean()
    assert "returned_on" in err.value.message_dict
    long.returned_on = date(2025, 7, 10)
    long.full_clean()


def _shared_premises(communal: bool):
    from raschet.housing.models import Premises
    from raschet.metering.models import Meter, Reading
    from tests.factories import AccountFactory

    first = AccountFactory(area_m2=Decimal("20.00"))
    org, premises = first.organization, first.premises
    Premises.objects.filter(pk=premises.pk).update(is_communal_flat=communal)
    second = AccountFactory(premises=premises, area_m2=Decimal("70.00"))
    water = ServiceFactory(organization=org)
    TariffFactory(service=water, rate=Decimal("50.00"))
    NormFactory(service=water, value=Decimal("4.9"))
    meter = Meter.objects.create(
        organization=org,
        premises=premises,
        service=water,
        serial_number="W-1",
        installed_on=date(2024, 12, 1),
    )
    for period, value, kind in (
        (date(2024, 12, 1), "100.000", "initial"),
        (JAN, "109.000", "regular"),
    ):
        Reading.objects.create(
            organization=org,
            meter=meter,
            period=period,
            value=Decimal(value),
            volume=Decimal("9.000") if kind == "regular" else None,
            kind=kind,
            taken_on=period,
            source="operator",
        )
    for acc, persons in ((first, 1), (second, 2)):
        AccountServiceFactory(account=acc, service=water, method="meter")
        for _ in range(persons):
            RegistrationFactory(account=acc)
    return org, first, second


@pytest.mark.parametrize(
    ("communal", "volumes"),
    [(True, (3_000_000, 6_000_000)), (False, (2_000_000, 7_000_000))],
    ids=["communal flat: by persons 1 and 2", "shares: by areas 20 and 70 m²"],
)
def test_accounts_sharing_a_premises_share_its_meter(communal, volumes):
    org, first, second = _shared_premises(communal)
    run = billing_run(organization=org, period=JAN)
    got = tuple(
        ChargeLine.objects.get(run_id=run.pk, account_id=acc.pk).volume for acc in (first, second)
    )
    assert got == volumes  # 9 m³ shared out, not 9 m³ each


def _act(account, **kw):
    from raschet.billing.models import QualityAct
    from raschet.tariffs.models import Service

    service = kw.pop("service", None) or Service.objects.get(organization=account.organization)
    return QualityAct(
        organization=account.organization,
        building=account.premises.building,
        account=account,
        service=service,
        period=JAN,
        **kw,
    )


def test_fine_is_posted_as_a_reduction_entry_of_its_own(account):
    """ЖК ст.157 ч.6: the fine is a separate ledger entry with its note; the line's
    reduction holds it, and its derivation shows it on its own line."""
    from raschet.billing.selectors import account_lines
    from raschet.billing.services import FINE_NOTE

    act = _act(account, kind="fine", overcharge=Decimal("200.00"))
    act.full_clean()
    act.save()
    run = billing_run(organization=account.organization, period=JAN)
    line = ChargeLine.objects.get(run_id=run.pk)
    assert (line.amount, line.reduction, line.fine) == (112301, -10000, -10000)
    reductions = LedgerEntry.objects.filter(run_id=run.pk, kind="reduction")
    assert [(e.amount_kopecks, e.note) for e in reductions] == [(-10000, FINE_NOTE)]
    assert sum(e.amount_kopecks for e in LedgerEntry.objects.filter(run_id=run.pk)) == 102301
    (shown,) = account_lines(account, JAN)
    assert "штраф исполнителя: 50 %" in shown.explanation
    assert "снижение (" not in shown.explanation  # nothing else was reduced


def test_a_draft_fine_changes_nothing(account):
    _act(account, kind="fine", overcharge=Decimal("200.00"), state="draft").save()
    run = billing_run(organization=account.organization, period=JAN)
    assert ChargeLine.objects.get(run_id=run.pk).reduction == 0


@pytest.mark.parametrize(
    ("kind", "facts", "field"),
    [
        ("below_40", {"hours": 5, "temperature_c": Decimal("35")}, "service"),
        ("maintenance", {"hours": 5}, "service"),
        ("fine", {}, "overcharge"),
        ("upkeep_days", {}, "days"),
    ],
)
def test_operator_acts_refuse_missing_or_misplaced_figures(account, kind, facts, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        _act(account, kind=kind, **facts).full_clean()
    assert field in caught.value.message_dict


def test_hot_water_below_40_needs_a_temperature_below_40(account):
    from django.core.exceptions import ValidationError

    hot = ServiceFactory(organization=account.organization, code="hot_water", name="ГВС")
    with pytest.raises(ValidationError) as caught:
        _act(
            account, service=hot, kind="below_40", hours=5, temperature_c=Decimal("41")
        ).full_clean()
    assert "temperature_c" in caught.value.message_dict
    _act(account, service=hot, kind="below_40", hours=5, temperature_c=Decimal("39.9")).full_clean()


def test_hot_water_below_40_without_a_cold_water_tariff_fails_the_run_clearly(account):
    hot = ServiceFactory(organization=account.organization, code="hot_water", name="ГВС")
    TariffFactory(service=hot, rate=Decimal("250.00"))
    AccountServiceFactory(account=account, service=hot, method="norm", meter_possible=False)
    NormFactory(service=hot, value=Decimal("3.5"))
    from raschet.tariffs.models import Tariff

    Tariff.objects.filter(service__code="cold_water").delete()
    account.services.filter(service__code="cold_water").delete()
    _act(account, service=hot, kind="below_40", hours=5, temperature_c=Decimal("35")).save()
    run = billing_run(organization=account.organization, period=JAN)
    assert run.state == RunState.FAILED
    assert "нет тарифа на холодную воду" in run.error


@pytest.mark.parametrize("cost", ["1.1", ""])
def test_a_batch_sets_its_random_page_cost_for_its_own_transaction(
    account, on_postgres, settings, monkeypatch, cost
):
    """On PostgreSQL the batch's transaction plans with RASCHET_BILLING_RANDOM_PAGE_COST (an
    empty value keeps the server's), and the session's value is untouched afterwards."""
    if not on_postgres:
        pytest.skip("a PostgreSQL planner setting")
    from django.db import connection

    import raschet.billing.services as services

    def show() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            return cursor.fetchone()[0]

    before = show()
    seen = []
    real = services.load_batch

    def spy(**kwargs):
        seen.append(show())
        return real(**kwargs)

    settings.RASCHET_BILLING_RANDOM_PAGE_COST = cost
    monkeypatch.setattr(services, "load_batch", spy)
    run = billing_run(organization=account.organization, period=JAN)
    assert run.state == RunState.POSTED
    assert seen == [cost or before]
    assert show() == before
