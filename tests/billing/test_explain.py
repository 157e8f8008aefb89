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


# --- derivation details (raschet.billing.derivation): figures the line does not store -------

from raschet.billing.explain import BenefitDetail, LineDetails, QualityDetail  # noqa: E402
from raschet.core.billing import BenefitBase, HeatingMode  # noqa: E402


def _details(line, **kw):
    figures = (line.method, line.volume, line.amount, line.reduction, line.benefit, 0)
    return LineDetails(figures=figures, **kw)


def _heating(**kw):
    # rules.md §1.9 C5: S = 54 m², N_T = 0.0215 Gcal/m², T = 2 850 ₽/Gcal
    base = dict(
        method=Method.HEATING_NORM,
        volume=677_250,
        coefficient_volume=0,
        rate=28_500_000,
        norm=21_500,
        persons=2,
        area=5400,
        amount=193016,
        coefficient_amount=0,
    )
    base.update(kw)
    return _line(**base)


def test_heating_norm_evenly_shows_k_season_months_over_twelve():
    # 54 × 0.0215 × 7/12 = 0.67725 Gcal; × 2 850 = 1 930.1625 → 1 930.16
    line = _heating()
    d = _details(line, heating_mode=HeatingMode.EVENLY, season_months=7)
    text = explain_line(line, unit="Гкал", details=d)
    assert "объём = 54 м² × 0,0215 Гкал/м² × 7/12 (оплата равномерно) = 0,67725 Гкал" in text
    assert "тариф 2850 ₽ → 1\u00a0930,16 ₽" in text


def test_details_of_other_figures_are_ignored():
    """Facts changed after posting: the recomputed figures differ, the details are not used."""
    line = _heating()
    d = LineDetails(figures=(9, 1, 1, 0, 0, 0), heating_mode=HeatingMode.EVENLY, season_months=7)
    assert "7/12" not in explain_line(line, unit="Гкал", details=d)


def test_building_meter_evenly_is_formula_3_1_with_last_years_volume():
    # 1 200 Gcal last year / 12 × 54 / 4 500 = 1.2 Gcal × 2 850 = 3 420.00
    line = _heating(method=Method.HEATING_BUILDING, volume=1_200_000, norm=None, amount=342000)
    d = _details(
        line,
        heating_mode=HeatingMode.EVENLY,
        building_volume_last_year=1_200_000_000,
        building_area=450_000,
        share_area=5400,
    )
    text = explain_line(line, unit="Гкал", details=d)
    assert "формула 3(1)" in text.splitlines()[0]
    assert (
        "объём = 1200 Гкал (общедомовой прибор за прошлый год) / 12 × S_i/S_ob 54 м² / 4500 м² "
        "= 1,2 Гкал"
    ) in text


def test_building_meter_in_season_is_formula_3_with_the_months_volume():
    # 180 Gcal × 54 / 4 500 = 2.16 Gcal
    line = _heating(method=Method.HEATING_BUILDING, volume=2_160_000, norm=None, amount=615600)
    d = _details(
        line,
        heating_mode=HeatingMode.SEASON,
        building_volume=180_000_000,
        building_area=450_000,
        share_area=5400,
    )
    text = explain_line(line, unit="Гкал", details=d)
    assert text.splitlines()[0].endswith("(ПП 354, формула 3)")
    assert "объём = V_D 180 Гкал × S_i/S_ob 54 м² / 4500 м² = 2,16 Гкал" in text


def _common(**kw):
    base = dict(
        method=Method.COMMON_CAPPED,
        volume=9_720_000,
        coefficient_volume=0,
        rate=61_700,
        norm=None,
        persons=0,
        area=5400,
        amount=5997,
        coefficient_amount=0,
    )
    base.update(kw)
    return _line(**base)


