"""Exchange with social protection offices, API v1: the month's export file, importing an
office's answer, and the exchange log.

Delivery only: files are written and answers applied by `raschet.exchange.services`; the
log is read through `raschet.exchange.selectors`. A run or an organization the caller cannot
see answers 404 like a missing one. A refused answer is a 422 whose ``errors`` name the file,
the line and the field of every problem (``loc``: ``[file, line, field]``); nothing of it is
applied.

No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from raschet.api.auth import caller, session_auth, token_auth
from raschet.api.billing_schemas import PeriodIn
from raschet.api.endpoints import ERRORS, ERRORS_404, Id, Pagination
from raschet.core.periods import Month
from raschet.exchange.layouts import DEFAULT_EXPORT, DEFAULT_RESPONSE
from raschet.exchange.selectors import runs_for
from raschet.exchange.services import (
    CONTENT_TYPES,
    ExchangeError,
    exchange_export,
    exchange_import,
)
from raschet.organizations.models import Organization

router = Router(auth=[token_auth, session_auth], tags=["social protection"])

LayoutName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[-a-zA-Z0-9_]+$",
        description="A layout name (docs/social-protection.md)",
    ),
]
OfficeCode = Annotated[
    str,
    Field(max_length=40, pattern=r"^[-0-9A-Za-zА-Яа-яЁё_]*$", description="Office code"),
]

_FILE_RESPONSE = {
    "description": "The export file in the layout's format",
    "content": {
        content_type: {"schema": {"type": "string", "format": "binary"}}
        for content_type in sorted(set(CONTENT_TYPES.values()))
    },
}


class ExportQuery(Schema):
    organization: Id = Field(description="Organization id")
    period: PeriodIn
    layout: LayoutName = DEFAULT_EXPORT
    office: OfficeCode = ""


class ImportForm(Schema):
    organization: Id = Field(description="Organization id")
    layout: LayoutName = DEFAULT_RESPONSE


class ExchangeRunOut(Schema):
    id: int
    organization_id: int
    direction: Literal["export", "import"]
    state: Literal["done", "refused"]
    period: date | None
    office: str
    layout: str
    file_name: str
    sha256: str
    rows: int
    errors: int
    counts: dict[str, int]
    created_at: datetime


class ProblemOut(Schema):
    line: int = Field(description="Line (CSV/XLSX row, DBF record); 0: the whole file")
    field: str
    header: str
    message: str
    text: str = Field(description="The message with the file, line and field")


class ExchangeRunDetailOut(ExchangeRunOut):
    error_list: list[ProblemOut]


class ExchangeRunFilter(Schema):
    organization: Id | None = Field(None, description="Only runs of this organization")
    direction: Literal["export", "import"] | None = None


def _organization(request: HttpRequest, organization_id: int) -> Organization:
    organization = caller(request).organizations.filter(pk=organization_id).first()
    if organization is None:
        raise Http404
    return organization


def _user(request: HttpRequest):  # type: ignore[no-untyped-def]
    return caller(request).user


@router.get(
    "/exchange/export",
    response={**ERRORS_404},
    openapi_extra={"responses": {200: _FILE_RESPONSE}},
)
def exchange_export_file(request: HttpRequest, query: Query[ExportQuery]):
    """The file of a month's beneficiaries for a social protection office (one row per
    beneficiary and service; money in rubles with two decimals), logged as an export run."""
    organization = _organization(request, query.organization)
    try:
        result = exchange_export(
            organization=organization,
            period=Month.parse(query.period).start,
            layout_name=query.layout,
            office=query.office,
            user=_user(request),
            today=timezone.localdate(),
        )
    except ExchangeError as exc:
        return Status(
            422,
            {
                "detail": exc.message,
                "errors": [{"loc": ["query"], "msg": exc.message, "type": "exchange"}],
            },
        )
    response = HttpResponse(result.data, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.file_name}"'
    response["X-Exchange-Run"] = str(result.run.pk)
    return response


@router.post("/exchange/import", response={200: ExchangeRunOut, **ERRORS_404})
def exchange_import_file(
    request: HttpRequest,
    file: File[UploadedFile],
    form: Form[ImportForm],
):
    """Apply an office's answer (confirmed / ended / new benefits), all or nothing.

    A refused file answers 422 with every problem in ``errors`` (``loc``: file, line,
    field); the same file (by SHA-256) is applied only once.
    """
    org = _organization(request, form.organization)
    name = (file.name or "answer")[:300]
    if "\x00" in name:
        name = "answer"
    try:
        result = exchange_import(
            organization=org,
            data=file.read(),
            file_name=name,
            layout_name=form.layout,
            user=_user(request),
            today=timezone.localdate(),
        )
    except ExchangeError as exc:
        return Status(
            422,
            {
                "detail": exc.message,
                "errors": [{"loc": ["body", "layout"], "msg": exc.message, "type": "exchange"}],
            },
        )
    if not result.ok:
        return Status(
            422,
            {
                "detail": result.summary(),
                "errors": [
                    {
                        "loc": [p.file_name, p.line, p.header or p.field or "file"],
                        "msg": p.text,
                        "type": "exchange_row" if p.line else "exchange_file",
                    }
                    for p in result.problems
                ],
            },
        )
    return result.run


@router.get("/exchange/runs", response={200: list[ExchangeRunOut], **ERRORS})
@paginate(Pagination)
def exchange_run_list(request: HttpRequest, filters: Query[ExchangeRunFilter]):
    """The exchange log of the caller's organizations, newest first."""
    runs = runs_for(caller(request).organizations.values_list("pk", flat=True))
    if filters.organization is not None:
        runs = runs.filter(organization_id=filters.organization)
    if filters.direction is not None:
        runs = runs.filter(direction=filters.direction)
    return runs


@router.get("/exchange/runs/{run_id}", response={200: ExchangeRunDetailOut, **ERRORS_404})
def exchange_run_detail(request: HttpRequest, run_id: Id):
    """One exchange with its error list (a refused answer)."""
    run = (
        runs_for(caller(request).organizations.values_list("pk", flat=True))
        .defer(None)
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        raise Http404
    return run
