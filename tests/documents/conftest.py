"""A closed month to print: a small building billed by the real engine, paid and penalised.

`town` loads a three-flat building through the scenario loader (the same path as the golden
scenarios), gives its two services two payees with their own banks, and then does what an
operator does: bills January and closes it; learns of a higher maintenance tariff from
1 January (→ a recalculation of January in February, with its reason); takes a payment in
February; posts a penalty; bills February and closes it. February is the month the
documents are printed for. Flat 10 pays more for cold water than it owes, so its water payee
has an advance and nothing due (no QR code for it).

Flats are created in the order 10, 2, 1 so that the database order differs from the
delivery order (1, 2, 10).
"""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from PIL import Image

from raschet.billing.services import billing_month_close, billing_run
from raschet.core.bankkey import account_key
from raschet.core.qr import qr_encoding
from raschet.housing.models import Account
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import Organization, OrganizationKind
from raschet.payments.models import Channel, Payment, PaymentSource
from raschet.payments.services import Target, payment_create
from raschet.scenarios.load import scenario_load
from raschet.scenarios.schema import parse_text
from raschet.tariffs.models import Service, ServiceContract

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
MAR = date(2025, 3, 1)

SCENARIO = """
name: ЕПД — дом на три квартиры
social_norms_m2: {single: "33", two: "42", per_person: "18"}
benefit_categories:
  - code: disabled
    name: Инвалиды
    percent: "50"
    covers: beneficiary
    services: {maintenance: social_norm_area}
services:
  maintenance:
    tariffs: [{from: 2025-01-01, rate: "35.00"}]
  cold_water:
    tariffs: [{from: 2025-01-01, rate: "50.93"}]
    norms: [{from: 2025-01-01, per_person: "4.9"}]
buildings:
  - id: b1
    address: г. Тверь, ул. Садовая, д. 7
    premises:
      - number: "10"
        area_m2: "40.0"
        accounts:
          - number: "100010"
            payer: Петров Пётр Петрович
            residents: 2
            services:
              - {service: maintenance}
              - {service: cold_water, method: norm, meter_possible: false}
      - number: "2"
        area_m2: "60.0"
        accounts:
          - number: "100002"
            payer: Иванов Иван Иванович
            residents:
              - name: Иванов Иван Иванович
                from: 2010-01-01
                benefits: [{category: disabled, from: 2020-01-01}]
              - {name: Иванова Мария Петровна, from: 2010-01-01}
              - {name: Иванов Пётр Иванович, from: 2015-03-01}
            services:
              - {service: maintenance}
              - {service: cold_water, method: meter}
            meters:
              - service: cold_water
                serial: ХВ-2002
                readings: {2024-12: "100.000", 2025-01: "120.000", 2025-02: "131.500"}
      - number: "1"
        area_m2: "33.0"
        accounts:
          - number: "100001"
            payer: Сидорова Анна Сергеевна
            residents: 1
            services: [{service: maintenance}]
periods: [2025-01, 2025-02]
changes:
  - after_period: 2025-01
    services:
      maintenance:
        tariffs: [{from: 2025-01-01, rate: "40.00"}]
"""

PAYMENT_KOPECKS = 1500_00
WATER_OVERPAYMENT_KOPECKS = 1100_00
PENALTY_KOPECKS = 12_34


def valid_account(bic: str, body: str, *, correspondent: bool = False) -> str:
    """``body`` (20 digits) with the control key of rules.md §8.3 put in its 9th digit."""
    key = account_key(bic, body, correspondent=correspondent)
    return body[:8] + str(key) + body[9:]


def bank_details(bic: str, bank_name: str, number: str) -> dict[str, str]:
    return {
        "bic": bic,
        "bank_name": bank_name,
        "settlement_account": valid_account(bic, f"40702810{number:0>12}"),
        "correspondent_account": valid_account(
            bic, "30101810" + "0" * 9 + bic[-3:], correspondent=True
        ),
    }


@dataclass
class Town:
    org: Organization
    vodokanal: Organization
    maintenance: Service
    water: Service
    flat1: Account  # 100001: maintenance only (one payee)
    flat2: Account  # 100002: meter, benefit, recalculation, payment, penalty
    flat10: Account  # 100010: cold water by norm, overpaid (an advance with the water payee)
    payment: Payment
    building_id: int

    @property
    def accounts(self) -> list[Account]:
        return [self.flat1, self.flat2, self.flat10]