def test_common_property_shows_vd_sum_share_and_the_norm_cap():
    # (12 000 − 150) × 54 / 4 500 = 142.2 kWh > 0.9 × 900 × 54 / 4 500 = 9.72 kWh → 9.72
    line = _common()
    d = _details(
        line,
        building_volume=12_000_000_000,
        individual_total=150_000_000,
        building_area=450_000,
        common_area=90_000,
        share_area=5400,
        fact_volume=142_200_000,
        norm_volume=9_720_000,
        common_norm=900_000,
    )
    text = explain_line(line, unit="кВт·ч", details=d)
    assert (
        "на общее имущество = V_D 12000 кВт·ч − Σ V_u 150 кВт·ч (помещения) = 11850 кВт·ч" in text
    )
    assert "доля помещения S_i/S_ob = 54 м² / 4500 м²: 11850 × 54/4500 = 142,2 кВт·ч" in text
    assert "предел по нормативу = 0,9 кВт·ч/м² × S_oi 900 м² × 54/4500 = 9,72 кВт·ч" in text
    assert "больше норматива → начислено по нормативу 9,72 кВт·ч" in text


def test_common_property_negative_volume_is_zero_and_carried():
    # 14 − 12 − 3 carried = −1 m³; × 54/100 = −0.54 → 0 for the month, carried on
    line = _common(method=Method.COMMON_CARRIED, volume=0, amount=0, rate=509_300)
    d = _details(
        line,
        building_volume=14_000_000,
        individual_total=12_000_000,
        carry=3_000_000,
        carry_over=True,
        building_area=10_000,
        share_area=5400,
        fact_volume=-540_000,
        actual=True,
    )
    text = explain_line(line, unit="м³", details=d)
    assert (
        "на общее имущество = V_D 14 м³ − Σ V_u 12 м³ (помещения) − 3 м³ (отрицательный объём "
        "прошлых месяцев) = -1 м³"
    ) in text
    assert "-1 × 54/100 = -0,54 м³" in text
    assert "меньше нуля → за месяц 0 м³; отрицательный объём переносится" in text
    assert "предел по нормативу" not in text  # the owners chose the actual volume


def test_benefit_names_category_base_percent_and_persons():
    # 2 100.00 × 54/60 × 1/3 × 50 % = 315.00 (rules.md §4.2, social norm of area)
    line = _line(
        method=Method.AREA,
        volume=60_000_000,
        rate=350_000,
        norm=None,
        area=6000,
        amount=210000,
        coefficient_amount=0,
        benefit=-31500,
    )
    b = BenefitDetail(
        name="Инвалиды",
        cash=False,
        base=BenefitBase.SOCIAL_NORM_AREA,
        percent=5000,
        covered=1,
        residents=3,
        area=6000,
        social_norm_area=5400,
        norm_volume=0,
        volume=60_000_000,
        amount=31500,
    )
    text = explain_line(line, details=_details(line, benefit_base=210000, benefits=(b,)))
    assert (
        "льгота «Инвалиды»: 50 % от 2\u00a0100,00 ₽ × 54/60 м² (соц. норма 54 м²) × 1/3 чел. "
        "= 315,00 ₽"
    ) in text


def test_edk_row_names_its_category_too():
    # 500.00 × 33/40 × 1/1 × 100 % = 412.50
    line = _line(
        method=Method.AREA,
        volume=40_000_000,
        rate=125_000,
        norm=None,
        area=4000,
        amount=50000,
        coefficient_amount=0,
        benefit_cash=-41250,
    )
    b = BenefitDetail(
        name="Пенсионеры 80+",
        cash=True,
        base=BenefitBase.SOCIAL_NORM_AREA,
        percent=10000,
        covered=1,
        residents=1,
        area=4000,
        social_norm_area=3300,
        norm_volume=0,
        volume=40_000_000,
        amount=41250,
    )
    d = LineDetails(
        figures=(Method.AREA, 40_000_000, 50000, 0, 0, -41250),
        benefit_base=50000,
        benefits=(b,),
    )
    text = explain_line(line, details=d)
    assert (
        "ЕДК «Пенсионеры 80+»: 100 % от 500,00 ₽ × 33/40 м² (соц. норма 33 м²) × 1/1 чел. "
        "= 412,50 ₽" in text
    )
    assert "ЕДК (выплачивает орган соцзащиты, в счёт не входит): 412,50 ₽" in text


