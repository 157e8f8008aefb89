"""Schemas of the metering API: meters, readings, a submission and its outcome.

Readings and volumes are decimal strings with three places ("123.456"), never JSON numbers:
meters show thousandths, and a float would round them. A submitted value is a string too; a
JSON number is refused with 422 rather than guessed at (``12.3`` may already have lost digits
in the client's float). The OpenAPI type is ``string`` with a pattern, so clients and
schemathesis see exactly what is accepted.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from raschet.metering.models import MeterState, ReadingKind, ReadingSource, ReadingState

# Meters have at most 12 whole digits (Meter.integer_digits) and show thousandths.
READING_IN_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,3})?$"
READING_OUT_PATTERN = r"^[0-9]{1,12}\.[0-9]{3}$"
# The years `raschet.core.periods.Month` accepts: 1900-2999.
PERIOD_PATTERN = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"

ZoneCode = Literal["single", "day", "night", "peak", "semi_peak"]
"""`raschet.tariffs.models.Zone` values; a test keeps the two in step."""


def _reading_string(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.3f}"
    return value


def _iso_date_string(value: Any) -> Any:
    """Only ``YYYY-MM-DD``: pydantic would also read a number as a Unix time."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


IsoDateString = Annotated[date, BeforeValidator(_iso_date_string)]


def _period_string(value: Any) -> Any:
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    return value


ReadingValue = Annotated[
    str,
    BeforeValidator(_reading_string),
    Field(
        pattern=READING_OUT_PATTERN,
        description="Decimal string with three places",
        examples=["123.456"],
    ),
]

Period = Annotated[
    str,
    BeforeValidator(_period_string),
    Field(pattern=PERIOD_PATTERN, description="Billing month, YYYY-MM", examples=["2025-06"]),
]


class MeterOut(Schema):
    id: int
    organization_id: int
    premises_id: int
    service_code: str
    service_name: str
    serial_number: str
    model_name: str
    zones: list[ZoneCode] = Field(description="Tariff zones the meter reports")
    integer_digits: int = Field(description="Digit capacity: digits before the decimal point")
    installed_on: date
    sealed_on: date | None
    verification_due: date | None = Field(description="Date the verification (поверка) is due")
    removed_on: date | None
    replaces_id: int | None = Field(description="The meter this one replaced")
    state: MeterState = Field(description="State today")

    @staticmethod
    def resolve_service_code(obj: Any) -> str:
        return obj.service.code

    @staticmethod
    def resolve_service_name(obj: Any) -> str:
        return obj.service.name

    @staticmethod
    def resolve_zones(obj: Any) -> list[str]:
        return [str(zone) for zone in obj.zone_codes]


class ReadingOut(Schema):
    id: int
    meter_id: int
    serial_number: str
    zone: ZoneCode
    period: Period
    kind: ReadingKind = Field(description="Monthly, initial (installation), final, control")
    value: ReadingValue
    volume: ReadingValue | None = Field(description="Volume since the previous reading")
    state: ReadingState = Field(description="Check result; flagged: far above the average")
    source: ReadingSource
    taken_on: date
    entered_at: datetime
    is_current: bool = Field(description="False once a correction superseded it")
    supersedes_id: int | None = Field(description="The reading this one corrected")

    @staticmethod
    def resolve_serial_number(obj: Any) -> str:
        return obj.meter.serial_number


class ReadingSubmitIn(Schema):
    meter: int = Field(ge=1, le=2**63 - 1, description="Meter id (see the account's meters)")
    taken_on: IsoDateString = Field(description="Date the meter was read, not in the future")
    values: dict[
        ZoneCode,
        Annotated[str, Field(pattern=READING_IN_PATTERN, examples=["123.456"])],
    ] = Field(
        min_length=1,
        max_length=3,
        description=(
            "Reading of every zone of the meter as a decimal string with at most three "
            'places: `{"single": "123.456"}`, `{"day": "1500.2", "night": "700"}`. '
            "JSON numbers are refused."
        ),
        examples=[{"single": "123.456"}],
    )


class ReadingOutcomeOut(Schema):
    zone: ZoneCode
    status: Literal["accepted", "rollover", "flagged", "duplicate", "corrected"] = Field(
        description=(
            "accepted; rollover (the counter passed its capacity); flagged (accepted, the "
            "volume is far above the average, an operator will check it); duplicate (already "
            "stored: nothing written); corrected (a new value for the month, the earlier "
            "reading is superseded)"
        )
    )
    message: str = Field(description="The outcome in the user's language")
    reading_id: int
    period: Period
    volume: ReadingValue | None


class ReadingSubmitOut(Schema):
    meter_id: int
    outcomes: list[ReadingOutcomeOut]
