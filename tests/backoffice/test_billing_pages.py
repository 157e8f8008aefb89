"""Back-office billing pages: runs list and form, run detail with its report, post / discard /
close buttons and their refusals, the account's lines with their derivation, and scoping."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from raschet.billing.models import BillingRun, ChargeLine, QualityAct, RunState
from raschet.billing.services import billing_month_close, billing_run
from raschet.ledger.models import LedgerEntry
from raschet.organizations.models import ClosedMonth, Role
from raschet.tariffs.models import Tariff

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)

BILLING_PERMS = [
    ("billing", "view_billingrun"),
    ("billing", "add_billingrun"),
    ("billing", "change_billingrun"),
    ("billing", "delete_billingrun"),
    ("billing", "view_chargeline"),
    ("billing", "view_absence"),
    ("billing", "add_absence"),
    ("billing", "change_absence"),
    ("billing", "delete_absence"),
    ("billing", "view_qualityact"),
    ("billing", "add_qualityact"),
    ("billing", "change_qualityact"),
    ("organizations", "add_closedmonth"),
]


def grant(user, perms=BILLING_PERMS):
    for app_label, codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    # a fresh object: the permission cache of the old one is stale
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def billing_operator(operator_a):
    return grant(operator_a)


@pytest.fixture
def office(billing_operator) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(billing_operator)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _text(response) -> str:
    return response.content.decode()


def compute(client: Client, organization, period: str = "2025-01", trial: bool = True):
    data = {"organization": organization.pk, "period": period}
    if trial:
        data["trial"] = "on"
    return client.post(reverse("backoffice:billing_runs"), data, follow=True)


# --- runs list and computing ------------------------------------------------------------


def test_operator_computes_a_trial_run_and_sees_its_report(office, stock_a) -> None:
    response = compute(office, stock_a.organization)
    assert response.status_code == 200
    run = BillingRun.objects.get(organization=stock_a.organization)
    assert run.state == RunState.COMPUTED and run.trial
    assert response.redirect_chain[-1][0] == reverse("backoffice:billing_run", args=[run.pk])
    assert any(f"№{run.pk}" in m for m in _messages(response))
    html = _text(response)
    assert 'id="run-post"' in html and 'id="run-discard"' in html
    assert 'id="month-close"' not in html  # nothing posted for the month yet
    assert "http-equiv" not in html  # not computing: no refresh
    assert stock_a.service.name in html  # the report's service totals
    assert not LedgerEntry.objects.exists()

    listing = office.get(reverse("backoffice:billing_runs"))
    assert listing.status_code == 200
    assert f'data-run="{run.pk}"' in _text(listing)
    assert 'name="trial"' in _text(listing)


def test_non_trial_run_is_posted_at_once(office, stock_a) -> None:
    response = compute(office, stock_a.organization, trial=False)
    run = BillingRun.objects.get(organization=stock_a.organization)
    assert run.state == RunState.POSTED
    assert LedgerEntry.objects.filter(run_id=run.pk).exists()
    assert 'id="month-close"' in _text(response)


def test_bad_month_in_the_form_is_a_form_error(office, stock_a) -> None:
    response = compute(office, stock_a.organization, period="январь")
    assert response.status_code == 200
    assert "январь" in _text(response)
    assert "errorlist" in _text(response)
    assert not BillingRun.objects.exists()


def test_closed_month_is_refused_with_the_service_message(office, stock_a) -> None:
    org = stock_a.organization
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    response = compute(office, org)
    assert any("закрыт" in m for m in _messages(response))
    assert BillingRun.objects.filter(organization=org).count() == 1


def test_form_offers_only_the_users_organizations(office, stock_a, stock_b) -> None:
    response = compute(office, stock_b.organization)
    assert "errorlist" in _text(response)
    assert not BillingRun.objects.exists()


def test_runs_list_shows_only_the_users_organizations(office, stock_a, stock_b) -> None:
    mine = billing_run(organization=stock_a.organization, period=JAN, trial=True)
    theirs = billing_run(organization=stock_b.organization, period=JAN, trial=True)
    html = _text(office.get(reverse("backoffice:billing_runs")))
    assert f'data-run="{mine.pk}"' in html
    assert f'data-run="{theirs.pk}"' not in html


def test_runs_list_filters_by_month_and_reports_a_bad_one(office, stock_a) -> None:
    jan = billing_run(organization=stock_a.organization, period=JAN, trial=True)
    feb = billing_run(organization=stock_a.organization, period=FEB, trial=True)
    html = _text(office.get(reverse("backoffice:billing_runs"), {"period": "2025-02"}))
    assert f'data-run="{feb.pk}"' in html and f'data-run="{jan.pk}"' not in html
    bad = office.get(reverse("backoffice:billing_runs"), {"period": "2025-13"})
    assert bad.status_code == 200
    assert "errornote" in _text(bad)


def test_runs_list_queries_do_not_grow_with_runs(office, stock_a) -> None:
    url = reverse("backoffice:billing_runs")
    billing_run(organization=stock_a.organization, period=JAN, trial=True)
    office.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        office.get(url)
    for _ in range(4):
        billing_run(organization=stock_a.organization, period=JAN, trial=True)
    with CaptureQueriesContext(connection) as five:
        office.get(url)
    assert len(five) == len(one)


# --- run detail ----------------------------------------------------------------------------


def test_other_organizations_runs_are_404(office, stock_a, stock_b) -> None:
    theirs = billing_run(organization=stock_b.organization, period=JAN, trial=True)
    assert office.get(reverse("backoffice:billing_run", args=[theirs.pk])).status_code == 404
    for name in ("billing_run_post", "billing_run_discard", "billing_month_close"):
        assert office.post(reverse(f"backoffice:{name}", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == RunState.COMPUTED
    assert not ClosedMonth.objects.exists()


def test_computing_run_refreshes_itself(office, stock_a) -> None:
    run = BillingRun.objects.create(
        organization=stock_a.organization, period=JAN, accounts_total=10, accounts_done=4
    )
    html = _text(office.get(reverse("backoffice:billing_run", args=[run.pk])))
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "4" in html and "10" in html
    assert 'id="run-post"' not in html and 'id="run-discard"' not in html
    # and it cannot be deleted while a worker may still write its lines
    response = office.post(reverse("backoffice:billing_run_discard", args=[run.pk]), follow=True)
    assert BillingRun.objects.filter(pk=run.pk).exists()
    assert _messages(response)


def test_post_then_close_then_refusals(office, stock_a) -> None:
    org = stock_a.organization
    run = billing_run(organization=org, period=JAN, trial=True)
    url = reverse("backoffice:billing_run", args=[run.pk])

    response = office.post(reverse("backoffice:billing_run_post", args=[run.pk]), follow=True)
    run.refresh_from_db()
    assert run.state == RunState.POSTED
    assert LedgerEntry.objects.filter(run_id=run.pk).exists()
    html = _text(response)
    assert 'id="run-post"' not in html and 'id="run-discard"' not in html
    assert 'id="month-close"' in html

    # a posted run cannot be deleted: the service's message, nothing deleted
    response = office.post(reverse("backoffice:billing_run_discard", args=[run.pk]), follow=True)
    assert any("проведён" in m for m in _messages(response))
    assert BillingRun.objects.filter(pk=run.pk).exists()

    response = office.post(reverse("backoffice:billing_month_close", args=[run.pk]), follow=True)
    assert ClosedMonth.objects.filter(organization=org, month=JAN).exists()
    html = _text(response)
    assert 'id="month-closed"' in html and 'id="month-close"' not in html

    # closing again: the service refuses with its message
    response = office.post(reverse("backoffice:billing_month_close", args=[run.pk]), follow=True)
    assert any("уже закрыт" in m for m in _messages(response))
    assert office.get(url).status_code == 200


def test_stale_run_is_refused_with_a_message(office, stock_a) -> None:
    org = stock_a.organization
    first = billing_run(organization=org, period=JAN, trial=True)
    second = billing_run(organization=org, period=JAN, trial=True)
    office.post(reverse("backoffice:billing_run_post", args=[second.pk]))
    response = office.post(reverse("backoffice:billing_run_post", args=[first.pk]), follow=True)
    assert any("устарел" in m for m in _messages(response))
    first.refresh_from_db()
    assert first.state == RunState.COMPUTED


def test_closing_without_a_posted_run_is_refused(office, stock_a) -> None:
    run = billing_run(organization=stock_a.organization, period=JAN, trial=True)
    response = office.post(reverse("backoffice:billing_month_close", args=[run.pk]), follow=True)
    assert any("нет проведённого" in m for m in _messages(response))
    assert not ClosedMonth.objects.exists()


def test_discard_deletes_a_trial_run_and_its_lines(office, stock_a) -> None:
    run = billing_run(organization=stock_a.organization, period=JAN, trial=True)
    assert ChargeLine.objects.filter(run_id=run.pk).exists()
    response = office.post(reverse("backoffice:billing_run_discard", args=[run.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("backoffice:billing_runs")
    assert not BillingRun.objects.filter(pk=run.pk).exists()
    assert not ChargeLine.objects.filter(run_id=run.pk).exists()


def test_actions_are_post_only_and_need_csrf(billing_operator, stock_a) -> None:
    run = billing_run(organization=stock_a.organization, period=JAN, trial=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(billing_operator)
    for name in ("billing_run_post", "billing_run_discard", "billing_month_close"):
        url = reverse(f"backoffice:{name}", args=[run.pk])
        assert client.get(url).status_code == 405
        assert client.post(url).status_code == 403  # no CSRF token
    run.refresh_from_db()
    assert run.state == RunState.COMPUTED


def test_permissions(client, stock_a) -> None:
    from tests.backoffice.conftest import make_staff

    run = billing_run(organization=stock_a.organization, period=JAN, trial=True)
    # a passport officer: a staff member of the organization without billing permissions
    operator_a = make_staff("passport-a", stock_a.organization, Role.PASSPORT_OFFICER)
    client.force_login(operator_a)
    assert client.get(reverse("backoffice:billing_runs")).status_code == 403
    assert client.get(reverse("backoffice:billing_run", args=[run.pk])).status_code == 403
    viewer = grant(operator_a, [("billing", "view_billingrun")])
    client.force_login(viewer)
    html = _text(client.get(reverse("backoffice:billing_run", args=[run.pk])))
    assert 'id="run-post"' not in html and 'id="run-discard"' not in html
    assert 'name="organization"' not in _text(client.get(reverse("backoffice:billing_runs")))
    assert client.post(reverse("backoffice:billing_run_post", args=[run.pk])).status_code == 403
    assert client.post(reverse("backoffice:billing_run_discard", args=[run.pk])).status_code == 403
    assert client.post(reverse("backoffice:billing_month_close", args=[run.pk])).status_code == 403
    assert compute(client, stock_a.organization).status_code == 403
    run.refresh_from_db()
    assert run.state == RunState.COMPUTED
    assert BillingRun.objects.count() == 1


def test_anonymous_is_sent_to_the_login(client, stock_a) -> None:
    response = client.get(reverse("backoffice:billing_runs"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_trial_report_lists_changed_accounts_with_links(office, stock_a) -> None:
    org = stock_a.organization
    billing_run(organization=org, period=JAN)
    Tariff.objects.filter(organization=org).update(rate=Decimal("145.1200"))
    run = billing_run(organization=org, period=FEB, trial=True)
    assert run.report["changed_accounts_count"] == 1
    html = _text(office.get(reverse("backoffice:billing_run", args=[run.pk])))
    card = reverse("backoffice:account_card", args=[stock_a.account.pk])
    assert f'href="{card}?on=2025-02-01"' in html
    lines = reverse("backoffice:account_charges", args=[stock_a.account.pk])
    assert f'href="{lines}?run={run.pk}"' in html


def test_months_recomputed_are_shown(office, stock_a) -> None:
    org = stock_a.organization
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    QualityAct.objects.create(
        organization=org,
        building=stock_a.building,
        service=stock_a.service,
        period=JAN,
        kind="interruption",
        events_hours=[100],
        hours=100,
    )
    run = billing_run(organization=org, period=FEB, trial=True)
    assert run.months_recomputed == ["2025-01-01"]
    html = _text(office.get(reverse("backoffice:billing_run", args=[run.pk])))
    assert "01.2025" in html.split('id="run-months"')[1].split("</td>")[0]


# --- account lines -------------------------------------------------------------------------


def test_account_lines_with_derivation_and_recalculation(office, stock_a) -> None:
    org, account = stock_a.organization, stock_a.account
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    tariff = Tariff.objects.get(organization=org)
    tariff.rate = Decimal("50.0000")
    tariff.save()  # a history record: January is recomputed
    billing_run(organization=org, period=FEB)
    url = reverse("backoffice:account_charges", args=[account.pk])

    response = office.get(url, {"period": "2025-02"})
    assert response.status_code == 200
    charges = response.context["charges"]
    assert [r.line.corrects_period for r in charges.charges] == [FEB]
    assert [r.line.corrects_period for r in charges.recalculations] == [JAN]
    recalc = charges.recalculations[0]
    assert "тариф" in recalc.line.reason
    html = _text(response)
    assert "<pre>" in html and "итого" in html  # the derivation, preformatted
    assert "тариф" in html.split('class="reason"')[1]
    assert charges.total == charges.charges_total + charges.recalculations_total
    assert charges.total == sum(
        (Decimal(ln.total) / 100 for ln in ChargeLine.objects.filter(period=FEB)), Decimal(0)
    )

    # default month: the last posted
    assert office.get(url).context["month"].start == FEB
    # a bad month: a message, and the default month shown
    bad = office.get(url, {"period": "2025-1"})
    assert bad.status_code == 200 and "errornote" in _text(bad)


def test_account_lines_of_an_unposted_run(office, stock_a) -> None:
    run = billing_run(organization=stock_a.organization, period=JAN, trial=True)
    url = reverse("backoffice:account_charges", args=[stock_a.account.pk])
    response = office.get(url, {"run": run.pk})
    assert response.status_code == 200
    assert len(response.context["charges"].charges) == 1
    assert 'id="run-note"' in _text(response)
    assert office.get(url, {"period": "2025-01"}).context["charges"].empty  # nothing posted
    assert office.get(url, {"run": "x"}).status_code == 404


def test_account_lines_are_scoped(office, stock_a, stock_b) -> None:
    theirs = billing_run(organization=stock_b.organization, period=JAN, trial=True)
    foreign = reverse("backoffice:account_charges", args=[stock_b.account.pk])
    assert office.get(foreign).status_code == 404
    mine = reverse("backoffice:account_charges", args=[stock_a.account.pk])
    assert office.get(mine, {"run": theirs.pk}).status_code == 404


def test_account_card_links_to_the_lines(office, stock_a) -> None:
    url = reverse("backoffice:account_card", args=[stock_a.account.pk])
    html = _text(office.get(url, {"on": "2025-01-15"}))
    lines = reverse("backoffice:account_charges", args=[stock_a.account.pk])
    assert f'href="{lines}?period=2025-01"' in html


def test_admin_index_links_to_the_runs(office) -> None:
    html = _text(office.get(reverse("admin:index")))
    assert reverse("backoffice:billing_runs") in html


# --- admin of acts and runs ----------------------------------------------------------------


def _absence(stock, left_on=date(2025, 1, 10), returned_on=date(2025, 1, 20)):
    from raschet.billing.models import Absence

    return Absence.objects.create(
        organization=stock.organization,
        account=stock.account,
        left_on=left_on,
        returned_on=returned_on,
    )


def _act(stock, period=JAN):
    return QualityAct.objects.create(
        organization=stock.organization,
        building=stock.building,
        service=stock.service,
        period=period,
        kind="interruption",
        events_hours=[20],
        hours=20,
    )


@pytest.mark.parametrize("model_name", ["absence", "qualityact", "billingrun"])
def test_billing_admin_pages_open(client, superuser, stock_a, model_name) -> None:
    objects = {
        "absence": lambda: _absence(stock_a),
        "qualityact": lambda: _act(stock_a),
        "billingrun": lambda: billing_run(
            organization=stock_a.organization, period=JAN, trial=True
        ),
    }
    obj = objects[model_name]()
    client.force_login(superuser)
    base = f"admin:billing_{model_name}"
    changelist = client.get(reverse(f"{base}_changelist"))
    assert changelist.status_code == 200
    assert str(obj.pk) in _text(changelist)
    for name in ("change", "history"):
        assert client.get(reverse(f"{base}_{name}", args=[obj.pk])).status_code == 200, name
    add = client.get(reverse(f"{base}_add"))
    assert add.status_code == (403 if model_name == "billingrun" else 200)
    if model_name == "billingrun":
        assert reverse("backoffice:billing_run", args=[obj.pk]) in _text(changelist)


def test_acts_of_other_organizations_are_hidden(client, billing_operator, stock_a, stock_b):
    mine, theirs = _absence(stock_a), _absence(stock_b)
    client.force_login(billing_operator)
    url = reverse("admin:billing_absence_change", args=[theirs.pk])
    assert client.get(url).status_code in (302, 404)
    history = reverse("admin:billing_absence_history", args=[theirs.pk])
    assert client.get(history).status_code == 404
    assert client.get(reverse("admin:billing_absence_history", args=[mine.pk])).status_code == 200


def test_acts_of_a_closed_month_are_read_only(client, billing_operator, stock_a) -> None:
    org = stock_a.organization
    open_act, closed_act = _act(stock_a, FEB), _act(stock_a)
    absence = _absence(stock_a, date(2024, 12, 25), date(2025, 1, 5))  # reaches into January
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    client.force_login(billing_operator)

    page = client.get(reverse("admin:billing_absence_change", args=[absence.pk]))
    assert page.status_code == 200 and 'name="_save"' not in _text(page)
    delete = client.post(
        reverse("admin:billing_absence_delete", args=[absence.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    page = client.get(reverse("admin:billing_qualityact_change", args=[closed_act.pk]))
    assert 'name="_save"' not in _text(page)

    # an act of an open month can be changed, but not moved into the closed month
    url = reverse("admin:billing_qualityact_change", args=[open_act.pk])
    data = {
        "organization": org.pk,
        "building": stock_a.building.pk,
        "service": stock_a.service.pk,
        "period": "2025-01-15",
        "kind": "interruption",
        "events_hours": "[20]",
        "hours": "30",
        "degrees": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "01.2025" in _text(response)
    open_act.refresh_from_db()
    assert open_act.period == FEB and open_act.hours == 20
    response = client.post(url, {**data, "period": "2025-02-17"})
    assert response.status_code == 302
    open_act.refresh_from_db()
    assert (open_act.period, open_act.hours) == (FEB, 30)  # stored as the first of the month


def test_quality_act_form_checks_the_account_and_the_hours(client, billing_operator, stock_a):
    from tests.backoffice.conftest import make_stock

    neighbour = make_stock(stock_a.organization, "г. Тверь, ул. Мира, д. 1", "A-2")
    client.force_login(billing_operator)
    data = {
        "organization": stock_a.organization.pk,
        "building": stock_a.building.pk,
        "account": neighbour.account.pk,
        "service": stock_a.service.pk,
        "period": "2025-03-01",
        "kind": "interruption",
        "events_hours": '["a"]',
        "hours": "0",
        "degrees": "0",
    }
    response = client.post(reverse("admin:billing_qualityact_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"account", "events_hours"}
    assert not QualityAct.objects.exists()


def test_a_computing_run_can_be_continued_from_its_page(office, stock_a) -> None:
    from raschet.billing.models import ChargeLine, RunBatch

    run = billing_run(organization=stock_a.organization, period=JAN, trial=True)
    ChargeLine.objects.filter(run_id=run.pk).delete()
    RunBatch.objects.filter(run=run).update(state="pending")
    BillingRun.objects.filter(pk=run.pk).update(state=RunState.COMPUTING, accounts_done=0)
    html = _text(office.get(reverse("backoffice:billing_run", args=[run.pk])))
    assert 'id="run-resume"' in html
    office.post(reverse("backoffice:billing_run_resume", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == RunState.COMPUTED
    assert ChargeLine.objects.filter(run_id=run.pk).exists()


def test_with_a_task_queue_the_page_only_queues_the_run(office, stock_a, monkeypatch) -> None:
    from raschet.backoffice import billing as pages
    from raschet.billing import tasks

    queued = []

    class Queue:
        def enqueue(self, batch_id):
            queued.append(batch_id)

    monkeypatch.setattr(tasks, "billing_batch_task", Queue())
    monkeypatch.setattr(pages, "tasks_are_queued", lambda: True)
    response = compute(office, stock_a.organization)
    run = BillingRun.objects.get()
    assert run.state == RunState.COMPUTING and queued
    assert 'id="run-resume"' in _text(response)  # the page follows it, and can finish it
