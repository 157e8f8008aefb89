"""Bad scenario files: each is refused with a message naming the file, the path and the line."""

from __future__ import annotations

import textwrap
from decimal import Decimal

import pytest

from raschet.scenarios.load import scenario_load
from raschet.scenarios.runner import compare
from raschet.scenarios.schema import parse_file, parse_text
from raschet.scenarios.yamlnodes import ScenarioError

BASE = textwrap.dedent(
    """\
    name: base
    services:
      cold_water:
        tariffs: [{from: 2025-01-01, rate: "50.93"}]
        norms: [{from: 2025-01-01, per_person: "4.9"}]
    buildings:
      - id: b1
        premises:
          - number: "1"
            area_m2: "54.0"
            accounts:
              - number: "100001"
                residents: 3
                services:
                  - {service: cold_water, method: meter}
                meters:
                  - service: cold_water
                    readings: {2024-12: "123.456", 2025-01: "130.456"}
    periods: [2025-01]
    expect:
      lines:
        - {account: "100001", period: 2025-01, service: cold_water, amount: "356.51"}
    """
)


def error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_text(text, file="s.yaml")
    return info.value


def test_base_is_valid() -> None:
    s = parse_text(BASE, file="s.yaml")
    account = s.buildings[0].premises[0].accounts[0]
    assert account.meters[0].readings[1].values == (("single", Decimal("130.456")),)
    assert s.expect[0].fields == {"amount": Decimal("356.51")}


def test_unknown_key_names_path_and_line() -> None:
    e = error(BASE.replace("residents: 3", "residents: 3\n            colour: red"))
    assert str(e).startswith("s.yaml, строка 14, buildings[0].premises[0].accounts[0].colour:")
    assert "неизвестный ключ «colour»" in str(e)


def test_unknown_top_level_key() -> None:
    e = error(BASE + "extra: 1\n")
    assert e.where.path == "extra" and e.where.line == 23


def test_bad_decimal() -> None:
    e = error(BASE.replace('"130.456"', '"130,456"'))
    assert "buildings[0].premises[0].accounts[0].meters[0].readings.2025-01" in str(e)
    assert "строка 18" in str(e)
    assert "не десятичное число" in str(e)


def test_unquoted_decimal_is_exact() -> None:
    s = parse_text(BASE.replace('rate: "50.93"', "rate: 50.93"), file="s.yaml")
    assert s.services["cold_water"].tariffs[0].rate == Decimal("50.93")


def test_bad_month() -> None:
    e = error(BASE.replace("periods: [2025-01]", "periods: [2025-13]"))
    assert e.where.path == "periods[0]" and e.where.line == 19
    assert "ожидается месяц ГГГГ-ММ" in str(e)


def test_date_where_a_month_is_expected() -> None:
    e = error(BASE.replace("periods: [2025-01]", "periods: [2025-01-01]"))
    assert "а здесь дата" in str(e)


def test_bad_date() -> None:
    e = error(BASE.replace("{from: 2025-01-01, rate", "{from: 2025-02-30, rate"))
    assert e.where.path == "services.cold_water.tariffs[0].from"
    assert "ожидается дата" in str(e)


def test_payments_are_refused_not_ignored() -> None:
    e = error(
        BASE.replace(
            "residents: 3", 'residents: 3\n            payments: [{date: 2025-02-05, amount: "1"}]'
        )
    )
    assert e.where.path.endswith("accounts[0].payments")
    assert "платежи" in str(e) and "пока не поддерживаются" in str(e)


def test_duplicate_account() -> None:
    text = BASE.replace(
        "    periods:",
        "",
    )
    text = BASE.replace(
        "periods: [2025-01]",
        textwrap.dedent(
            """\
              - id: b2
                premises:
                  - number: "1"
                    area_m2: "30"
                    accounts:
                      - number: "100001"
            periods: [2025-01]"""
        ),
    )
    e = error(text)
    assert "лицевой счёт «100001» уже описан" in str(e)
    assert e.where.path == "buildings[1].premises[0].accounts[0]"


def test_duplicate_yaml_key() -> None:
    e = error(BASE.replace('2025-01: "130.456"}', '2025-01: "130.456", 2025-01: "131"}'))
    assert "ключ «2025-01» повторяется" in str(e)
    assert e.where.line == 18


