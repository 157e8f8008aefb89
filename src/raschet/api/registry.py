"""Passport-desk endpoints of API v1: an account's registrations and household history,
register and deregister, issue and download certificates.

Delivery only: writes go through `raschet.registry.services` and
`raschet.registry.certificates`, which check the rules and answer in Russian; a refusal is a
422 with that message. An account, registration, person or certificate of an organization
the caller cannot see answers 404 like a missing one. A staff session needs the registry
permission of the action (``view_registration``, ``add_registration``,
``change_registration``, ``add_certificate``, ``view_certificate``); a token reaches its
organizations.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Status

from raschet.api.auth import Caller, caller, session_auth, token_auth
from raschet.api.endpoints import ERRORS_404, Id
from raschet.api.metering_selectors import account_visible
from raschet.api.registry_schemas import (
    CertificateIn,
    CertificateOut,
    DeregisterIn,
    EventOut,
    RegisteredOut,
    RegisterIn,
    RegistrationOut,
)
from raschet.api.schemas import ErrorOut
from raschet.api.selectors import scoped
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.registry.certificates import CertificateError, certificate_issue, certificate_path
from raschet.registry.models import Certificate, Person, Registration
from raschet.registry.selectors import account_registrations, household_history
from raschet.registry.services import (
    RegistrationError,
    person_create,
    person_deregister,
    person_register,
)

router = Router(auth=[token_auth, session_auth], tags=["passport desk"])

ERRORS_403 = {**ERRORS_404, 403: ErrorOut}


def _allowed(who: Caller, permission: str) -> bool:
    return who.user is None or bool(who.user.has_perm(permission))


def _denied() -> Status:
    return Status(403, {"detail": _("You have no permission for this action.")})


def _refused(message: str) -> Status:
    return Status(
        422, {"detail": message, "errors": [{"loc": ["body"], "msg": message, "type": "refused"}]}
    )


def _account(who: Caller, account_id: int) -> Account:
    account = account_visible(organizations=who.organizations, account_id=account_id)
    if account is None:
        raise Http404
    return account


def _registration(r: Registration) -> dict[str, object]:
    return {
        "id": r.pk,
        "account_id": r.account_id,
        "person": {
            "id": r.person_id,
            "full_name": r.person.full_name,
            "birth_date": r.person.birth_date,
        },
        "kind": r.kind,
        "relation": r.relation,
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
        "arrived_from": r.arrived_from,
        "departed_to": r.departed_to,
        "reason": r.reason,
        "document": r.document,
        "departure_reason": r.departure_reason,
    }


def _certificate(c: Certificate) -> dict[str, object]:
    return {
        "id": c.pk,
        "number": c.number,
        "kind": c.kind,
        "account_id": c.account_id,
        "person_id": c.person_id,
        "on_date": c.on_date,
        "issued_at": c.issued_at,
        "content_sha256": c.content_sha256,
        "download_url": reverse("api:registry_certificate_pdf", args=[c.pk]),
    }


@router.get(
    "/accounts/{account_id}/registrations",
    response={200: list[RegistrationOut], **ERRORS_403},
)
def registration_list(request: HttpRequest, account_id: Id):
    """Every registration of the account (past, present, planned), oldest first."""
    who = caller(request)
    if not _allowed(who, "registry.view_registration"):
        return _denied()
    account = _account(who, account_id)
    return [_registration(r) for r in account_registrations(account)]


@router.get(
    "/accounts/{account_id}/household-history",
    response={200: list[EventOut], **ERRORS_403},
)
def household_history_list(request: HttpRequest, account_id: Id):
    """Registrations, deregistrations and temporary-residents acts of the account in date
    order."""
    who = caller(request)
    if not _allowed(who, "registry.view_registration"):
        return _denied()
    account = _account(who, account_id)
    return [
        {
            "day": e.day,
            "kind": e.kind,
            "label": e.label,
            "person": e.person,
            "detail": e.detail,
            "registration_id": e.registration_id,
            "act_id": e.act_id,
        }
        for e in household_history(account)
    ]


@router.post(
    "/accounts/{account_id}/registrations",
    response={201: RegisteredOut, 400: ErrorOut, **ERRORS_403},
    summary="Register a person",
)
def registration_create(request: HttpRequest, account_id: Id, payload: RegisterIn):
    """Register an existing person (``person_id``) or a new one (``new_person``). A date in
    a closed month is accepted with a warning: the next billing run recalculates it."""
    who = caller(request)
    if not _allowed(who, "registry.add_registration"):
        return _denied()
    account = _account(who, account_id)
    if (payload.person_id is None) == (payload.new_person is None):
        return _refused(_("Give either person_id or new_person."))
    try:
        if payload.person_id is not None:
            person = Person.objects.filter(
                organization_id=account.organization_id, pk=payload.person_id
            ).first()
            if person is None:
                raise Http404
        else:
            new = payload.new_person
            assert new is not None  # noqa: S101 - checked above
            person = person_create(
                organization_id=account.organization_id,
                last_name=new.last_name,
                first_name=new.first_name,
                middle_name=new.middle_name,
                birth_date=new.birth_date,
                birth_place=new.birth_place,
                identity_document=new.identity_document,
                user=who.user,
            )
        outcome = person_register(
            account=account,
            person=person,
            kind=payload.kind,
            valid_from=payload.valid_from,
            valid_to=payload.valid_to,
            relation=payload.relation,
            arrived_from=payload.arrived_from,
            reason=payload.reason,
            document=payload.document,
            user=who.user,
        )
    except RegistrationError as exc:
        return _refused(str(exc))
    registration = Registration.objects.select_related("person").get(pk=outcome.obj.pk)
    return Status(201, {"registration": _registration(registration), "warnings": outcome.warnings})


@router.post(
    "/registrations/{registration_id}/deregister",
    response={200: RegisteredOut, 400: ErrorOut, **ERRORS_403},
    summary="Deregister a person",
)
def registration_deregister(request: HttpRequest, registration_id: Id, payload: DeregisterIn):
    """Deregister from ``on`` (the person counts up to the day before)."""
    who = caller(request)
    if not _allowed(who, "registry.change_registration"):
        return _denied()
    registration = (
        scoped(Registration.objects.select_related("person", "account"), who.organizations)
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        raise Http404
    try:
        outcome = person_deregister(
            registration=registration,
            on=payload.on,
            departed_to=payload.departed_to,
            reason=payload.reason,
            user=who.user,
        )
    except RegistrationError as exc:
        return _refused(str(exc))
    return {"registration": _registration(outcome.obj), "warnings": outcome.warnings}


@router.post(
    "/accounts/{account_id}/certificates",
    response={201: CertificateOut, 400: ErrorOut, **ERRORS_403},
    summary="Issue a certificate",
)
def certificate_create(request: HttpRequest, account_id: Id, payload: CertificateIn):
    """Issue a numbered certificate (PDF): the answer carries its number and download URL.
    A no-debt certificate for an account in debt, a household composition for an applicant
    not registered there, a statement without a period answer 422 with the reason."""
    who = caller(request)
    if not _allowed(who, "registry.add_certificate"):
        return _denied()
    account = _account(who, account_id)
    person = None
    if payload.person_id is not None:
        person = Person.objects.filter(
            organization_id=account.organization_id, pk=payload.person_id
        ).first()
        if person is None:
            raise Http404

    def month(value: str | None) -> date | None:
        return Month.parse(value).start if value else None

    try:
        cert = certificate_issue(
            account=account,
            kind=payload.kind,
            on=payload.on,
            person=person,
            period_start=month(payload.period_start),
            period_end=month(payload.period_end),
            user=who.user,
        )
    except CertificateError as exc:
        return _refused(str(exc))
    return Status(201, _certificate(cert))


@router.get(
    "/certificates/{certificate_id}/pdf",
    response={200: None, **ERRORS_403},
    url_name="registry_certificate_pdf",
    summary="Download a certificate",
)
def certificate_pdf(request: HttpRequest, certificate_id: Id):
    """The PDF of an issued certificate, exactly as it was handed out."""
    who = caller(request)
    if not _allowed(who, "registry.view_certificate"):
        return _denied()
    cert = scoped(Certificate.objects.all(), who.organizations).filter(pk=certificate_id).first()
    if cert is None:
        raise Http404
    path = certificate_path(cert)
    if not path.is_file():
        raise Http404
    response = HttpResponse(path.read_bytes(), content_type="application/pdf")
    name = cert.number.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="certificate-{name}.pdf"'
    return response
