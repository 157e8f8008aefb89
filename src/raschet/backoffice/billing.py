"""Operator pages of billing: the runs of a month (compute, trial report, post, discard,
close the month) and the charge lines of an account with their derivation.

Views parse the request, check the permission and the organization, call
`raschet.billing.services` / `raschet.billing.selectors` and render; every rule (a closed
month, a stale run, a posted run that cannot be deleted) lives in the services, whose
`BillingError` messages are shown as they are. Objects of organizations the user does not
serve answer 404, like missing ones.

Permissions: seeing runs ``billing.view_billingrun``; computing ``billing.add_billingrun``;
posting ``billing.change_billingrun``; deleting an unposted run ``billing.delete_billingrun``;
closing a month ``organizations.add_closedmonth`` (a month cannot be reopened); the lines of
an account ``billing.view_chargeline``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from raschet.backoffice.card import account_for_user
from raschet.backoffice.views import admin_context
from raschet.billing.models import BillingRun, ChargeLine, LineKind, RunState
from raschet.billing.selectors import account_lines, runs_for
from raschet.billing.services import (
    BillingError,
    billing_month_close,
    billing_run,
    billing_run_discard,
    billing_run_post,
    billing_run_resume,
    is_closed,
    tasks_are_queued,
)
from raschet.core.billing import METHOD_CODES, Method
from raschet.core.fixedpoint import AREA_SCALE, NORM_SCALE, RATE_SCALE, VOLUME_SCALE
from raschet.core.money import kopecks_to_decimal
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.organizations.models import ClosedMonth, Organization
from raschet.organizations.selectors import organizations_for_user

VIEW_RUNS = "billing.view_billingrun"
COMPUTE = "billing.add_billingrun"
POST = "billing.change_billingrun"
DISCARD = "billing.delete_billingrun"
CLOSE = "organizations.add_closedmonth"
VIEW_LINES = "billing.view_chargeline"

PAGE_SIZE = 50
REFRESH_SECONDS = 2
_ID = re.compile(r"[0-9]{1,18}")


def _org_ids(request: HttpRequest) -> list[int]:
    return list(organizations_for_user(request.user).values_list("pk", flat=True))


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _run_for(request: HttpRequest, pk: int) -> BillingRun:
    return get_object_or_404(runs_for(_org_ids(request)), pk=pk)


def _rubles(kopecks: Any) -> Decimal:
    return kopecks_to_decimal(int(kopecks or 0))


class BillingRunForm(forms.Form):
    """Which organization, which month, and whether to stop before posting."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label=gettext_lazy("Organization")
    )
    period = forms.CharField(
        label=gettext_lazy("Month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    trial = forms.BooleanField(
        label=gettext_lazy("Trial run: post only after checking the report"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        choices = organizations_for_user(user).order_by("name")
        field.queryset = choices  # type: ignore[attr-defined]
        if choices.count() == 1:
            field.initial = choices.first()

    def clean_period(self) -> Month:
        raw = self.cleaned_data["period"]
        try:
            return Month.parse(raw)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Cannot read the month %(value)s: expected YYYY-MM, e.g. %(example)s"),
                params={"value": raw, "example": f"{timezone.localdate():%Y-%m}"},
            ) from exc


# ----------------------------------------------------------------------------- runs


@staff_member_required
def runs_view(request: HttpRequest) -> HttpResponse:
    """The runs of the user's organizations, newest first, and the form to compute a month.

    The POST computes the month here, in the request (`billing_run` also works through the
    batches itself). That is fine for a small organization; a large one should be computed
    by background workers (``raschet billing run`` or the task queue) and only watched here.
    """
    _need(request, VIEW_RUNS)
    if request.method == "POST":
        _need(request, COMPUTE)
        form = BillingRunForm(request.POST, user=request.user)
        if form.is_valid():
            return _compute(request, form)
    else:
        form = BillingRunForm(
            user=request.user,
            initial={"period": f"{timezone.localdate():%Y-%m}", "trial": True},
        )
    ids = _org_ids(request)
    runs = runs_for(ids).select_related("created_by").defer("report").order_by("-pk")
    period_error = None
    raw = request.GET.get("period")
    if raw:
        try:
            runs = runs.filter(period=Month.parse(raw).start)
        except ValueError:
            period_error = _("Cannot read the month %(value)s: expected YYYY-MM") % {"value": raw}
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page)
    closed = set(
        ClosedMonth.objects.filter(
            organization_id__in={r.organization_id for r in shown},
            month__in={r.period for r in shown},
        ).values_list("organization_id", "month")
    )
    rows = [(run, (run.organization_id, run.period) in closed) for run in shown]
    context = admin_context(request, _("Billing runs"))
    context.update(
        {
            "form": form,
            "page": page,
            "rows": rows,
            "errors": [period_error] if period_error else [],
            "can_compute": request.user.has_perm(COMPUTE),
        }
    )
    return render(request, "backoffice/billing/runs.html", context)


def _compute(request: HttpRequest, form: BillingRunForm) -> HttpResponse:
    organization = form.cleaned_data["organization"]
    month: Month = form.cleaned_data["period"]
    trial = form.cleaned_data["trial"]
    try:
        # With a task queue (RASCHET_TASKS=database) the run is only queued and the page
        # follows its progress; without one the request computes every batch itself.
        run = billing_run(
            organization=organization,
            period=month.start,
            trial=trial,
            user=request.user,
            wait=not tasks_are_queued(),
        )
    except BillingError as exc:
        messages.error(request, str(exc))
        return redirect("backoffice:billing_runs")
    if run.state == RunState.COMPUTING:
        messages.info(request, _("Run №%(run)s is queued for the workers.") % {"run": run.pk})
    elif run.state == RunState.FAILED:
        messages.error(
            request,
            _("Run №%(run)s failed: %(error)s") % {"run": run.pk, "error": run.error},
        )
    elif run.state == RunState.POSTED:
        messages.success(
            request,
            _("Run №%(run)s computed and posted: %(lines)s lines.")
            % {"run": run.pk, "lines": run.lines_count},
        )
    else:
        messages.success(
            request,
            _("Run №%(run)s computed: %(lines)s lines. Check the report, then post it.")
            % {"run": run.pk, "lines": run.lines_count},
        )
    return redirect("backoffice:billing_run", pk=run.pk)


@dataclass(frozen=True)
class ServiceTotal:
    service: str
    previous: Decimal
    current: Decimal

    @property
    def change(self) -> Decimal:
        return self.current - self.previous


@dataclass(frozen=True)
class ChangedAccount:
    account_id: int
    account: str
    previous: Decimal
    current: Decimal

    @property
    def change(self) -> Decimal:
        return self.current - self.previous


@dataclass(frozen=True)
class RunReport:
    """`BillingRun.report` in rubles, for the template."""

    previous_period: date | None
    services: list[ServiceTotal]
    previous_total: Decimal
    current_total: Decimal
    recalculation_total: Decimal
    threshold_percent: int
    changed_accounts: list[ChangedAccount]
    changed_accounts_count: int


def run_report(run: BillingRun) -> RunReport | None:
    """The stored trial report of ``run`` (``None`` while it is being computed)."""
    report = run.report or {}
    if not report:
        return None
    services = [
        ServiceTotal(
            service=str(s.get("service", "")),
            previous=_rubles(s.get("previous")),
            current=_rubles(s.get("current")),
        )
        for s in report.get("services", [])
    ]
    previous_period = report.get("previous_period")
    return RunReport(
        previous_period=date.fromisoformat(previous_period) if previous_period else None,
        services=services,
        previous_total=sum((s.previous for s in services), Decimal(0)),
        current_total=sum((s.current for s in services), Decimal(0)),
        recalculation_total=_rubles(report.get("recalculation_total")),
        threshold_percent=int(report.get("threshold_percent", 0)),
        changed_accounts=[
            ChangedAccount(
                account_id=int(a["account_id"]),
                account=str(a.get("account", a["account_id"])),
                previous=_rubles(a.get("previous")),
                current=_rubles(a.get("current")),
            )
            for a in report.get("changed_accounts", [])
        ],
        changed_accounts_count=int(report.get("changed_accounts_count", 0)),
    )


@staff_member_required
def run_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: progress, the trial report, and the buttons that apply to it now."""
    _need(request, VIEW_RUNS)
    run = _run_for(request, pk)
    closed = is_closed(run.organization_id, run.period)
    posted_exists = (
        run.state == RunState.POSTED
        or BillingRun.objects.filter(
            organization_id=run.organization_id, period=run.period, state=RunState.POSTED
        ).exists()
    )
    user = request.user
    computing = run.state == RunState.COMPUTING
    context = admin_context(
        request,
        _("Billing run №%(run)s for %(month)s") % {"run": run.pk, "month": f"{run.period:%m.%Y}"},
    )
    context.update(
        {
            "run": run,
            "report": run_report(run),
            "months_recomputed": [date.fromisoformat(d) for d in run.months_recomputed],
            "closed": closed,
            "computing": computing,
            "refresh_seconds": REFRESH_SECONDS,
            "percent_done": (
                run.accounts_done * 100 // run.accounts_total if run.accounts_total else 100
            ),
            "can_post": run.state == RunState.COMPUTED and not closed and user.has_perm(POST),
            "can_discard": run.state in (RunState.COMPUTED, RunState.FAILED)
            and user.has_perm(DISCARD),
            "can_close": posted_exists and not closed and user.has_perm(CLOSE),
            "can_resume": computing and user.has_perm(COMPUTE),
            "can_view_lines": user.has_perm(VIEW_LINES),
        }
    )
    return render(request, "backoffice/billing/run.html", context)


@staff_member_required
@require_POST
def run_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Continue a run whose process stopped (it stays "computing" otherwise)."""
    _need(request, COMPUTE)
    run = _run_for(request, pk)
    try:
        run = billing_run_resume(run=run)
    except BillingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Run №%(run)s continued.") % {"run": run.pk})
    return redirect("backoffice:billing_run", pk=run.pk)


@staff_member_required
@require_POST
def run_post_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, POST)
    run = _run_for(request, pk)
    try:
        run = billing_run_post(run=run, user=request.user)
    except BillingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Run №%(run)s posted to the ledger on %(when)s.")
            % {
                "run": run.pk,
                "when": f"{timezone.localtime(run.posted_at):%d.%m.%Y %H:%M}"
                if run.posted_at
                else "—",
            },
        )
    return redirect("backoffice:billing_run", pk=run.pk)


