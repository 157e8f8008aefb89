"""The Russian derivation of charge and recalculation lines."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from raschet.billing.explain import explain_line
from raschet.core.billing import Method


def _line(**kw):
    base = dict(
        kind="charge",
        method=Method.NORM_COEFFICIENT,
        volume=14_700_000,
        coefficient_volume=7_350_000,
        rate=509_300,
        norm=4_900_000,
        persons=3,
        area=5400,
        average_months=0,
        segments=1,
        amount=112301,
        coefficient_amount=37434,
        reduction=0,
        benefit=0,
        corrects_period=date(2025, 1, 1),
        reason="",
    )
    base.update(kw)
    return SimpleNamespace(**base)


def test_charge_line_derivation_shows_norm_persons_tariff_and_coefficient():
    text = explain_line(_line(), unit="м³", service="Холодное водоснабжение")
    assert "3 чел. × норматив 4,9 м³ = 14,7 м³" in text
    assert "тариф 50,93 ₽ → 748,67 ₽" in text
    assert "повышающий коэффициент: +7,35 м³ → 374,34 ₽" in text
    assert text.endswith("итого 1\u00a0123,01 ₽")  # a non-breaking thousands space


def test_recalculation_line_shows_the_month_the_reason_and_signed_differences():
    line = _line(
        kind="recalculation",
        reason="изменён тариф",
        volume=0,
        coefficient_volume=0,
        rate=600_000,
        amount=19999,
        coefficient_amount=6666,
    )
    text = explain_line(line, unit="м³", service="ХВС")
    assert text.startswith("ХВС: перерасчёт за 01.2025: изменён тариф")
    assert "тариф 60 ₽" in text
    assert "начислено +199,99 ₽" in text
    assert "в т.ч. повышающий коэффициент +66,66 ₽" in text
    assert text.endswith("итого перерасчёт +199,99 ₽")
    assert "объём" not in text  # the volume did not change


def test_cash_benefit_is_named_as_edk_and_left_out_of_the_total():
    text = explain_line(_line(benefit=-5000, benefit_cash=-12478), unit="м³", service="ХВС")
    assert "льгота: -50,00 ₽" in text
    assert "ЕДК (выплачивает орган соцзащиты, в счёт не входит): 124,78 ₽" in text
    assert text.endswith("итого 1\u00a0073,01 ₽")  # 1 123.01 − 50.00, the ЕДК not taken off


def test_recalculation_reason_names_a_changed_cash_benefit():
    from raschet.billing.explain import recalculation_reason

    before = _line(benefit_cash=-100, fine=0)
    after = _line(benefit_cash=-200, fine=0)
    assert recalculation_reason(before, after) == "изменилась компенсация (ЕДК)"
    assert recalculation_reason(before, before) == "изменились данные расчёта"
