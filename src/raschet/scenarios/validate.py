"""Cross-references of a parsed scenario: accounts, services, buildings, months, tariffs."""

from __future__ import annotations

from datetime import date

from raschet.scenarios.facts import (
    AccountDef,
    AccountServiceDef,
    NormRow,
    QualityActDef,
    Scenario,
    ServiceRates,
    TariffRow,
)
from raschet.scenarios.yamlnodes import Node, ScenarioError, Where
from raschet.tariffs.catalogue import CATALOGUE

SERVICES = {e.code: e for e in CATALOGUE}


def validate(s: Scenario, periods_node: Node) -> None:
    if not s.periods:
        periods_node.fail("список месяцев пуст")
    for earlier, later in zip(s.periods, s.periods[1:], strict=False):
        if later <= earlier:
            periods_node.fail(
                f"месяцы должны идти по порядку без повторов: {later:%Y-%m} после {earlier:%Y-%m}"
            )
    building_ids: dict[str, Where] = {}
    for b in s.buildings:
        if b.id in building_ids:
            raise ScenarioError(b.where, f"дом с id «{b.id}» уже описан ({building_ids[b.id]})")
        building_ids[b.id] = b.where
    categories = {c.code for c in s.benefit_categories}
    if len(categories) != len(s.benefit_categories):
        raise ScenarioError(s.benefit_categories[-1].where, "коды льготных категорий повторяются")
    _validate_rates(s.services, building_ids)
    accounts: dict[str, AccountDef] = {}
    for b in s.buildings:
        numbers: set[str] = set()
        for p in b.premises:
            if p.number in numbers:
                raise ScenarioError(p.where, f"помещение № {p.number} в доме «{b.id}» уже описано")
            numbers.add(p.number)
        for act in b.quality_acts:
            _check_act_period(act, s.periods)
    for _, _, a in s.accounts():
        if a.number in accounts:
            raise ScenarioError(
                a.where, f"лицевой счёт «{a.number}» уже описан ({accounts[a.number].where})"
            )
        accounts[a.number] = a
        _validate_account(s, a, categories)
    for i, change in enumerate(s.changes):
        if change.after_period not in s.periods or change.after_period == s.periods[-1]:
            raise ScenarioError(
                change.where,
                f"изменения после {change.after_period:%Y-%m}: этот месяц должен быть в "
                "«periods» и не последним (изменения видны в следующем расчёте)",
            )
        if i and change.after_period < s.changes[i - 1].after_period:
            raise ScenarioError(change.where, "изменения должны идти по порядку месяцев")
        merged = {**s.services, **change.services}
        _validate_rates(change.services, building_ids)
        for bc in change.buildings:
            if bc.id not in building_ids:
                raise ScenarioError(bc.where, f"нет дома с id «{bc.id}»")
        for ac in change.accounts:
            if ac.number not in accounts:
                raise ScenarioError(ac.where, f"нет лицевого счёта «{ac.number}»")
            for r in ac.residents or ():
                for right in r.benefits:
                    if right.category not in categories:
                        raise ScenarioError(
                            right.where, f"нет льготной категории «{right.category}»"
                        )
            for act in ac.quality_acts:
                _check_act_period(act, s.periods)
        for code, rates in change.services.items():
            if not merged[code].tariffs and any(
                svc.service == code for _, _, a in s.accounts() for svc in a.services
            ):
                raise ScenarioError(rates.where, f"у услуги «{code}» не остаётся тарифов")
    seen: dict[tuple[str, date, str], Where] = {}
    for line in s.expect:
        key = (line.account, line.period, line.service)
        if key in seen:
            raise ScenarioError(
                line.where,
                f"строка {line.account} {line.period:%Y-%m} {line.service} уже ожидается "
                f"({seen[key]})",
            )
        seen[key] = line.where
        if line.account not in accounts:
            raise ScenarioError(line.where, f"нет лицевого счёта «{line.account}»")
        if line.period not in s.periods:
            raise ScenarioError(
                line.where, f"месяц {line.period:%Y-%m} не рассчитывается (его нет в «periods»)"
            )
        if line.service not in {svc.service for svc in accounts[line.account].services}:
            raise ScenarioError(
                line.where,
                f"услуга «{line.service}» не подключена к счёту {line.account} "
                "(нет её в «services» счёта)",
            )


def _validate_rates(services: dict[str, ServiceRates], buildings: dict[str, Where]) -> None:
    for code, rates in services.items():
        rows: list[TariffRow | NormRow] = [*rates.tariffs, *rates.norms]
        for row in rows:
            if row.building is not None and row.building not in buildings:
                raise ScenarioError(row.where, f"нет дома с id «{row.building}»")
        max_zones = SERVICES[code].max_zones
        for t in rates.tariffs:
            if t.zone != "single" and max_zones == 1:
                raise ScenarioError(t.where, f"у услуги «{code}» нет тарифных зон")


def _check_act_period(act: QualityActDef, periods: tuple[date, ...]) -> None:
    if act.period not in periods:
        raise ScenarioError(
            act.where, f"месяц акта {act.period:%Y-%m} не рассчитывается (его нет в «periods»)"
        )


def _validate_account(s: Scenario, a: AccountDef, categories: set[str]) -> None:
    connected: dict[str, AccountServiceDef] = {}
    for svc in a.services:
        if svc.service in connected:
            raise ScenarioError(svc.where, f"услуга «{svc.service}» подключена к счёту дважды")
        connected[svc.service] = svc
        rates = s.services.get(svc.service)
        if rates is None or not rates.tariffs:
            raise ScenarioError(
                svc.where,
                f"для услуги «{svc.service}» не задан тариф (services.{svc.service}.tariffs)",
            )
        if svc.method == "meter" and not SERVICES[svc.service].metered:
            raise ScenarioError(svc.where, f"услуга «{svc.service}» не бывает по счётчику")
    for meter in a.meters:
        if meter.service not in connected:
            raise ScenarioError(
                meter.where,
                f"счётчик услуги «{meter.service}», а сама услуга не подключена к счёту "
                "(добавьте её в «services»)",
            )
        if not SERVICES[meter.service].metered:
            raise ScenarioError(meter.where, f"услуга «{meter.service}» не бывает по счётчику")
        if len(meter.zones) > SERVICES[meter.service].max_zones:
            raise ScenarioError(meter.where, f"у услуги «{meter.service}» нет тарифных зон")
        rates = s.services[meter.service]
        missing = [z for z in meter.zones if z not in {t.zone for t in rates.tariffs}]
        if missing:
            raise ScenarioError(
                meter.where,
                f"для зон {', '.join(missing)} услуги «{meter.service}» не задан тариф",
            )
        if not meter.readings:
            raise ScenarioError(
                meter.where, "у счётчика нет показаний (первое показание — начальное)"
            )
    for r in a.residents:
        for right in r.benefits:
            if right.category not in categories:
                raise ScenarioError(right.where, f"нет льготной категории «{right.category}»")
    for act in a.quality_acts:
        _check_act_period(act, s.periods)
        if act.service not in connected:
            raise ScenarioError(act.where, f"услуга «{act.service}» не подключена к счёту")