def test_quality_reduction_names_hours_beyond_the_limit_and_the_percent():
    # events 6 h + 6 h: max(12 − 8, 2 + 2) = 4 h × 0.15 % = 0.6 % of 1 000.00 = 6.00
    line = _line(
        method=Method.METER,
        volume=4_000_000,
        rate=2_500_000,
        norm=None,
        amount=100000,
        coefficient_amount=0,
        reduction=-600,
        reduction_reasons=2,
    )
    q = QualityDetail(
        kind="interruption", units=60, hours=12, excess_hours=4, total_limit=8, once_limit=4
    )
    d = _details(line, base_amount=100000, quality=(q,), quality_units=60, quality_amount=600)
    text = explain_line(line, unit="м³", details=d)
    assert (
        "перерыв 12 ч при допустимых 8 ч за месяц и 4 ч подряд: сверх допустимого 4 ч × "
        "0,15 %/ч = 0,6 %"
    ) in text
    assert "снижение за качество: 0,6 % × 1\u00a0000,00 ₽ = 6,00 ₽" in text


def test_absence_reduction_names_days_and_persons():
    # 748.67 × (1 person × 10 days) / (3 × 30) = 83.185… → 83.19
    line = _line(
        method=Method.NORM,
        coefficient_volume=0,
        amount=74867,
        coefficient_amount=0,
        reduction=-8319,
        reduction_reasons=1,
    )
    d = _details(
        line,
        base_amount=74867,
        residents=3,
        days_in_month=30,
        absences=((1, 10),),
        absence_amount=8319,
    )
    text = explain_line(line, unit="м³", details=d)
    assert (
        "временное отсутствие: 1 чел. × 10 дн. из 3 чел. × 30 дн.: 748,67 ₽ × 10/90 = 83,19 ₽"
        in text
    )


def test_shared_meter_by_persons_is_formula_7():
    # a communal flat's meter: 12 m³ × 2/5 persons = 4.8 m³
    line = _line(
        method=Method.METER,
        volume=4_800_000,
        coefficient_volume=0,
        norm=None,
        amount=24446,
        coefficient_amount=0,
    )
    d = _details(line, premises_volume=12_000_000, share_num=2, share_den=5, share_by="persons")
    text = explain_line(line, unit="м³", details=d)
    assert "объём помещения 12 м³ × 2/5 чел. (коммунальная квартира, ПП 354 формула 7)" in text
    assert "объём 4,8 м³" in text


def test_communal_flat_heating_area_is_formula_8():
    # 60 m² × 15 / 45 = 20 m²; × 0.0215 = 0.43 Gcal
    line = _heating(area=2000, volume=430_000, amount=122550)
    d = _details(
        line,
        heating_mode=HeatingMode.SEASON,
        flat_area=6000,
        room_living_area=1500,
        flat_living_area=4500,
    )
    text = explain_line(line, unit="Гкал", details=d)
    assert (
        "площадь для отопления в коммунальной квартире = 60 м² (квартира) × 15 м² (жилая "
        "площадь комнаты) / 45 м² (жилая площадь комнат квартиры) = 20 м² (ПП 354, формула 8)"
    ) in text
    assert "объём = 20 м² × 0,0215 Гкал/м² = 0,43 Гкал" in text


def test_catch_up_shows_reading_volume_less_the_averaged_months():
    # R_new − R_last = 30 m³; averaged 11.2024 6 m³ and 12.2024 6 m³ → 18 m³
    line = _line(
        method=Method.METER,
        volume=18_000_000,
        coefficient_volume=0,
        norm=None,
        amount=91674,
        coefficient_amount=0,
    )
    d = _details(
        line,
        reading_volume=30_000_000,
        averaged=((date(2024, 11, 1), 6_000_000), (date(2024, 12, 1), 6_000_000)),
    )
    text = explain_line(line, unit="м³", details=d)
    assert (
        "R_new − R_last = 30 м³, минус объёмы, начисленные по среднему (11.2024 — 6 м³, "
        "12.2024 — 6 м³): 30 − 12 = 18 м³"
    ) in text
