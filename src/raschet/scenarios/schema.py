"""The scenario file format: parse and validate YAML into frozen dataclasses.

The shape is `/docs/scenarios.md`. Everything here is checked before anything is written:
unknown keys, facts the format cannot express yet (payments), bad numbers, dates and months,
duplicate accounts, references to services, buildings and benefit categories that do not
exist, services without a tariff. Each error names the file, the path inside the document and
the line (`ScenarioError`). Values the models validate themselves (account number shape…)
are checked when `raschet.scenarios.load` runs ``full_clean()``, with the same place.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from raschet.scenarios.facts import (
    AbsenceDef,
    AccountChange,
    AccountDef,
    AccountServiceDef,
    BenefitCategoryDef,
    BenefitRight,
    BuildingChange,
    BuildingDef,
    BuildingMeterDef,
    ChangeDef,
    ExemptionDef,
    ExpectedLine,
    MeterDef,
    NormRow,
    PremisesDef,
    QualityActDef,
    ReadingDef,
    ResidentDef,
    Scenario,
    ServiceRates,
    SocialNorms,
    StateDef,
    TariffRow,
)
from raschet.scenarios.validate import validate
from raschet.scenarios.yamlnodes import Node, ScenarioError, Where, load_yaml
from raschet.tariffs.catalogue import CATALOGUE

SERVICES = {e.code: e for e in CATALOGUE}

SETTINGS_INT: dict[str, tuple[int, int]] = {
    "missing_limit_residential": (0, 36),
    "missing_limit_non_residential": (0, 36),
    "broken_limit_residential": (0, 36),
    "broken_limit_non_residential": (0, 36),
    "no_access_limit": (0, 36),
    "no_access_norm_coefficient": (0, 1),
    "heating_season_start_month": (1, 12),
    "hot_water_maintenance_reduction": (0, 1),
    "heating_correction_month": (1, 12),
    "common_negative_carry_over": (0, 1),
}
ROUNDING: dict[str, int] = {
    # rules.md §0, §14 "Rounding" → the organization setting `rounding_point`
    # (`raschet.core.billing.RoundingPoint`): each component of the line rounded (the
    # default), or the line's total rounded once from the exact figures
    "line_half_up": 0,
    "line_total_half_up": 1,
}
ZONES_BY_COUNT: dict[int, tuple[str, ...]] = {
    1: ("single",),
    2: ("day", "night"),
    3: ("peak", "semi_peak", "night"),
}
ZONES = ("single", "day", "night", "peak", "semi_peak")
NORM_BASES = ("per_person", "per_m2", "per_m2_common")
BENEFIT_BASES = ("per_person_share", "social_norm_area", "consumption_norm")
METER_STATES = {
    "broken_from": "broken",
    "verification_expired_from": "verification_expired",
    "no_access_from": "no_access",
    "working_from": "working",
}
CHARGE_BASES = ("volume", "area", "person")
BASIS_SERVICES = ("solid_waste",)
"""Services whose charge basis the region chooses (rules.md §1.10): ТКО per person by a
tariff per person, per m² by a tariff per m², or by the regional norm × the tariff per m³
(``volume``; the norm rows per person or per m²)."""
EXEMPTION_REASONS = ("emergency", "land_withdrawal", "programme_wait", "new_building")
"""`raschet.capitalrepair.models.ExemptionReason` codes (ЖК ст.169 ч.2, ч.3, ст.170 ч.5.1)."""
QUALITY_KINDS = ("interruption", "temperature", "below_40", "maintenance", "upkeep_days", "fine")
DEFAULT_OPENED = date(2000, 1, 1)

DECIMAL_FIELDS = (
    "volume",
    "tariff",
    "amount",
    "coefficient_amount",
    "reduction",
    "fine",
    "benefit",
    "benefit_cash",
    "recalculation",
    "recalculation_benefit_cash",
    "total",
)
EXPECT_FIELDS = ("method", *DECIMAL_FIELDS, "recalculation_reasons", "explanation")

_PAYMENTS = (
    "платежи в сценариях пока не поддерживаются (они относятся к задаче о платежах); "
    "уберите ключ «payments»"
)


# -- parsing ------------------------------------------------------------------------------


def parse_file(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ScenarioError(Where(file, "", None), "файл не найден") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(Where(file, "", None), "файл не в кодировке UTF-8") from exc
    return parse_text(text, file=file)


def parse_text(text: str, *, file: str = "<сценарий>") -> Scenario:
    """Parse and validate the text of a scenario."""
    data = load_yaml(text, file)
    root = Node(data, file=file, path="", line=1)
    if data is None:
        root.fail("файл пуст")
    keys = root.mapping(
        (
            "name",
            "settings",
            "services",
            "benefit_categories",
            "social_norms_m2",
            "buildings",
            "periods",
            "changes",
            "expect",
        ),
        required=("services", "buildings", "periods"),
        unsupported={"payments": _PAYMENTS},
    )
    settings = _settings(keys["settings"]) if "settings" in keys else {}
    services = _services(keys["services"])
    categories = (
        tuple(_category(n) for n in keys["benefit_categories"].items())
        if "benefit_categories" in keys
        else ()
    )
    social = _social_norms(keys["social_norms_m2"]) if "social_norms_m2" in keys else None
    buildings = tuple(_building(n) for n in keys["buildings"].items())
    periods_node = keys["periods"]
    periods = tuple(n.month() for n in periods_node.items())
    changes = tuple(_change(n) for n in keys["changes"].items()) if "changes" in keys else ()
    expect = _expect(keys["expect"]) if "expect" in keys else ()
    scenario = Scenario(
        file=file,
        name=keys["name"].text() if "name" in keys else Path(file).stem,
        settings=settings,
        services=services,
        benefit_categories=categories,
        social_norms=social,
        buildings=buildings,
        periods=periods,
        changes=changes,
        expect=expect,
    )
    validate(scenario, periods_node)
    return scenario


def _settings(node: Node) -> dict[str, Any]:
    keys = node.mapping((*SETTINGS_INT, "rounding"))
    result: dict[str, Any] = {}
    for key, child in keys.items():
        if key == "rounding":
            result["rounding_point"] = ROUNDING[child.choice(tuple(ROUNDING))]
        else:
            low, high = SETTINGS_INT[key]
            result[key] = child.integer(low=low, high=high)
    return result


def _range(keys: dict[str, Node], node: Node) -> tuple[date, date | None]:
    start = keys["from"].date()
    end = keys["to"].date() if "to" in keys else None
    if end is not None and end <= start:
        keys["to"].fail(
            "дата «to» (первый день, когда запись уже не действует) должна быть позже «from»"
        )
    return start, end


def _services(node: Node) -> dict[str, ServiceRates]:
    result: dict[str, ServiceRates] = {}
    for code, child in node.entries():
        if code not in SERVICES:
            child.fail(f"неизвестная услуга «{code}»; допустимы: {', '.join(SERVICES)}")
        keys = child.mapping(("tariffs", "norms", "basis"))
        tariffs = tuple(_tariff(n) for n in keys["tariffs"].items()) if "tariffs" in keys else ()
        norms = tuple(_norm(n) for n in keys["norms"].items()) if "norms" in keys else ()
        basis = None
        if "basis" in keys:
            if code not in BASIS_SERVICES:
                keys["basis"].fail(
                    "основу начисления можно сменить только у услуг: " + ", ".join(BASIS_SERVICES)
                )
            basis = keys["basis"].choice(CHARGE_BASES)
        result[code] = ServiceRates(child.where, code, tariffs, norms, basis)
    return result


def _tariff(node: Node) -> TariffRow:
    keys = node.mapping(("from", "to", "rate", "zone", "building"), required=("from", "rate"))
    start, end = _range(keys, node)
    return TariffRow(
        where=node.where,
        valid_from=start,
        valid_to=end,
        rate=keys["rate"].decimal(),
        zone=keys["zone"].choice(ZONES) if "zone" in keys else "single",
        building=keys["building"].text() if "building" in keys else None,
    )


def _norm(node: Node) -> NormRow:
    keys = node.mapping(
        ("from", "to", *NORM_BASES, "rooms", "residents", "building"), required=("from",)
    )
    bases = [b for b in NORM_BASES if b in keys]
    if len(bases) != 1:
        node.fail(f"у норматива должен быть ровно один из ключей: {', '.join(NORM_BASES)}")
    start, end = _range(keys, node)
    return NormRow(
        where=node.where,
        valid_from=start,
        valid_to=end,
        basis=bases[0],
        value=keys[bases[0]].decimal(),
        rooms=keys["rooms"].integer(low=1, high=50) if "rooms" in keys else None,
        residents=keys["residents"].integer(low=1, high=100) if "residents" in keys else None,
        building=keys["building"].text() if "building" in keys else None,
    )


def _category(node: Node) -> BenefitCategoryDef:
    keys = node.mapping(
        ("code", "name", "percent", "covers", "services", "model"),
        required=("code", "percent", "services"),
    )
    code = keys["code"].text()
    services: dict[str, str] = {}
    for svc, base in keys["services"].entries():
        if svc not in SERVICES:
            base.fail(f"неизвестная услуга «{svc}»")
        services[svc] = base.choice(BENEFIT_BASES)
    percent = keys["percent"].decimal()
    if percent > 100:
        keys["percent"].fail("процент льготы не может быть больше 100")
    return BenefitCategoryDef(
        where=node.where,
        code=code,
        name=keys["name"].text() if "name" in keys else code,
        percent=percent,
        covers=(
            keys["covers"].choice(("beneficiary", "family")) if "covers" in keys else "beneficiary"
        ),
        services=services,
        model=keys["model"].choice(("discount", "cash")) if "model" in keys else "discount",
    )


def _social_norms(node: Node) -> SocialNorms:
    keys = node.mapping(("single", "two", "per_person"), required=("single", "two", "per_person"))
    return SocialNorms(
        single=keys["single"].decimal(),
        two=keys["two"].decimal(),
        per_person=keys["per_person"].decimal(),
    )


def _building(node: Node) -> BuildingDef:
    keys = node.mapping(
        (
            "id",
            "address",
            "area_total_m2",
            "area_common_m2",
            "heating",
            "common_property",
            "electricity_two_sources",
            "building_meters",
            "quality_acts",
            "capital_repair_exemptions",
            "premises",
        ),
        required=("id", "premises"),
    )
    bid = keys["id"].text()
    mode, months = "season", 7
    if "heating" in keys:
        heating = keys["heating"].mapping(("mode", "season_months"))
        if "mode" in heating:
            mode = heating["mode"].choice(("season", "evenly", "none"))
        if "season_months" in heating:
            months = heating["season_months"].integer(low=1, high=12)
    meters = []
    for m in keys["building_meters"].items() if "building_meters" in keys else ():
        mk = m.mapping(("service", "serial", "volumes"), required=("service", "volumes"))
        service = _service_code(mk["service"])
        volumes = tuple((k.month(), v.decimal()) for k, v in _month_entries(mk["volumes"]))
        serial = mk["serial"].text() if "serial" in mk else f"ОДПУ-{bid}-{service}"
        meters.append(BuildingMeterDef(m.where, service, serial, volumes))
    return BuildingDef(
        where=node.where,
        id=bid,
        address=keys["address"].text() if "address" in keys else f"г. Сценарий, дом {bid}",
        area_total_m2=keys["area_total_m2"].decimal() if "area_total_m2" in keys else None,
        area_common_m2=keys["area_common_m2"].decimal() if "area_common_m2" in keys else Decimal(0),
        heating_mode=mode,
        heating_season_months=months,
        common_property=(
            keys["common_property"].choice(("norm_cap", "actual"))
            if "common_property" in keys
            else "norm_cap"
        ),
        electricity_two_sources=(
            keys["electricity_two_sources"].boolean()
            if "electricity_two_sources" in keys
            else False
        ),
        building_meters=tuple(meters),
        premises=tuple(_premises(n) for n in keys["premises"].items()),
        quality_acts=(
            tuple(_quality(n, building_level=True) for n in keys["quality_acts"].items())
            if "quality_acts" in keys
            else ()
        ),
        exemptions=_exemptions(keys, "capital_repair_exemptions"),
    )


def _exemptions(keys: dict[str, Node], name: str) -> tuple[ExemptionDef, ...]:
    """``capital_repair_exemptions: [{reason, from, to, document, document_date}]``."""
    out = []
    for node in keys[name].items() if name in keys else ():
        ek = node.mapping(
            ("reason", "from", "to", "document", "document_date"), required=("reason", "from")
        )
        start = ek["from"].date()
        end = ek["to"].date() if "to" in ek and ek["to"].value is not None else None
        if end is not None and end <= start:
            ek["to"].fail("конец освобождения (не включая) должен быть позже начала")
        out.append(
            ExemptionDef(
                where=node.where,
                reason=ek["reason"].choice(EXEMPTION_REASONS),
                valid_from=start,
                valid_to=end,
                document=ek["document"].text() if "document" in ek else "",
                document_date=ek["document_date"].date() if "document_date" in ek else None,
            )
        )
    return tuple(out)


def _month_entries(node: Node) -> list[tuple[Node, Node]]:
    """A mapping ``{YYYY-MM: value}``; the key as a node (for its month) and the value."""
    return [(Node(k, file=n.file, path=n.path, line=n.line), n) for k, n in node.entries()]


def _service_code(node: Node) -> str:
    code = node.text()
    if code not in SERVICES:
        node.fail(f"неизвестная услуга «{code}»; допустимы: {', '.join(SERVICES)}")
    return code


def _premises(node: Node) -> PremisesDef:
    keys = node.mapping(
        ("number", "kind", "area_m2", "rooms", "communal", "individual_heating_from", "accounts"),
        required=("number", "area_m2"),
    )
    return PremisesDef(
        where=node.where,
        number=keys["number"].text(),
        kind=(
            keys["kind"].choice(("residential", "non_residential"))
            if "kind" in keys
            else "residential"
        ),
        area_m2=keys["area_m2"].decimal(),
        rooms=keys["rooms"].integer(low=0, high=50) if "rooms" in keys else None,
        accounts=tuple(_account(n) for n in keys["accounts"].items()) if "accounts" in keys else (),
        communal=keys["communal"].boolean() if "communal" in keys else False,
        individual_heating_from=(
            keys["individual_heating_from"].date() if "individual_heating_from" in keys else None
        ),
    )


def _residents(node: Node) -> tuple[ResidentDef, ...]:
    if isinstance(node.value, int | str) and not isinstance(node.value, bool):
        count = node.integer(low=0, high=100)
        return tuple(
            ResidentDef(where=node.where, name=f"Житель {i + 1}", valid_from=None, valid_to=None)
            for i in range(count)
        )
    result = []
    for item in node.items():
        keys = item.mapping(("name", "from", "to", "kind", "benefits"), required=("name",))
        start = keys["from"].date() if "from" in keys else None
        end = keys["to"].date() if "to" in keys else None
        if start and end and end <= start:
            keys["to"].fail("дата «to» должна быть позже «from»")
        kind = keys["kind"].choice(("permanent", "temporary")) if "kind" in keys else "permanent"
        if kind == "temporary" and end is None:
            item.fail("у временной регистрации (kind: temporary) должна быть дата «to»")
        benefits = []
        for b in keys["benefits"].items() if "benefits" in keys else ():
            bk = b.mapping(("category", "from", "to"), required=("category",))
            benefits.append(
                BenefitRight(
                    where=b.where,
                    category=bk["category"].text(),
                    valid_from=bk["from"].date() if "from" in bk else None,
                    valid_to=bk["to"].date() if "to" in bk else None,
                )
            )
        result.append(
            ResidentDef(
                where=item.where,
                name=keys["name"].text(),
                valid_from=start,
                valid_to=end,
                kind=kind,
                benefits=tuple(benefits),
            )
        )
    return tuple(result)


def _account(node: Node) -> AccountDef:
    keys = node.mapping(
        (
            "number",
            "opened",
            "closed",
            "payer",
            "area_m2",
            "living_area_m2",
            "owners",
            "residents",
            "services",
            "meters",
            "absences",
            "quality_acts",
        ),
        required=("number",),
        unsupported={"payments": _PAYMENTS},
    )
    number = keys["number"].text()
    opened = keys["opened"].date() if "opened" in keys else DEFAULT_OPENED
    closed = keys["closed"].date() if "closed" in keys else None
    if closed is not None and closed <= opened:
        keys["closed"].fail("дата закрытия счёта должна быть позже даты открытия")
    return AccountDef(
        where=node.where,
        number=number,
        opened=opened,
        closed=closed,
        payer=keys["payer"].text() if "payer" in keys else f"Плательщик {number}",
        area_m2=keys["area_m2"].decimal() if "area_m2" in keys else None,
        living_area_m2=keys["living_area_m2"].decimal() if "living_area_m2" in keys else None,
        owners=keys["owners"].integer(low=0, high=100) if "owners" in keys else 1,
        residents=_residents(keys["residents"]) if "residents" in keys else (),
        services=tuple(_account_service(n) for n in keys["services"].items())
        if "services" in keys
        else (),
        meters=tuple(_meter(n, number, i) for i, n in enumerate(keys["meters"].items()))
        if "meters" in keys
        else (),
        absences=tuple(_absence(n) for n in keys["absences"].items()) if "absences" in keys else (),
        quality_acts=tuple(_quality(n, building_level=False) for n in keys["quality_acts"].items())
        if "quality_acts" in keys
        else (),
    )


def _account_service(node: Node) -> AccountServiceDef:
    keys = node.mapping(
        ("service", "method", "meter_possible", "zones", "from", "to"), required=("service",)
    )
    start = keys["from"].date() if "from" in keys else None
    end = keys["to"].date() if "to" in keys else None
    if start and end and end <= start:
        keys["to"].fail("дата «to» должна быть позже «from»")
    return AccountServiceDef(
        where=node.where,
        service=_service_code(keys["service"]),
        method=keys["method"].choice(("meter", "norm")) if "method" in keys else None,
        meter_possible=keys["meter_possible"].boolean() if "meter_possible" in keys else True,
        zones=keys["zones"].integer(low=1, high=3) if "zones" in keys else None,
        valid_from=start,
        valid_to=end,
    )


def _meter(node: Node, account: str, index: int) -> MeterDef:
    keys = node.mapping(
        ("service", "serial", "installed", "verification_due", "readings", "state"),
        required=("service",),
    )
    service = _service_code(keys["service"])
    readings: list[ReadingDef] = []
    zones: tuple[str, ...] | None = None
    for month_node, value in _month_entries(keys["readings"]) if "readings" in keys else ():
        period = month_node.month()
        if isinstance(value.value, dict):
            pairs = tuple((z, v.decimal()) for z, v in value.entries())
            these = tuple(z for z, _ in pairs)
            if these not in ZONES_BY_COUNT.values():
                value.fail(
                    "зоны показаний должны быть одним из наборов: "
                    + "; ".join(", ".join(z) for z in ZONES_BY_COUNT.values())
                )
        else:
            pairs = (("single", value.decimal()),)
            these = ("single",)
        if zones is not None and these != zones:
            value.fail(
                f"зоны показаний ({', '.join(these)}) не те, что раньше ({', '.join(zones)})"
            )
        zones = these
        readings.append(ReadingDef(value.where, period, pairs))
    readings.sort(key=lambda r: r.period)
    previous: ReadingDef | None = None
    for reading in readings:
        if previous is not None:
            for (zone, new), (_, old) in zip(reading.values, previous.values, strict=True):
                if new < old:
                    raise ScenarioError(
                        reading.where,
                        f"показание {new} меньше предыдущего {old} (зона {zone}); "
                        "переход счётчика через ноль сценарии не выражают",
                    )
        previous = reading
    states = []
    if "state" in keys:
        for key, value in keys["state"].mapping(tuple(METER_STATES)).items():
            states.append(StateDef(value.where, METER_STATES[key], value.month_or_date()))
    if len({s.since for s in states}) != len(states):
        keys["state"].fail("два состояния счётчика с одной даты")
    return MeterDef(
        where=node.where,
        service=service,
        serial=keys["serial"].text() if "serial" in keys else f"{account}-{service}-{index + 1}",
        zones=zones or ("single",),
        installed=keys["installed"].date() if "installed" in keys else None,
        verification_due=keys["verification_due"].date() if "verification_due" in keys else None,
        readings=tuple(readings),
        states=tuple(sorted(states, key=lambda s: s.since)),
    )


def _absence(node: Node) -> AbsenceDef:
    keys = node.mapping(("persons", "left", "returned", "applied"), required=("left", "returned"))
    left = keys["left"].date()
    returned = keys["returned"].date()
    if returned <= left:
        keys["returned"].fail("дата возвращения должна быть позже даты отъезда")
    return AbsenceDef(
        where=node.where,
        persons=keys["persons"].integer(low=1, high=100) if "persons" in keys else 1,
        left=left,
        returned=returned,
        applied=keys["applied"].date() if "applied" in keys else None,
    )


def _quality(node: Node, *, building_level: bool) -> QualityActDef:
    keys = node.mapping(
        (
            "service",
            "period",
            "kind",
            "events_hours",
            "hours",
            "deviation_degrees",
            "temperature",
            "dead_end_accident",
            "days",
            "overcharge",
        ),
        required=("service", "period", "kind"),
    )
    kind = keys["kind"].choice(QUALITY_KINDS)
    service = _service_code(keys["service"])
    # the conditions of an interruption (rules.md §1.8): the rooms' air during a heating
    # interruption, the outdoor air for solid waste; an accident on a dead-end main (water)
    conditions: tuple[str, ...] = ()
    if kind == "interruption":
        conditions = ("temperature",) if service in ("heating", "solid_waste") else ()
        conditions += ("dead_end_accident",) if service in ("cold_water", "hot_water") else ()
    allowed = {
        "interruption": ("events_hours", *conditions),
        "temperature": ("hours", "deviation_degrees"),
        "below_40": ("hours", "temperature"),
        "maintenance": ("hours",),
        "upkeep_days": ("days",),
        "fine": ("overcharge",),
    }[kind]
    for extra in (
        "events_hours",
        "hours",
        "deviation_degrees",
        "temperature",
        "dead_end_accident",
        "days",
        "overcharge",
    ):
        if extra in keys and extra not in allowed:
            keys[extra].fail(
                f"у акта вида «{kind}» задаются только: " + ", ".join(f"«{a}»" for a in allowed)
            )
    optional = {"dead_end_accident"} | (
        {"temperature"} if kind == "interruption" and service == "heating" else set()
    )
    for req in allowed:
        if req not in keys and req not in optional:
            node.fail(f"у акта вида «{kind}» нужен ключ «{req}»")
    events: tuple[int, ...] = ()
    hours = degrees = days = 0
    temperature: Decimal | None = None
    overcharge = Decimal(0)
    dead_end = False
    if kind == "interruption":
        events = tuple(n.integer(low=1, high=744) for n in keys["events_hours"].items())
        if not events:
            keys["events_hours"].fail("список перерывов пуст")
        if "temperature" in keys:  # the outdoor air may be below zero
            temperature = keys["temperature"].decimal(non_negative=False)
        if "dead_end_accident" in keys:
            dead_end = keys["dead_end_accident"].boolean()
    if "hours" in allowed:
        hours = keys["hours"].integer(low=1, high=744)
    if kind == "temperature":
        degrees = keys["deviation_degrees"].integer(low=1, high=100)
    if kind in ("below_40", "maintenance") and service != "hot_water":
        keys["service"].fail(f"акт вида «{kind}» бывает только по горячей воде (hot_water)")
    if kind == "below_40":
        temperature = keys["temperature"].decimal()
        if temperature >= 40:
            keys["temperature"].fail("температура в акте должна быть ниже 40 °C")
    if kind == "upkeep_days":
        days = keys["days"].integer(low=1, high=31)
    if kind == "fine":
        overcharge = keys["overcharge"].decimal()
        if overcharge <= 0:
            keys["overcharge"].fail("сумма незаконного начисления должна быть больше нуля")
    return QualityActDef(
        where=node.where,
        service=service,
        period=keys["period"].month(),
        kind=kind,
        events_hours=events,
        hours=hours,
        degrees=degrees,
        temperature=temperature,
        days=days,
        overcharge=overcharge,
        dead_end_accident=dead_end,
    )


def _change(node: Node) -> ChangeDef:
    keys = node.mapping(
        ("after_period", "services", "accounts", "buildings"), required=("after_period",)
    )
    buildings = []
    for bid, child in keys["buildings"].entries() if "buildings" in keys else ():
        bk = child.mapping(("capital_repair_exemptions",))
        buildings.append(
            BuildingChange(
                where=child.where, id=bid, exemptions=_exemptions(bk, "capital_repair_exemptions")
            )
        )
    accounts = []
    for number, child in keys["accounts"].entries() if "accounts" in keys else ():
        ck = child.mapping(("residents", "owners", "absences", "quality_acts"))
        accounts.append(
            AccountChange(
                where=child.where,
                number=number,
                residents=_residents(ck["residents"]) if "residents" in ck else None,
                owners=ck["owners"].integer(low=0, high=100) if "owners" in ck else None,
                absences=tuple(_absence(n) for n in ck["absences"].items())
                if "absences" in ck
                else (),
                quality_acts=(
                    tuple(_quality(n, building_level=False) for n in ck["quality_acts"].items())
                    if "quality_acts" in ck
                    else ()
                ),
            )
        )
    return ChangeDef(
        where=node.where,
        after_period=keys["after_period"].month(),
        services=_services(keys["services"]) if "services" in keys else {},
        accounts=tuple(accounts),
        buildings=tuple(buildings),
    )


def _expect(node: Node) -> tuple[ExpectedLine, ...]:
    keys = node.mapping(("lines",))
    result = []
    for item in keys["lines"].items() if "lines" in keys else ():
        ik = item.mapping(
            ("account", "period", "service", *EXPECT_FIELDS),
            required=("account", "period", "service"),
        )
        fields: dict[str, Any] = {}
        for name in EXPECT_FIELDS:
            if name not in ik and not (name == "tariff" and "tariff" in (item.value or {})):
                continue
            if name == "tariff" and item.value.get("tariff") is None:
                fields[name] = None
            elif name in DECIMAL_FIELDS:
                fields[name] = ik[name].decimal(non_negative=False)
            elif name == "recalculation_reasons":
                fields[name] = tuple(n.text() for n in ik[name].items())
            else:
                fields[name] = ik[name].text()
        result.append(
            ExpectedLine(
                where=item.where,
                account=ik["account"].text(),
                period=ik["period"].month(),
                service=_service_code(ik["service"]),
                fields=fields,
            )
        )
    return tuple(result)