def build_town(*, maintenance_contract: bool = True) -> Town:
    """Without ``maintenance_contract`` no contract names a payee of maintenance: its lines
    and entries carry no payee (the organization itself is paid)."""
    scenario = parse_text(SCENARIO, file="epd.yaml")
    loaded = scenario_load(scenario)
    org = loaded.organization
    Organization.objects.filter(pk=org.pk).update(
        name="Общество с ограниченной ответственностью «Управляющая компания Садовая»",
        short_name="ООО «УК Садовая»",
        legal_address="г. Тверь, ул. Садовая, д. 1",
        phone="+7 4822 00-00-00",
        **bank_details("042809701", "АО «Банк Верхневолжье»", "11"),
    )
    org.refresh_from_db()
    vodokanal = Organization.objects.create(
        code=f"vodokanal-{org.pk}",
        kind=OrganizationKind.SUPPLIER,
        name="Акционерное общество «Тверской Водоканал»",
        short_name="АО «Тверской Водоканал»",
        inn="7802895380",
        kpp="780201001",
        ogrn="1027700132195",
        **bank_details("044525974", "Московский филиал АО «Коммунальный банк»", "22"),
    )
    maintenance = Service.objects.get(organization=org, code="maintenance")
    water = Service.objects.get(organization=org, code="cold_water")
    accounts = {a.number: a for a in Account.objects.filter(organization=org)}
    building_id = accounts["100002"].premises.building_id
    contracts = [(water, vodokanal)]
    if maintenance_contract:
        contracts.append((maintenance, org))
    for service, payee in contracts:
        ServiceContract.objects.create(
            organization=org,
            building_id=building_id,
            service=service,
            payee=payee,
            valid_from=date(2020, 1, 1),
        )
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    for change in scenario.changes:
        loaded.apply_change(change)
    source = PaymentSource.objects.create(
        organization=org, code="sber", name="Сбербанк", channel=Channel.BANK, layout="sberbank"
    )
    payment, _ = payment_create(
        organization=org,
        source=source,
        account=accounts["100002"],
        amount_kopecks=PAYMENT_KOPECKS,
        paid_on=date(2025, 2, 14),
        operation_id="feb-1",
        today=date(2025, 2, 14),
    )
    payment_create(
        organization=org,
        source=source,
        account=accounts["100010"],
        amount_kopecks=WATER_OVERPAYMENT_KOPECKS,
        paid_on=date(2025, 2, 20),
        operation_id="feb-2",
        targets=[Target(water, WATER_OVERPAYMENT_KOPECKS)],
        today=date(2025, 2, 20),
    )
    LedgerEntry.objects.create(
        organization=org,
        account=accounts["100002"],
        service=maintenance,
        payee=org if maintenance_contract else None,
        period=FEB,
        corrects_period=FEB,
        kind=EntryKind.PENALTY,
        penalty=True,
        debt_period=FEB,
        amount_kopecks=PENALTY_KOPECKS,
        posted_at=timezone.now(),
        note="пени за январь",
    )
    billing_run(organization=org, period=FEB)
    billing_month_close(organization=org, period=FEB)
    fresh = {a.number: a for a in Account.objects.filter(organization=org)}
    return Town(
        org=org,
        vodokanal=vodokanal,
        maintenance=maintenance,
        water=water,
        flat1=fresh["100001"],
        flat2=fresh["100002"],
        flat10=fresh["100010"],
        payment=payment,
        building_id=building_id,
    )


@pytest.fixture
def town(db) -> Town:
    return build_town()


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    """The archive (RASCHET_DATA_DIR/documents) of each test in its own folder."""
    settings.DATA_DIR = tmp_path / "data"


# ----------------------------------------------------------------------------- ledger


def payee_entries(town: Town, account: Account, payee: Organization) -> QuerySet[LedgerEntry]:
    """The account's ledger entries of services paid to ``payee``; a service without a
    payee is paid to the organization itself."""
    to_payee = Q(payee_id=payee.pk)
    if payee.pk == town.org.pk:
        to_payee |= Q(payee_id__isnull=True)
    return LedgerEntry.objects.filter(to_payee, account_id=account.pk, service_id__isnull=False)


def total(entries: QuerySet[LedgerEntry]) -> int:
    return int(entries.aggregate(s=Sum("amount_kopecks"))["s"] or 0)


def ledger_due(town: Town, account: Account, payee: Organization, period: date = FEB) -> int:
    """What the account owes the payee at the end of ``period`` (negative: an advance),
    summed from the ledger."""
    return total(payee_entries(town, account, payee).filter(period__lte=period))


# ----------------------------------------------------------------------------- reading PDFs


def kopecks(text: str) -> int:
    """``1 234,56`` (spaces or no-break spaces between thousands) → 123456."""
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    match = re.fullmatch(r"(-?)(\d+),(\d{2})", cleaned)
    assert match, f"not an amount: {text!r}"
    sign = -1 if match.group(1) else 1
    return sign * (int(match.group(2)) * 100 + int(match.group(3)))


def pdf_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def pdf_text(pdf: bytes, tmp_path: Path, *, mode: str = "-raw") -> str:
    """The text of the PDF (`pdftotext`): in the order it was drawn (``-raw``: a payee
    block stays together even when two blocks stand side by side), or laid out as on the
    page (``-layout``)."""
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(  # noqa: S603 - a fixed tool on a file of our own
        ["pdftotext", mode, "-enc", "UTF-8", str(path), "-"],  # noqa: S607
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def page_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page (pdftotext ends every page with a form feed)."""
    return pdf_text(pdf, tmp_path).split("\f")[:-1]


def page_images(pdf: bytes, tmp_path: Path) -> list[Path]:
    """Each page as a 200 dpi greyscale image (`pdftoppm -r 200 -gray`)."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(  # noqa: S603 - a fixed tool on a file of our own
        ["pdftoppm", "-r", "200", "-gray", str(path), str(tmp_path / "page")],  # noqa: S607
        check=True,
        capture_output=True,
    )
    return sorted(tmp_path.glob("page-*.pgm"))


def qr_payloads(image: Path) -> list[str]:
    """Every QR code on the page image, decoded in the encoding its service block declares
    (ГОСТ Р 56042 §6.1: the digit after ``ST0001``)."""
    payloads = []
    with Image.open(image) as picture:
        codes = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)
    for code in codes:
        raw = bytes(code.bytes)
        payloads.append(raw.decode(qr_encoding(raw[:8].decode("ascii"))))
    return payloads


def page_amounts(text: str, label: str) -> list[int]:
    """The amounts printed after ``label`` on a page, left to right, top to bottom."""
    return [kopecks(m) for m in re.findall(label + r"\s+(-?\d[\d\u00a0\u202f ]*,\d{2})", text)]
