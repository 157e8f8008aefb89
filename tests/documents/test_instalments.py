"""An instalment plan on the ЕПД (ПП 354 п.69 «и»): the agreement, the next instalment after
the month and what remains — kept plans only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from raschet.debt.models import Instalment, InstalmentPlan, PlanState
from raschet.documents.assemble import documents_data
from raschet.documents.render import Renderer
from tests.documents.conftest import FEB, page_texts

pytestmark = pytest.mark.django_db


def plan(town, account, state=PlanState.ACTIVE) -> InstalmentPlan:
    p = InstalmentPlan.objects.create(
        organization=town.org, account=account, agreed_on=date(2025, 1, 20),
        debt_kopecks=3000_00, state=state,
    )  # fmt: skip
    for due, amount in ((date(2025, 2, 25), 1000_00), (date(2025, 3, 25), 1000_00),
                        (date(2025, 4, 25), 1000_00)):  # fmt: skip
        Instalment.objects.create(organization=town.org, plan=p, due_on=due, amount_kopecks=amount)
    return p


def notes(town) -> dict[str, str]:
    docs = documents_data(
        organization=town.org, period=FEB, account_ids=[a.pk for a in town.accounts]
    )
    return {d.account_number: d.content["instalment_note"] for d in docs}


def test_the_next_instalment_after_the_month_and_the_rest_are_printed(town, tmp_path):
    plan(town, town.flat2)
    found = notes(town)
    note = found[town.flat2.number]
    # February's instalment (25.02) is due inside the month: the next is March's
    assert "от 20.01.2025 на 3\u00a0000,00 ₽" in note
    assert "очередной платёж 1\u00a0000,00 ₽ до 25.03.2025" in note
    assert "осталось платежей 2 на 2\u00a0000,00 ₽" in note
    assert found[town.flat1.number] == "" and found[town.flat10.number] == ""
    docs = documents_data(organization=town.org, period=FEB, account_ids=[town.flat2.pk])
    with Renderer() as renderer:
        pdf = renderer.render(docs, timestamp=datetime(2025, 3, 3, tzinfo=UTC))
    assert "Рассрочка по соглашению" in page_texts(pdf, tmp_path)[0]


@pytest.mark.parametrize("state", [PlanState.BROKEN, PlanState.CANCELLED, PlanState.COMPLETED])
def test_a_plan_not_kept_is_not_printed(town, state):
    plan(town, town.flat2, state=state)
    assert notes(town)[town.flat2.number] == ""
