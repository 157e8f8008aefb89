"""Response and error schemas of the REST API.

Areas are decimal strings with two places ("54.30"), never JSON numbers: a float would lose
the exactness the charges depend on, and the OpenAPI type says ``string`` so clients (and
schemathesis) see what is really sent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import BeforeValidator

AREA_PATTERN = r"^[0-9]{1,10}\.[0-9]{2}$"


def _area_string(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


Area = Annotated[
    str,
    BeforeValidator(_area_string),
    Field(pattern=AREA_PATTERN, description="m², decimal string", examples=["54.30"]),
]


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in the user's language")


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(ErrorOut):
    errors: list[ErrorItem]


class OrganizationOut(Schema):
    id: int
    code: str
    kind: str
    name: str
    short_name: str
    inn: str
    kpp: str
    served_by_id: int | None = Field(description="The billing centre serving it")


class BuildingOut(Schema):
    id: int
    organization_id: int
    address: str
    fias_guid: UUID | None
    year_built: int | None
    floors: int | None
    entrances: int | None
    area_total_m2: Area
    area_residential_m2: Area
    area_non_residential_m2: Area
    area_common_m2: Area
    heating_mode: str
    heating_season_months: int
    common_property_mode: str


class PremisesOut(Schema):
    id: int
    organization_id: int
    building_id: int
    number: str
    kind: str
    area_total_m2: Area
    area_living_m2: Area | None
    rooms: int | None
    floor: int | None
    entrance: int | None
    is_communal_flat: bool


class AccountOut(Schema):
    id: int
    organization_id: int
    number: str
    premises_id: int
    building_id: int
    opened_on: date
    closed_on: date | None = Field(description="First day the account is closed")
    payer_name: str
    tenure: str
    area_m2: Area | None = Field(description="Area set on the account, if any")
    charged_area_m2: Area = Field(description="Area charged: the account's or the premises'")
    gis_account_id: str

    @staticmethod
    def resolve_building_id(obj: Any) -> int:
        return obj.premises.building_id


class AccountDetailOut(AccountOut):
    premises: PremisesOut
    building_address: str
    email: str
    phone: str
    residents: int = Field(description="Residents on `residents_on` (ПП 354 п.56(1))")
    residents_on: date

    @staticmethod
    def resolve_building_address(obj: Any) -> str:
        return obj.premises.building.address
