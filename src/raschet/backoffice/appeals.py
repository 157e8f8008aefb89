"""The operators' queue of residents' appeals (issue 8, item 5).

The queue lists open appeals by deadline (overdue ones marked), filters by state, category
and number/account; an appeal's page shows the text, files and history, takes it into work,
answers it, and — for a report of a poor or missing service — lets the operator confirm each
draft act with the hours and degrees found (or reject it). A confirmed act reduces the charge
in the next billing run (`raschet.billing`); the resident sees the act and the reduction in
the portal.

Permissions: ``appeals.view_appeal`` to see, ``appeals.change_appeal`` to take and answer,
``billing.change_qualityact`` to confirm or reject an act. Appeals are read within the
organizations the user serves: another organization's appeal answers 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.appeals.models import Appeal, AppealCategory, AppealState
from raschet.appeals.selectors import act_outcomes, attachment_response, queue
from raschet.appeals.services import (
    ActFigures,
    AppealError,
    act_confirm,
    act_reject,
    appeal_answer,
    appeal_take,
)
from raschet.backoffice.views import admin_context
from raschet.billing.models import TEMPERATURE_OF, ActState, QualityAct, QualityKind
from raschet.core.billing import DEAD_END_SERVICES
from raschet.organizations.models import Organization
from raschet.organizations.selectors import organization_ids_for_user

VIEW = "appeals.view_appeal"
CHANGE = "appeals.change_appeal"
ACTS = "billing.change_qualityact"
PAGE = 50


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _org_ids(user: Any) -> list[int]:
    ids = organization_ids_for_user(user)
    return list(Organization.objects.values_list("pk", flat=True)) if ids is None else ids


def _appeal(request: HttpRequest, pk: int) -> Appeal:
    appeal = (
        Appeal.objects.filter(organization_id__in=_org_ids(request.user), pk=pk)
        .select_related("account__premises__building", "service", "author", "taken_by")
        .first()
    )
    if appeal is None:
        raise Http404(_("No such appeal"))
    return appeal


class QueueFilter(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("open", gettext_lazy("Not answered")), ("", "—"), *AppealState.choices],
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), required=False, choices=[("", "—"), *AppealCategory.choices]
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    q = forms.CharField(label=gettext_lazy("Number, account or subject"), required=False)


@staff_member_required
def queue_view(request: HttpRequest) -> HttpResponse:
    _need(request, VIEW)
    data = request.GET.copy()
    data.setdefault("state", "open")
    form = QueueFilter(data)
    form.is_valid()
    f = form.cleaned_data if form.is_valid() else {"state": "open"}
    today = timezone.localdate()
    qs = queue(
        _org_ids(request.user),
        state=f.get("state", ""),
        category=f.get("category", ""),
        overdue_on=today if f.get("overdue") else None,
        query=f.get("q", ""),
    )
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    context = admin_context(request, _("Appeals"))
    context.update({"form": form, "page": page, "today": today, "query": _query(request)})
    return render(request, "backoffice/appeals/queue.html", context)


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"rows": 6, "cols": 80})
    )


class ActForm(forms.Form):
    """The figures of a draft act as the operator finds them (ПП 354 Приложение 1)."""

    act_number = forms.CharField(label=gettext_lazy("Act number"), max_length=40)
    events_hours = forms.CharField(
        label=gettext_lazy("Hours of each interruption"),
        required=False,
        help_text=gettext_lazy("Separated by commas, e.g. 5, 12"),
    )
    hours = forms.IntegerField(label=gettext_lazy("Hours of deviation"), min_value=0, initial=0)
    degrees = forms.IntegerField(label=gettext_lazy("Degrees of deviation"), min_value=0, initial=0)
    temperature_c = forms.DecimalField(
        label=gettext_lazy("Measured temperature, °C"),
        required=False,
        max_digits=4,
        decimal_places=1,
    )
    dead_end_accident = forms.BooleanField(
        label=gettext_lazy("Accident on a dead-end main"),
        required=False,
        help_text=gettext_lazy("Cold or hot water: up to 24 h in a row are permitted"),
    )

    def clean_events_hours(self) -> list[int]:
        text = self.cleaned_data.get("events_hours") or ""
        try:
            return [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
        except ValueError as exc:
            raise forms.ValidationError(_("Give whole hours separated by commas.")) from exc


def _act_form(act: QualityAct, data: Any = None) -> ActForm:
    initial = {
        "act_number": act.act_number,
        "events_hours": ", ".join(str(h) for h in act.events_hours or []),
        "hours": act.hours,
        "degrees": act.degrees,
        "temperature_c": act.temperature_c,
        "dead_end_accident": act.dead_end_accident,
    }
    form = ActForm(data, initial=initial, prefix=f"act{act.pk}")
    # the conditions that change the permitted hours, only where they exist (rules.md §1.8)
    code = act.service.code
    interruption = act.kind == QualityKind.INTERRUPTION
    if not (interruption and code in TEMPERATURE_OF):
        del form.fields["temperature_c"]
    elif code == "heating":
        form.fields["temperature_c"].help_text = _(
            "Air in the rooms during the interruption: 16 h at once at +12 °C and above or "
            "when not given, 8 h at +10…+12, 4 h at +8…+10, none below +8"
        )
    else:
        form.fields["temperature_c"].required = True
        form.fields["temperature_c"].help_text = _(
            "Outdoor air during the deviation: 72 h permitted at 0 °C and below, otherwise 24 h"
        )
    if not (interruption and code in DEAD_END_SERVICES):
        del form.fields["dead_end_accident"]
    return form


@staff_member_required
def appeal_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, VIEW)
    appeal = _appeal(request, pk)
    answer_form = AnswerForm(request.POST if request.POST.get("action") == "answer" else None)
    outcomes = act_outcomes(appeal)
    act_forms = {
        o.act.pk: _act_form(
            o.act,
            request.POST
            if request.POST.get("action") == "confirm" and request.POST.get("act") == str(o.act.pk)
            else None,
        )
        for o in outcomes
        if o.act.state == ActState.DRAFT
    }
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "take":
                _need(request, CHANGE)
                appeal_take(appeal, request.user)
                messages.success(request, _("The appeal is taken into work."))
                return redirect("backoffice:appeal", pk=appeal.pk)
            if action == "answer":
                _need(request, CHANGE)
                if answer_form.is_valid():
                    appeal_answer(appeal, request.user, answer_form.cleaned_data["answer"])
                    messages.success(request, _("The answer is sent to the resident."))
                    return redirect("backoffice:appeal", pk=appeal.pk)
            if action in ("confirm", "reject"):
                _need(request, ACTS)
                act = appeal.acts.filter(pk=request.POST.get("act") or 0).first()
                if act is None:
                    raise Http404
                if action == "reject":
                    act_reject(appeal, act, request.user, request.POST.get("reason", ""))
                    messages.success(request, _("The act is rejected."))
                    return redirect("backoffice:appeal", pk=appeal.pk)
                form = act_forms.get(act.pk)
                if form is None:
                    raise AppealError(_("The act is no longer a draft."))
                if form.is_valid():
                    act_confirm(
                        appeal,
                        act,
                        request.user,
                        ActFigures(
                            events_hours=form.cleaned_data["events_hours"],
                            hours=form.cleaned_data["hours"],
                            degrees=form.cleaned_data["degrees"],
                            act_number=form.cleaned_data["act_number"],
                            temperature_c=form.cleaned_data.get("temperature_c"),
                            dead_end_accident=bool(form.cleaned_data.get("dead_end_accident")),
                        ),
                    )
                    messages.success(
                        request,
                        _("The act is confirmed: the next billing run reduces the charge."),
                    )
                    return redirect("backoffice:appeal", pk=appeal.pk)
        except AppealError as exc:
            messages.error(request, str(exc))
            return redirect("backoffice:appeal", pk=appeal.pk)
    context = admin_context(request, _("Appeal № %(number)s") % {"number": appeal.number})
    context.update(
        {
            "appeal": appeal,
            "events": appeal.events.select_related("user"),
            "attachments": appeal.attachments.all(),
            "outcomes": [(o, act_forms.get(o.act.pk)) for o in outcomes],
            "answer_form": answer_form,
            "today": timezone.localdate(),
        }
    )
    return render(request, "backoffice/appeals/appeal.html", context)


@staff_member_required
def attachment_view(request: HttpRequest, pk: int, file: int) -> FileResponse:
    _need(request, VIEW)
    return attachment_response(_appeal(request, pk), file)
