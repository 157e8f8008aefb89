"""The public penalty calculator page (the issue 6 calculator, rules.md §3.6 P1)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

P1 = {"amount": "5000,00", "due": "2025-02-10", "until": "2025-05-20",
      "payments": "2025-05-20 5000,00"}  # fmt: skip


def test_the_worked_example_p1_without_signing_in():
    response = Client().get("/portal/penalty/", P1)
    assert response.status_code == 200
    assert response.context["calc"].penalty_kopecks == 127_88
    html = response.content.decode()
    assert 'id="penalty-total"' in html and "<strong>127,88 ₽</strong>" in html
    # the segments: days 31..90 at 1/300 and 91..99 at 1/130 (rules.md §3.6)
    days = [s.days for s in response.context["calc"].segments]
    assert days == [60, 9]
    assert "13.03.2025" in html and "12.05.2025" in html


def test_p1_with_the_payment_day_excluded():
    response = Client().get("/portal/penalty/", {**P1, "payment_day_excluded": "on"})
    assert response.context["calc"].penalty_kopecks == 124_23


def test_the_empty_form_computes_nothing():
    response = Client().get("/portal/penalty/")
    assert response.status_code == 200 and response.context["calc"] is None
    assert 'id="penalty-total"' not in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "пять"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-10"}, "amount"),
        ({"amount": "1000000000000"}, "amount"),
        ({"due": "2025-02-30"}, "due"),
        ({"until": "2025-01-01"}, "until"),
        ({"until": "2040-01-01"}, "until"),
        ({"payments": "вчера 10"}, "payments"),
        ({"payments": "2025-03-01 -5"}, "payments"),
        ({"payments": "\n".join(["2025-03-01 1"] * 61)}, "payments"),
    ],
    ids=["words", "zero", "negative", "huge", "bad-date", "before-due", "too-long",
         "bad-payment", "negative-payment", "too-many-payments"],
)  # fmt: skip
def test_bad_input_gets_a_message_on_its_field(change, field):
    response = Client().get("/portal/penalty/", {**P1, **change})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    html = response.content.decode()
    assert 'class="error"' in html and 'id="penalty-total"' not in html


def test_payments_above_the_debt_are_refused():
    response = Client().get("/portal/penalty/", {**P1, "payments": "2025-05-20 6000,00"})
    assert response.status_code == 200 and response.context["calc"] is None
    assert response.context["form"].non_field_errors()