@staff_member_required
@require_POST
def run_discard_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, DISCARD)
    run = _run_for(request, pk)
    if run.state == RunState.COMPUTING:
        # Its batches may be written right now by a worker; deleting under it would leave
        # lines of a run that no longer exists.
        messages.error(
            request,
            _("Run №%(run)s is still being computed: it can be deleted once it has finished.")
            % {"run": run.pk},
        )
        return redirect("backoffice:billing_run", pk=run.pk)
    number = run.pk
    try:
        billing_run_discard(run=run)
    except BillingError as exc:
        messages.error(request, str(exc))
        return redirect("backoffice:billing_run", pk=number)
    messages.success(request, _("Trial run №%(run)s deleted.") % {"run": number})
    return redirect("backoffice:billing_runs")


@staff_member_required
@require_POST
def month_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the month of run ``pk`` for its organization (with any posted run of it)."""
    _need(request, CLOSE)
    run = _run_for(request, pk)
    try:
        billing_month_close(organization=run.organization, period=run.period, user=request.user)
    except BillingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Month %(month)s is closed for %(organization)s.")
            % {"month": f"{run.period:%m.%Y}", "organization": run.organization},
        )
    return redirect("backoffice:billing_run", pk=run.pk)


# ----------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class LineRow:
    """A charge line with its figures in units and rubles, and its derivation."""

    line: ChargeLine
    service: str
    unit: str
    method_code: str
    volume: Decimal
    tariff: Decimal | None
    norm: Decimal | None
    area: Decimal
    amount: Decimal
    coefficient_amount: Decimal
    reduction: Decimal
    benefit: Decimal
    total: Decimal
    explanation: str

    @property
    def is_recalculation(self) -> bool:
        return self.line.kind == LineKind.RECALCULATION


@dataclass(frozen=True)
class AccountCharges:
    """The lines of an account posted in a month (or of one run), split into the month's
    own charges and the recalculations, with totals."""

    account: Account
    month: Month
    run: BillingRun | None
    charges: list[LineRow]
    recalculations: list[LineRow]

    @property
    def charges_total(self) -> Decimal:
        return sum((r.total for r in self.charges), Decimal(0))

    @property
    def recalculations_total(self) -> Decimal:
        return sum((r.total for r in self.recalculations), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.charges_total + self.recalculations_total

    @property
    def empty(self) -> bool:
        return not self.charges and not self.recalculations


def method_code(value: int) -> str:
    try:
        return METHOD_CODES.get(Method(value), str(value))
    except ValueError:
        return str(value)


def _row(line: ChargeLine) -> LineRow:
    service = getattr(line, "service", None)
    return LineRow(
        line=line,
        service=service.name if service is not None else f"#{line.service_id}",
        unit=service.get_unit_display() if service is not None else "",
        method_code=method_code(line.method),
        volume=Decimal(line.volume) / VOLUME_SCALE,
        tariff=Decimal(line.rate) / RATE_SCALE if line.rate is not None else None,
        norm=Decimal(line.norm) / NORM_SCALE if line.norm is not None else None,
        area=Decimal(line.area) / AREA_SCALE,
        amount=_rubles(line.amount),
        coefficient_amount=_rubles(line.coefficient_amount),
        reduction=_rubles(line.reduction),
        benefit=_rubles(line.benefit),
        total=_rubles(line.total),
        explanation=getattr(line, "explanation", ""),
    )


def account_charges(
    account: Account, month: Month, *, run: BillingRun | None = None
) -> AccountCharges:
    """`account_lines` of ``month`` (posted, or of ``run``) as rows for the templates."""
    charges, recalculations = [], []
    for line in account_lines(account, month.start, run=run):
        row = _row(line)
        if line.kind == LineKind.CHARGE and line.corrects_period == month.start:
            charges.append(row)
        else:
            recalculations.append(row)
    return AccountCharges(
        account=account, month=month, run=run, charges=charges, recalculations=recalculations
    )


def card_charges_context(request: HttpRequest, account: Account, on: date) -> dict[str, Any]:
    """What the account card needs for its charges section: the lines posted in the month
    of ``on`` (nothing when the user may not see charge lines)."""
    if not request.user.has_perm(VIEW_LINES):
        return {}
    return {"charges": account_charges(account, Month.of(on))}


def _latest_posted_month(organization_id: int) -> Month | None:
    period = (
        BillingRun.objects.filter(organization_id=organization_id, state=RunState.POSTED)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    return Month.of(period) if period else None


def _step(move: Any) -> Month | None:
    """The neighbouring month, or ``None`` past the years `Month` accepts."""
    try:
        return move()
    except ValueError:
        return None


@staff_member_required
def account_charges_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The charge lines of account ``pk`` posted in ``?period=YYYY-MM`` (default: the last
    posted month), or those of an unposted run with ``?run=N``, each with its derivation."""
    _need(request, VIEW_LINES)
    account = account_for_user(request.user, pk)
    run = None
    raw_run = request.GET.get("run")
    if raw_run:
        if not _ID.fullmatch(raw_run):
            raise Http404
        run = get_object_or_404(
            BillingRun.objects.select_related("organization"),
            pk=int(raw_run),
            organization_id=account.organization_id,
        )
    default = (
        Month.of(run.period)
        if run is not None
        else _latest_posted_month(account.organization_id) or Month.of(timezone.localdate())
    )
    errors = []
    month = default
    raw = request.GET.get("period")
    if raw:
        try:
            month = Month.parse(raw)
        except ValueError:
            errors.append(
                _("Cannot read the month %(value)s: expected YYYY-MM. Showing %(month)s.")
                % {"value": raw, "month": f"{default.start:%m.%Y}"}
            )
    context = admin_context(
        request,
        _("Charges of account %(number)s for %(month)s")
        % {"number": account.number, "month": f"{month.start:%m.%Y}"},
    )
    context.update(
        {
            "account": account,
            "charges": account_charges(account, month, run=run),
            "month": month,
            "run": run,
            "errors": errors,
            "previous_month": _step(month.previous),
            "next_month": _step(month.next),
        }
    )
    return render(request, "backoffice/billing/account_charges.html", context)
