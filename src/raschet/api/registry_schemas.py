"""Schemas of the passport-desk endpoints (`raschet.api.registry`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from raschet.api.billing_schemas import PeriodIn
from raschet.api.endpoints import NO_NUL, Id
from raschet.api.metering_schemas import IsoDateString

Text = Annotated[str, Field(max_length=300, pattern=NO_NUL)]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
Kind = Literal["permanent", "temporary"]
RelationCode = Literal[
    "owner", "tenant", "spouse", "child", "parent", "grandchild", "sibling", "relative", "other"
]
CertificateKindCode = Literal["registration_extract", "household", "account_statement", "no_debt"]


class PersonOut(Schema):
    id: int
    full_name: str
    birth_date: date | None


class RegistrationOut(Schema):
    id: int
    account_id: int
    person: PersonOut
    kind: str
    relation: str
    valid_from: date
    valid_to: date | None = Field(description="The first day the person no longer counts")
    arrived_from: str
    departed_to: str
    reason: str
    document: str
    departure_reason: str


class EventOut(Schema):
    day: date
    kind: str = Field(description="registered, deregistered, stay_ends, act_starts or act_ends")
    label: str
    person: str
    detail: str
    registration_id: int | None
    act_id: int | None


class NewPersonIn(Schema):
    last_name: Name
    first_name: Name
    middle_name: Annotated[str, Field(max_length=100, pattern=NO_NUL)] = ""
    birth_date: IsoDateString | None = None
    birth_place: Text = ""
    identity_document: Text = ""


class RegisterIn(Schema):
    person_id: Id | None = Field(None, description="An existing person; or give new_person")
    new_person: NewPersonIn | None = None
    kind: Kind
    valid_from: IsoDateString
    valid_to: IsoDateString | None = Field(
        None, description="Required for a temporary registration (exclusive end)"
    )
    relation: RelationCode = "owner"
    arrived_from: Text = ""
    reason: Text = ""
    document: Text = ""


class RegisteredOut(Schema):
    registration: RegistrationOut
    warnings: list[str]


class DeregisterIn(Schema):
    on: IsoDateString = Field(description="Deregistered from this day (it no longer counts)")
    departed_to: Text = ""
    reason: Text = ""


class CertificateIn(Schema):
    kind: CertificateKindCode
    on: IsoDateString
    person_id: Id | None = Field(None, description="The applicant (household composition)")
    period_start: PeriodIn | None = Field(None, description="Account statement: first month")
    period_end: PeriodIn | None = Field(None, description="Account statement: last month")


class CertificateOut(Schema):
    id: int
    number: str
    kind: str
    account_id: int
    person_id: int | None
    on_date: date
    issued_at: datetime
    content_sha256: str
    download_url: str
