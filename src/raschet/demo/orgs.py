"""The demo's organizations: a billing centre, the managers it serves and the payees.

Names are made up (no real company is implied); legal details are generated with correct
check digits so that `Organization.full_clean()` passes for every one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from raschet.demo.addresses import legal_address
from raschet.demo.legal import BANKS, inn10, ogrn13
from raschet.organizations.models import Organization, OrganizationKind

K = OrganizationKind

RC = "demo-rc"
UK_MAIN = "demo-uyutny-dom"
UK_SECOND = "demo-zavolzhye"
HOA = "demo-tszh-raduga"
VODOKANAL = "demo-vodokanal"
TEPLOSET = "demo-teploset"
ENERGOSBYT = "demo-energosbyt"
GAS = "demo-gas"
TKO = "demo-tko"
FUND = "demo-kapremont"

MANAGERS = (UK_MAIN, UK_SECOND, HOA)


@dataclass(frozen=True)
class OrgSpec:
    code: str
    kind: str
    name: str
    short_name: str
    tax_office: str
    registered: int
    domain: str
    brand_name: str = ""
    color_primary: str = "#1f5f99"
    color_accent: str = "#f0a020"
    office_hours: str = "пн–чт 8:00–17:00, пт 8:00–16:00, обед 12:00–13:00"
    served: bool = False


SPECS = (
    OrgSpec(
        RC,
        K.BILLING_CENTRE,
        "Общество с ограниченной ответственностью «Расчётный центр «Верхневолжье»",
        "РЦ «Верхневолжье»",
        "6950",
        2009,
        "rc-verhnevolzhye.example",
        brand_name="Расчётный центр «Верхневолжье»",
    ),
    OrgSpec(
        UK_MAIN,
        K.MANAGEMENT_COMPANY,
        "Общество с ограниченной ответственностью «Управляющая компания «Уютный дом»",
        "УК «Уютный дом»",
        "6952",
        2011,
        "uyutny-dom.example",
        brand_name="Уютный дом",
        color_primary="#2e7d32",
        color_accent="#f9a825",
        served=True,
    ),
    OrgSpec(
        UK_SECOND,
        K.MANAGEMENT_COMPANY,
        "Общество с ограниченной ответственностью «Управляющая компания «Заволжье»",
        "УК «Заволжье»",
        "6950",
        2014,
        "uk-zavolzhye.example",
        brand_name="УК Заволжье",
        color_primary="#1565c0",
        color_accent="#ef6c00",
        served=True,
    ),
    OrgSpec(
        HOA,
        K.HOMEOWNERS_ASSOCIATION,
        "Товарищество собственников жилья «Радуга»",
        "ТСЖ «Радуга»",
        "6952",
        2006,
        "tszh-raduga.example",
        brand_name="ТСЖ «Радуга»",
        color_primary="#6a1b9a",
        color_accent="#00897b",
        office_hours="вт, чт 17:00–20:00, сб 10:00–13:00",
        served=True,
    ),
    OrgSpec(
        VODOKANAL,
        K.SUPPLIER,
        "Акционерное общество «Верхневолжский водоканал»",
        "АО «Верхневолжский водоканал»",
        "6950",
        2004,
        "vv-vodokanal.example",
    ),
    OrgSpec(
        TEPLOSET,
        K.SUPPLIER,
        "Общество с ограниченной ответственностью «Тверская городская теплосеть»",
        "ООО «Тверская теплосеть»",
        "6952",
        2012,
        "tver-teploset.example",
    ),
    OrgSpec(
        ENERGOSBYT,
        K.SUPPLIER,
        "Акционерное общество «Верхневолжская энергосбытовая компания»",
        "АО «ВЭСК»",
        "6950",
        2005,
        "vesk.example",
    ),
    OrgSpec(
        GAS,
        K.SUPPLIER,
        "Общество с ограниченной ответственностью «Верхневолжскгазсбыт»",
        "ООО «Верхневолжскгазсбыт»",
        "6950",
        2003,
        "vvgazsbyt.example",
    ),
    OrgSpec(
        TKO,
        K.SUPPLIER,
        "Общество с ограниченной ответственностью «Чистый край» (региональный оператор по "
        "обращению с ТКО)",
        "ООО «Чистый край»",
        "6949",
        2018,
        "chisty-kray.example",
    ),
    OrgSpec(
        FUND,
        K.CAPITAL_REPAIR_OPERATOR,
        "Некоммерческая организация «Фонд капитального ремонта многоквартирных домов Верхневолжья»",
        "Фонд капремонта",
        "6950",
        2014,
        "fkr-verhnevolzhye.example",
    ),
)


def _phone(rng: random.Random) -> str:
    return f"+7 (4822) {rng.randint(30, 79)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"


def organizations_make(rng: random.Random) -> list[Organization]:
    """Unsaved organizations in `SPECS` order; ``served_by`` is set by the caller."""
    result = []
    for spec in SPECS:
        bank = rng.choice(BANKS)
        result.append(
            Organization(
                code=spec.code,
                kind=spec.kind,
                name=spec.name,
                short_name=spec.short_name,
                inn=inn10(rng, tax_office=spec.tax_office),
                kpp=f"{spec.tax_office}01001",
                ogrn=ogrn13(rng, year=spec.registered, region="69"),
                legal_address=legal_address(rng),
                bank_name=bank.name,
                bic=bank.bic,
                settlement_account=bank.settlement_account(rng),
                correspondent_account=bank.correspondent_account,
                phone=_phone(rng),
                email=f"info@{spec.domain}",
                website=f"https://{spec.domain}/",
                office_hours=spec.office_hours,
                brand_name=spec.brand_name,
                color_primary=spec.color_primary,
                color_accent=spec.color_accent,
            )
        )
    return result