def test_missing_tariff() -> None:
    e = error(
        BASE.replace(
            "{service: cold_water, method: meter}",
            "{service: cold_water}\n              - {service: maintenance}",
        )
    )
    assert "для услуги «maintenance» не задан тариф" in str(e)
    assert e.where.path == "buildings[0].premises[0].accounts[0].services[1]"


def test_unknown_service() -> None:
    e = error(BASE.replace("  cold_water:\n    tariffs", "  cold_watr:\n    tariffs"))
    assert "неизвестная услуга «cold_watr»" in str(e)
    assert e.where.line == 3


def test_meter_without_service() -> None:
    e = error(
        BASE.replace("- {service: cold_water, method: meter}", "[]").replace(
            "services:\n                  []", "services: []"
        )
    )
    assert "не подключена к счёту" in str(e)


def test_lower_reading() -> None:
    e = error(BASE.replace('"130.456"', '"120.000"'))
    assert "меньше предыдущего" in str(e)


def test_expected_line_of_unknown_account() -> None:
    e = error(BASE.replace('{account: "100001", period', '{account: "100002", period'))
    assert "нет лицевого счёта «100002»" in str(e) and e.where.path == "expect.lines[0]"


def test_expected_period_not_billed() -> None:
    e = error(BASE.replace("period: 2025-01, service", "period: 2025-02, service"))
    assert "не рассчитывается" in str(e)


def test_periods_out_of_order() -> None:
    e = error(BASE.replace("periods: [2025-01]", "periods: [2025-02, 2025-01]"))
    assert "по порядку" in str(e)


def test_required_key() -> None:
    e = error(BASE.replace('        area_m2: "54.0"\n', ""))
    assert "не хватает ключа «area_m2»" in str(e)
    assert e.where.path == "buildings[0].premises[0]"


def test_norm_needs_one_basis() -> None:
    e = error(BASE.replace('per_person: "4.9"', 'per_person: "4.9", per_m2: "1"'))
    assert "ровно один" in str(e)


def test_change_after_last_period() -> None:
    e = error(BASE + "changes:\n  - after_period: 2025-01\n")
    assert "не последним" in str(e) and e.where.path == "changes[0]"


def test_yaml_syntax_error_has_line() -> None:
    e = error(BASE.replace("periods: [2025-01]", "periods: [2025-01"))
    assert "ошибка синтаксиса YAML" in str(e) and e.where.line is not None


def test_interruption_needs_events() -> None:
    text = BASE.replace(
        "residents: 3",
        "residents: 3\n            quality_acts: [{service: cold_water, period: 2025-01, "
        "kind: interruption, hours: 12}]",
    )
    e = error(text)
    assert "events_hours" in str(e)


@pytest.mark.parametrize(
    ("act", "fragment"),
    [
        ('kind: below_40, hours: 5, temperature: "35"', "только по горячей воде"),
        ("kind: maintenance, hours: 5", "только по горячей воде"),
        ('kind: fine, overcharge: "0"', "больше нуля"),
        ("kind: fine", "нужен ключ «overcharge»"),
        ("kind: upkeep_days, days: 40", "40"),
        ("kind: upkeep_days, days: 3, hours: 5", "задаются только: «days»"),
    ],
)
def test_operator_acts_are_checked(act: str, fragment: str) -> None:
    text = BASE.replace(
        "residents: 3",
        "residents: 3\n            quality_acts: [{service: cold_water, period: 2025-01, "
        f"{act}}}]",
    )
    assert fragment in str(error(text))


def test_below_40_needs_a_temperature_below_40() -> None:
    text = BASE.replace(
        "cold_water:\n    tariffs", "hot_water:\n    tariffs: []\n  cold_water:\n    tariffs"
    ).replace(
        "residents: 3",
        "residents: 3\n            quality_acts: [{service: hot_water, period: 2025-01, "
        'kind: below_40, hours: 5, temperature: "40"}]',
    )
    assert "ниже 40 °C" in str(error(text))


