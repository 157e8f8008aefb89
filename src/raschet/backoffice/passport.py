"""Back-office pages of the passport desk (паспортный стол) for one account: the household
(registrations, temporary-residents acts, the history in date order), register / deregister
/ act forms, certificates (issue and download), and the log of issued certificates.

Views parse the forms and call `raschet.registry.services` / `raschet.registry.certificates`;
the rules and their Russian messages live there. Permissions are the registry's model
permissions (the administrator, operator and passport officer roles hold them):
``view_registration`` to see, ``add_registration`` / ``change_registration`` to register
and deregister, ``add_temporaryresidentact`` for acts, ``add_certificate`` to issue and
``view_certificate`` to download and see the log. An account of another organization
answers 404.
"""

from __future__ import annotations

from datetime import date
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

from raschet.backoffice.card import account_for_user
from raschet.backoffice.views import admin_context
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.organizations.selectors import organizations_for_user
from raschet.registry.certificates import CertificateError, certificate_issue, certificate_path
from raschet.registry.models import (
    Certificate,
    CertificateKind,
    Person,
    Registration,
    RegistrationKind,
    Relation,
)
from raschet.registry.selectors import (
    account_registrations,
    account_resident_acts,
    household_history,
    registrations_on,
)
from raschet.registry.services import (
    RegistrationError,
    person_create,
    person_deregister,
    person_register,
    resident_act_register,
)

