"""The ЕПД of a building whose contributions go to the regional operator: the operator gets
its own payee block with its bank details and its own QR code for exactly its amount due,
apart from the management company's (rules.md §2.2, §5, §6)."""

from __future__ import annotations

from datetime import date

import pytest

from raschet.billing.services import billing_month_close, billing_run
from raschet.core.qr import qr_parse
from raschet.documents.assemble import documents_data
from raschet.housing.models import Account
from raschet.ledger.models import LedgerEntry
from raschet.organizations.models import Organization, OrganizationKind
from raschet.scenarios.load import scenario_load
from raschet.scenarios.schema import parse_text
from raschet.tariffs.models import Service, ServiceContract
from tests.documents.conftest import bank_details

pytestmark = pytest.mark.django_db

JAN = date(2025, 1, 1)

SCENARIO = """
name: ЕПД — взнос на капремонт региональному оператору
services:
  maintenance:
    tariffs: [{from: 2025-01-01, rate: "35.00"}]
  capital_repair:
    tariffs: [{from: 2025-01-01, rate: "11.96"}]
buildings:
  - id: b1
    address: г. Тверь, ул. Садовая, д. 9
    premises:
      - number: "1"
        area_m2: "50.0"
        accounts:
          - number: "200001"
            payer: Петров Пётр Петрович
            residents: 1
            services: [{service: maintenance}, {service: capital_repair}]
periods: [2025-01]
"""


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def test_the_regional_operator_has_its_own_block_and_qr_code():
    loaded = scenario_load(parse_text(SCENARIO, file="capital.yaml"))
    org = loaded.organization
    Organization.objects.filter(pk=org.pk).update(
        short_name="ООО «УК Садовая»", **bank_details("042809701", "АО «Банк Верхневолжье»", "11")
    )
    operator = Organization.objects.create(
        code=f"fkr-{org.pk}", kind=OrganizationKind.CAPITAL_REPAIR_OPERATOR,
        name="НО «Фонд капитального ремонта Тверской области»", short_name="Фонд капремонта",
        inn="7802895380", kpp="780201001", ogrn="1027700132195",
        **bank_details("044525974", "Московский филиал АО «Коммунальный банк»", "33"),
    )  # fmt: skip
    account = Account.objects.get(organization=org, number="200001")
    repair = Service.objects.get(organization=org, code="capital_repair")
    ServiceContract.objects.create(
        organization=org, building_id=account.premises.building_id, service=repair,
        payee=operator, valid_from=date(2020, 1, 1),
    )  # fmt: skip
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    owed = sum(
        LedgerEntry.objects.filter(account_id=account.pk, payee_id=operator.pk).values_list(
            "amount_kopecks", flat=True
        )
    )
    assert owed == 50 * 11_96  # 50 m² × 11,96 ₽

    (doc,) = documents_data(organization=org, period=JAN, account_ids=[account.pk])
    blocks = {
        qr.payee_id: (block, qr) for block, qr in zip(doc.content["payees"], doc.qr, strict=True)
    }
    assert set(blocks) == {org.pk, operator.pk}
    block, qr = blocks[operator.pk]
    assert (block["inn"], block["account"], block["bic"]) == (
        operator.inn, operator.settlement_account, operator.bic,
    )  # fmt: skip
    fields = qr_parse(qr.payload)
    assert fields["PersonalAcc"] == operator.settlement_account
    assert fields["PayeeINN"] == operator.inn
    assert int(fields["Sum"]) == owed
    _own_block, own_qr = blocks[org.pk]
    assert qr_parse(own_qr.payload)["PersonalAcc"] != operator.settlement_account
    assert doc.amount_due == owed + int(qr_parse(own_qr.payload)["Sum"])


def test_a_special_account_gets_its_own_block_with_its_bank_details():
    """ЖК ст.170 ч.3 п.1, ст.175: the contributions of a building with a special account are
    paid into that account, not into the management company's: the ЕПД gives the special
    account its own block and QR code even when the company owns the account and is the
    payee of both (the company's block keeps only its own services)."""
    from raschet.capitalrepair.models import FundModel
    from raschet.capitalrepair.services import fund_set
    from tests.capitalrepair.conftest import BIC, CORRESPONDENT, SPECIAL_ACCOUNT

    loaded = scenario_load(parse_text(SCENARIO, file="capital.yaml"))
    org = loaded.organization
    Organization.objects.filter(pk=org.pk).update(
        short_name="ООО «УК Садовая»", **bank_details("042809701", "АО «Банк Верхневолжье»", "11")
    )
    org.refresh_from_db()
    account = Account.objects.get(organization=org, number="200001")
    repair = Service.objects.get(organization=org, code="capital_repair")
    fund = fund_set(
        building=account.premises.building, fund_model=FundModel.SPECIAL_ACCOUNT,
        service=repair, payee=org, account_owner=org, valid_from=date(2024, 1, 1),
        bank_name="ПАО Сбербанк", bic=BIC, special_account=SPECIAL_ACCOUNT,
        correspondent_account=CORRESPONDENT, decision="протокол ОСС № 1",
    )  # fmt: skip
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    total = sum(
        LedgerEntry.objects.filter(account_id=account.pk).values_list("amount_kopecks", flat=True)
    )
    contributions = 50 * 11_96

    (doc,) = documents_data(organization=org, period=JAN, account_ids=[account.pk])
    blocks = {
        qr.payee_id: (block, qr) for block, qr in zip(doc.content["payees"], doc.qr, strict=True)
    }
    assert list(blocks) == [org.pk, -fund.pk]  # the company first, the special account last
    block, qr = blocks[-fund.pk]
    assert block["name"] == "ООО «УК Садовая», специальный счёт капремонта"
    assert (block["inn"], block["account"], block["bic"], block["corr"]) == (
        org.inn, SPECIAL_ACCOUNT, BIC, CORRESPONDENT,
    )  # fmt: skip
    fields = qr_parse(qr.payload)
    assert fields["PersonalAcc"] == SPECIAL_ACCOUNT and fields["BIC"] == BIC
    assert fields["PayeeINN"] == org.inn and fields["Name"] == org.name
    assert int(fields["Sum"]) == contributions
    assert fields["Purpose"].startswith("Взнос на капремонт за январь 2025")
    _own_block, own_qr = blocks[org.pk]
    own = qr_parse(own_qr.payload)
    assert own["PersonalAcc"] == org.settlement_account
    assert int(own["Sum"]) == total - contributions  # the maintenance only
    assert doc.amount_due == total