def test_benefit_model_is_discount_or_cash() -> None:
    category = (
        "benefit_categories:\n"
        '  - {code: v, percent: "50", services: {cold_water: per_person_share}, model: %s}\n'
    )
    assert parse_text(category % "cash" + BASE, file="s.yaml").benefit_categories[0].model == "cash"
    assert parse_text(BASE, file="s.yaml").benefit_categories == ()
    plain = category.replace(", model: %s", "")
    assert parse_text(plain + BASE, file="s.yaml").benefit_categories[0].model == "discount"
    e = error(category % "gift" + BASE)
    assert "benefit_categories[0].model" in str(e)
    assert "«gift» — недопустимое значение; допустимы: discount, cash" in str(e)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="файл не найден"):
        parse_file(tmp_path / "nope.yaml")


@pytest.mark.django_db
def test_model_validation_names_the_place() -> None:
    s = parse_text(
        BASE.replace('number: "100001"', 'number: "100 001"').replace(
            'account: "100001"', 'account: "100 001"'
        ),
        file="s.yaml",
    )
    with pytest.raises(ScenarioError) as info:
        scenario_load(s)
    assert info.value.where.path == "buildings[0].premises[0].accounts[0]"
    assert "номер" in str(info.value).lower()


@pytest.mark.django_db
def test_no_access_state() -> None:
    from raschet.metering.models import MeterState

    s = parse_text(
        BASE.replace(
            'readings: {2024-12: "123.456", 2025-01: "130.456"}',
            'readings: {2024-12: "123.456", 2025-01: "130.456"}\n'
            "                state: {no_access_from: 2025-01}",
        ),
        file="s.yaml",
    )
    if "no_access" in MeterState.values:
        scenario_load(s)
        return
    with pytest.raises(ScenarioError, match="пока не поддерживается") as info:
        scenario_load(s)
    assert info.value.where.path.endswith("meters[0].state.no_access_from")


def test_compare_report_lists_missing_and_differing() -> None:
    s = parse_text(
        BASE.replace(
            '      - {account: "100001", period: 2025-01, service: cold_water, amount: "356.51"}',
            '      - {account: "100001", period: 2025-01, service: cold_water, amount: "356.51",'
            " method: meter}",
        ),
        file="s.yaml",
    )
    ok, report = compare(s, [])
    assert not ok and "строки нет в расчёте" in report
    line = {
        "account": "100001",
        "period": "2025-01",
        "service": "cold_water",
        "amount": "356.5",
        "method": "meter",
    }
    ok, report = compare(s, [line])
    assert not ok
    assert "amount: ожидалось 356.51, получено 356.5" in report
    ok, _ = compare(s, [{**line, "amount": "356.510"}])
    assert ok


# -- capital-repair exemptions (rules.md §2.2) ----------------------------------------------

_EXEMPT = "  - id: b1\n    capital_repair_exemptions:\n      - {reason: %s, from: %s%s}\n"


def _with_exemption(reason: str, start: str = "2025-01-10", extra: str = "") -> str:
    return BASE.replace("  - id: b1\n", _EXEMPT % (reason, start, extra))


def test_an_exemption_is_read() -> None:
    s = parse_text(
        _with_exemption("emergency", extra=', document: "акт № 1", document_date: 2025-01-05'),
        file="s.yaml",
    )
    (ex,) = s.buildings[0].exemptions
    assert (ex.reason, str(ex.valid_from), ex.valid_to, ex.document) == (
        "emergency",
        "2025-01-10",
        None,
        "акт № 1",
    )


def test_an_unknown_exemption_reason_names_its_place() -> None:
    e = error(_with_exemption("flood"))
    assert "buildings[0].capital_repair_exemptions[0].reason" in str(e)


def test_an_exemption_ending_before_it_starts_is_refused() -> None:
    e = error(_with_exemption("emergency", extra=", to: 2025-01-05"))
    assert "buildings[0].capital_repair_exemptions[0].to" in str(e)


def test_a_change_of_an_unknown_building_is_refused() -> None:
    text = BASE.replace("periods: [2025-01]", "periods: [2025-01, 2025-02]") + (
        "changes:\n  - after_period: 2025-01\n    buildings:\n      b9:\n"
        "        capital_repair_exemptions: [{reason: emergency, from: 2025-01-01}]\n"
    )
    assert "нет дома с id «b9»" in str(error(text))


@pytest.mark.django_db
def test_a_new_building_without_an_end_is_refused_when_loaded() -> None:
    scenario = parse_text(_with_exemption("new_building"), file="s.yaml")
    with pytest.raises(ScenarioError) as info:
        scenario_load(scenario)
    assert "buildings[0].capital_repair_exemptions[0]" in str(info.value)