VIEW = "registry.view_registration"
REGISTER = "registry.add_registration"
DEREGISTER = "registry.change_registration"
ACT = "registry.add_temporaryresidentact"
ISSUE = "registry.add_certificate"
LOG = "registry.view_certificate"
LOG_PAGE_SIZE = 50
CERTIFICATES_ON_PAGE = 20

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _need(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _month_field(label: Any, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-01"}),
    )


# ----------------------------------------------------------------------------- forms


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        born = f" ({obj.birth_date:%d.%m.%Y})" if obj.birth_date else ""
        return f"{obj.full_name}{born}"


class RegisterForm(forms.Form):
    """An existing person linked to the premises (owner or registered before), or a new
    one by name."""

    person = _PersonChoice(
        queryset=Person.objects.none(),
        required=False,
        label=gettext_lazy("Person already known at this address"),
        empty_label=gettext_lazy("— a new person —"),
    )
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    middle_name = forms.CharField(label=gettext_lazy("Patronymic"), max_length=100, required=False)
    birth_date = forms.DateField(label=gettext_lazy("Date of birth"), required=False, widget=_DATE)
    birth_place = forms.CharField(
        label=gettext_lazy("Place of birth"), max_length=200, required=False
    )
    identity_document = forms.CharField(
        label=gettext_lazy("Identity document"), max_length=200, required=False
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RegistrationKind.choices)
    valid_from = forms.DateField(label=gettext_lazy("Registered from"), widget=_DATE)
    valid_to = forms.DateField(
        label=gettext_lazy("Until (temporary, exclusive)"), required=False, widget=_DATE
    )
    relation = forms.ChoiceField(
        label=gettext_lazy("Relation to the owner"), choices=Relation.choices
    )
    arrived_from = forms.CharField(
        label=gettext_lazy("Arrived from"), max_length=300, required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)
    document = forms.CharField(label=gettext_lazy("Document"), max_length=300, required=False)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        known = Person.objects.filter(organization_id=account.organization_id).filter(
            pk__in=Registration.objects.filter(account__premises_id=account.premises_id).values(
                "person_id"
            )
        ) | Person.objects.filter(
            organization_id=account.organization_id,
            ownerships__premises_id=account.premises_id,
        )
        self.fields["person"].queryset = known.distinct().order_by(  # type: ignore[attr-defined]
            "last_name", "first_name", "pk"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("person") is None and not (
            (data.get("last_name") or "").strip() and (data.get("first_name") or "").strip()
        ):
            raise forms.ValidationError(
                _("Choose a known person or enter the new person's last and first name.")
            )
        return data


class DeregisterForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Deregistered from"), widget=_DATE)
    departed_to = forms.CharField(label=gettext_lazy("Departed to"), max_length=300, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)


class ActForm(forms.Form):
    persons = forms.IntegerField(label=gettext_lazy("Persons"), min_value=1, max_value=100)
    valid_from = forms.DateField(label=gettext_lazy("From"), widget=_DATE)
    valid_to = forms.DateField(label=gettext_lazy("To (exclusive)"), required=False, widget=_DATE)
    act_number = forms.CharField(label=gettext_lazy("Act number"), max_length=40, required=False)
    act_date = forms.DateField(label=gettext_lazy("Act date"), required=False, widget=_DATE)


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Certificate"), choices=CertificateKind.choices)
    on = forms.DateField(label=gettext_lazy("On date"), widget=_DATE)
    person = _PersonChoice(
        queryset=Person.objects.none(),
        required=False,
        label=gettext_lazy("Applicant (household composition)"),
        empty_label=gettext_lazy("the payer"),
    )
    period_start = _month_field(gettext_lazy("Statement from month"))
    period_end = _month_field(gettext_lazy("Statement to month"))

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            organization_id=account.organization_id,
            pk__in=Registration.objects.filter(account=account).values("person_id"),
        ).order_by("last_name", "first_name", "pk")

    def _month(self, name: str) -> date | None:
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            return Month.parse(raw).start
        except ValueError as exc:
            raise forms.ValidationError(
                _("Month as YYYY-MM, e.g. 2026-01: %(value)s") % {"value": raw}
            ) from exc

    def clean_period_start(self) -> date | None:
        return self._month("period_start")

    def clean_period_end(self) -> date | None:
        return self._month("period_end")


# ----------------------------------------------------------------------------- pages


def _household_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    today = timezone.localdate()
    certificates = []
    if request.user.has_perm(LOG):
        certificates = list(
            Certificate.objects.filter(account=account).select_related("person", "issued_by")[
                :CERTIFICATES_ON_PAGE
            ]
        )
    return {
        "account": account,
        "today": today,
        "current": list(registrations_on(account, today)),
        "registrations": list(account_registrations(account)),
        "acts": list(account_resident_acts(account)),
        "events": household_history(account),
        "certificates": certificates,
        "certificate_form": CertificateForm(account=account, initial={"on": today}),
    }


@staff_member_required
def household_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The account's household: who is registered, every registration, acts, history."""
    _need(request, VIEW)
    account = account_for_user(request.user, pk)
    context = admin_context(
        request, _("Passport desk: account %(number)s") % {"number": account.number}
    )
    context.update(_household_context(request, account))
    return render(request, "backoffice/passport/household.html", context)


def _form_page(
    request: HttpRequest, account: Account, form: forms.Form, title: str, extra: Any = None
) -> HttpResponse:
    context = admin_context(request, title)
    context.update({"account": account, "form": form, "subject": extra})
    return render(request, "backoffice/passport/form.html", context)


def _done(request: HttpRequest, account: Account, text: str, warnings: list[str]) -> HttpResponse:
    messages.success(request, text)
    for warning in warnings:
        messages.warning(request, warning)
    return redirect("backoffice:passport_household", account.pk)


@staff_member_required
def register_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, REGISTER)
    account = account_for_user(request.user, pk)
    form = RegisterForm(
        request.POST or None,
        account=account,
        initial={"valid_from": timezone.localdate(), "kind": RegistrationKind.PERMANENT},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = data["person"] or person_create(
                organization_id=account.organization_id,
                last_name=data["last_name"],
                first_name=data["first_name"],
                middle_name=data["middle_name"],
                birth_date=data["birth_date"],
                birth_place=data["birth_place"],
                identity_document=data["identity_document"],
                user=request.user,
            )
            outcome = person_register(
                account=account,
                person=person,
                kind=data["kind"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                relation=data["relation"],
                arrived_from=data["arrived_from"],
                reason=data["reason"],
                document=data["document"],
                user=request.user,
            )
        except RegistrationError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(
                request,
                account,
                _("%(name)s is registered.") % {"name": person.full_name},
                outcome.warnings,
            )
    return _form_page(request, account, form, _("Register a person"))


@staff_member_required
def deregister_view(request: HttpRequest, pk: int, registration_pk: int) -> HttpResponse:
    _need(request, DEREGISTER)
    account = account_for_user(request.user, pk)
    registration = get_object_or_404(
        Registration.objects.select_related("person"), pk=registration_pk, account=account
    )
    form = DeregisterForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = person_deregister(
                registration=registration,
                on=data["on"],
                departed_to=data["departed_to"],
                reason=data["reason"],
                user=request.user,
            )
        except RegistrationError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(
                request,
                account,
                _("%(name)s is deregistered.") % {"name": registration.person.full_name},
                outcome.warnings,
            )
    return _form_page(
        request,
        account,
        form,
        _("Deregister %(name)s") % {"name": registration.person.full_name},
        registration,
    )


@staff_member_required
def act_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, ACT)
    account = account_for_user(request.user, pk)
    form = ActForm(request.POST or None, initial={"valid_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = resident_act_register(
                account=account,
                persons=data["persons"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                act_number=data["act_number"],
                act_date=data["act_date"],
                user=request.user,
            )
        except RegistrationError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, account, _("The act is recorded."), outcome.warnings)
    return _form_page(request, account, form, _("Temporary residents act"))


@staff_member_required
def certificate_issue_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a certificate (POST) and send its PDF; a refusal comes back to the household
    page with the reason."""
    _need(request, ISSUE)
    account = account_for_user(request.user, pk)
    if request.method != "POST":
        return redirect("backoffice:passport_household", account.pk)
    form = CertificateForm(request.POST, account=account)
    if form.is_valid():
        data = form.cleaned_data
        try:
            cert = certificate_issue(
                account=account,
                kind=data["kind"],
                on=data["on"],
                person=data["person"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                user=request.user,
            )
        except CertificateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Certificate № %(number)s is issued.") % {"number": cert.number}
            )
            return redirect("backoffice:passport_certificate", cert.pk)
    context = admin_context(
        request, _("Passport desk: account %(number)s") % {"number": account.number}
    )
    context.update(_household_context(request, account))
    context["certificate_form"] = form
    return render(request, "backoffice/passport/household.html", context, status=422)


@staff_member_required
def certificate_download_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, LOG)
    cert = get_object_or_404(
        Certificate, pk=pk, organization__in=organizations_for_user(request.user)
    )
    path = certificate_path(cert)
    if not path.is_file():
        raise Http404(_("The certificate's file is missing from the archive"))
    response = HttpResponse(path.read_bytes(), content_type="application/pdf")
    name = cert.number.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="certificate-{name}.pdf"'
    return response


@staff_member_required
def certificates_view(request: HttpRequest) -> HttpResponse:
    """The log of issued certificates of the user's organizations, newest first."""
    _need(request, LOG)
    certificates = Certificate.objects.filter(
        organization__in=organizations_for_user(request.user)
    ).select_related("account__premises__building", "person", "issued_by", "organization")
    kind = request.GET.get("kind", "")
    if kind in CertificateKind.values:
        certificates = certificates.filter(kind=kind)
    number = request.GET.get("number", "").strip()
    if number:
        certificates = certificates.filter(number__icontains=number[:20])
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    page = Paginator(certificates, LOG_PAGE_SIZE).get_page(page_number)
    context = admin_context(request, _("Certificates issued"))
    context.update(
        {
            "page": page,
            "kinds": CertificateKind.choices,
            "kind": kind,
            "number": number,
        }
    )
    return render(request, "backoffice/passport/certificates.html", context)
