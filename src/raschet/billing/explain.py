"""The derivation of a charge line in Russian (the CLI, the back office, the portal and the
payment document all show this text), and the reason of a recalculation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from raschet.core.billing import (
    WASTE_UNITS_PER_DAY,
    BenefitBase,
    HeatingMode,
    InterruptionPool,
    Method,
    ReductionReason,
)
from raschet.core.fixedpoint import (
    AREA_SCALE,
    NORM_SCALE,
    PERCENT_SCALE,
    RATE_SCALE,
    VOLUME_SCALE,
)
from raschet.core.money import format_rubles

METHOD_NAMES_RU: dict[int, str] = {
    Method.NONE: "не начисляется (вне отопительного сезона)",
    Method.METER: "по показаниям прибора учёта (ПП 354, формула 1)",
    Method.AVERAGE_NOT_SUBMITTED: "по среднему: показания не переданы (ПП 354 п.59 «б»)",
    Method.AVERAGE_BROKEN: "по среднему: прибор неисправен или истекла поверка (п.59 «а»)",
    Method.AVERAGE_NO_ACCESS: "по среднему: нет допуска к прибору (п.59 «в»)",
    Method.NORM: "по нормативу (ПП 354, формула 4)",
    Method.NORM_COEFFICIENT: "по нормативу с повышающим коэффициентом 1,5 (формула 4(1))",
    Method.AREA: "по площади",
    Method.PER_PERSON: "по числу проживающих",
    Method.HEATING_NORM: "по нормативу на м² (ПП 354, формула 2)",
    Method.HEATING_BUILDING: (
        "по общедомовому прибору пропорционально площади (ПП 354, формула 3; "
        "при оплате равномерно — формула 3(1))"
    ),
    Method.COMMON_NORM: "по нормативу на содержание общего имущества",
    Method.COMMON_METER: "по общедомовому прибору за вычетом потребления помещений",
    Method.COMMON_CAPPED: "по общедомовому прибору, ограничено нормативом",
    Method.DERIVED: "сумма объёмов холодной и горячей воды",
    Method.FIXED: "фиксированная сумма",
    Method.NORM_AREA: "по нормативу на м² площади помещения (ПП 354, формула 4)",
    Method.HEATING_INDIVIDUAL: (
        "по прибору учёта тепла помещения и доле общедомового потребления (ПП 354, формула 3(3))"
    ),
    Method.COMMON_CARRIED: (
        "по общедомовому прибору за вычетом потребления помещений и отрицательного объёма, "
        "перенесённого с прошлых месяцев"
    ),
    Method.HEATING_CORRECTION: (
        "корректировка платы за отопление по итогам года (ПП 354, формула 3(2))"
    ),
    Method.HEATING_INDIVIDUAL_EVENLY: (
        "равномерно: среднемесячный объём прошлого года по прибору учёта тепла помещения и "
        "доле общедомового потребления (ПП 354 п.42(1), формула 3(4))"
    ),
    Method.HEATING_CORRECTION_METERED: (
        "корректировка платы за отопление по итогам года по приборам учёта тепла помещений "
        "(ПП 354 п.42(1), формула 3(6))"
    ),
    Method.HEATING_BUILDING_NO_METER_YEAR: (
        "равномерно по общедомовому прибору пропорционально площади (формула 3(1)): "
        "показаний приборов учёта тепла всех помещений за все 12 месяцев прошлого года нет, "
        "формула 3(4) не применяется"
    ),
    # rules.md §1.5 (last row): the project's default formula, docs/billing.md
    Method.HEATING_OWN_SOURCE_METER: (
        "помещение с индивидуальным отоплением: только доля тепла на общее имущество по "
        "общедомовому прибору (V × S_oi / (S_ob + S_oi) × S_i / S_ob)"
    ),
    Method.HEATING_OWN_SOURCE_NORM: (
        "помещение с индивидуальным отоплением: только доля тепла на общее имущество по "
        "нормативу (N × S_oi × S_i / S_ob)"
    ),
}


def heat_substitute_note(basis: int, months: int) -> str:
    """Why a premises' heat volume in формула 3(3) is not its reading (ПП 354 п.59, п.60;
    `raschet.core.heating_meters.HeatBasis`: 2 average, 3 norm)."""
    if basis == 2:
        return (
            "показаний прибора учёта тепла нет: объём помещения — средний за "
            f"{months} мес. отопительного сезона (ПП 354 п.59)"
        )
    return "показаний прибора учёта тепла нет сверх срока п.59: объём помещения по нормативу"


def heat_catch_up_note(reading: int, averaged: int) -> str:
    """The own heat volume of формула 3(3) in the month a reading arrives after months
    charged at the п.59 average (rules.md §14): the reading's volume less the averages
    (both VOLUME_SCALE)."""
    return (
        f"показание прибора учёта тепла после месяцев по среднему: объём помещения "
        f"{_dec(reading, VOLUME_SCALE)} Гкал − начислено по среднему "
        f"{_dec(averaged, VOLUME_SCALE)} Гкал = {_dec(reading - averaged, VOLUME_SCALE)} Гкал "
        "(ПП 354 п.61, rules.md §14)"
    )


REDUCTION_REASONS_RU: dict[int, str] = {
    ReductionReason.ABSENCE: "временное отсутствие (ПП 354 п.86–97)",
    ReductionReason.QUALITY: (
        "перерывы и отклонения качества сверх допустимых (ПП 354 Приложение 1)"
    ),
    ReductionReason.BELOW_40: (
        "часы горячей воды ниже 40 °C оплачены по тарифу холодной воды (ПП 354 Приложение 1 п.5)"
    ),
    ReductionReason.MAINTENANCE: (
        "ремонтное отключение горячей воды (до 14 суток в год, Приложение 1 п.4)"
    ),
    ReductionReason.UPKEEP: (
        "работы по содержанию общего имущества не выполнялись — пропорционально дням "
        "(ПП 491 п.10, 15)"
    ),
    ReductionReason.CATCH_UP: (
        "снятие: расход по показаниям меньше начисленного по среднему "
        "((R_new − R_last) − Σ V_ср < 0)"
    ),
}
CASH_BENEFIT_TEXT_RU = "ЕДК (выплачивает орган соцзащиты, в счёт не входит)"
"""The cash compensation of ЕДК categories (rules.md §4.2): shown, never subtracted."""
FINE_TEXT_RU = (
    "штраф исполнителя: 50 % незаконно начисленной суммы (ЖК ст.157 ч.6, ПП 354 п.155(1))"
)


def quality_limit_ru(service: str, month: int | None, once: int) -> str:
    """The limit an interruption act was checked against (ПП 354 Приложение 1, rules.md §1.8):
    ``month`` / ``once`` hours (`QualityAct.limits`); solid waste has only the deviation."""
    if service == "solid_waste":
        return f"вывоз ТКО: допустимо отклонение {once} ч, 3,3 % за начатые 24 ч сверх"
    return f"допустимо {month} ч в месяц и {once} ч подряд"


def quality_pool_ru(pool: InterruptionPool) -> str:
    """How the month's interruption acts of a line were pooled (rules.md §14: the limits are
    the month's, `raschet.core.billing.interruption_pools`) — said only for a pool of
    several acts: their hours added up and the hours beyond the limits."""
    hours = sum(pool.events_hours)
    terms = " + ".join(str(h) for h in pool.events_hours)
    shown = f"{terms} = {hours} ч" if 1 < len(pool.events_hours) <= 12 else f"{hours} ч"
    if pool.total_limit is None:
        days = -(-pool.excess_hours // 24)
        return (
            f"отклонения вывоза ТКО за месяц сложены (актов: {pool.acts}): {shown}, сверх "
            f"допустимых {pool.excess_hours} ч, начатых суток: {days}"
        )
    what = "перерывы при аварии на тупиковой магистрали" if pool.dead_end_accident else "перерывы"
    return (
        f"{what} за месяц сложены (актов: {pool.acts}): {shown}, сверх допустимого "
        f"{pool.excess_hours} ч"
    )


def reduction_reasons_ru(bits: int) -> str:
    """The reasons of a line's reduction (the fine apart) as one Russian phrase."""
    names = [text for bit, text in REDUCTION_REASONS_RU.items() if bits & bit]
    return "; ".join(names) or "временное отсутствие, качество"


class LineLike(Protocol):
    method: int
    volume: int
    coefficient_volume: int
    rate: int | None
    norm: int | None
    persons: int
    area: int
    average_months: int
    segments: int
    amount: int
    coefficient_amount: int
    reduction: int
    benefit: int


HEATING_BUILDING_SEASON_RU = "по общедомовому прибору пропорционально площади (ПП 354, формула 3)"
HEATING_BUILDING_EVENLY_RU = (
    "равномерно по общедомовому прибору пропорционально площади: объём прошлого года / 12 "
    "(ПП 354, формула 3(1))"
)


@dataclass(frozen=True)
class BenefitDetail:
    """One benefit category's share of a line (rules.md §4.2): what `core.benefit_split`
    takes of the line's base for it."""

    name: str
    cash: bool  # ЕДК (paid by the social protection body) rather than a discount
    base: int  # core.BenefitBase
    percent: int  # PERCENT_SCALE
    covered: int  # persons covered (never more than the residents)
    residents: int
    area: int  # S_i, AREA_SCALE
    social_norm_area: int  # the household's social norm of area, AREA_SCALE
    norm_volume: int  # consumption norm × residents, VOLUME_SCALE
    volume: int  # the line's volume, VOLUME_SCALE
    amount: int  # kopecks ≥ 0: this category's share, rounded once


@dataclass(frozen=True)
class QualityDetail:
    """One confirmed quality act of the line's month, as a share of the charge."""

    kind: str  # QualityKind value, or "waste" for a solid-waste removal deviation
    units: int  # 1/10 000 of the month's charge
    hours: int = 0  # interruption: Σ hours; temperature: hours
    excess_hours: int = 0  # interruption: hours beyond the limits
    total_limit: int = 0
    once_limit: int = 0
    degrees: int = 0


@dataclass(frozen=True)
class LineDetails:
    """The figures behind a charge line that the line itself does not store, re-derived
    from the month's facts at explain time (`raschet.billing.derivation`). Volumes in
    VOLUME_SCALE, areas in AREA_SCALE, norms in NORM_SCALE, amounts in kopecks.

    ``figures`` are the recomputed (method, volume, amount, reduction, benefit,
    benefit_cash): the derivation uses the details only when they equal the stored line's,
    so the text never mixes today's facts into a posted month that has changed since.
    """

    figures: tuple[int, int, int, int, int, int]
    heating_mode: int = HeatingMode.NONE
    season_months: int = 0
    building_volume: int = -1  # V_D of the month; −1: no building meter
    building_volume_last_year: int = -1  # формула 3(1): V_D of the previous year
    building_area: int = 0  # S_ob
    common_area: int = 0  # S_oi
    share_area: int = 0  # S_i the building volume is shared by (heating: its heating area)
    # формула 8 (communal-flat heating): flat area × room living area / flat living area
    flat_area: int = 0
    room_living_area: int = 0
    flat_living_area: int = 0
    # common property (rules.md §1.6)
    individual_total: int = 0  # Σ V_u of the building's premises
    carry: int = 0  # the negative volume carried from earlier months
    carry_over: bool = False  # the organization carries a negative volume on
    fact_volume: int = 0  # (V_D − Σ V_u − carry) × S_i / S_ob, by days
    norm_volume: int = 0  # N × S_oi × S_i / S_ob, by days
    common_norm: int = 0  # N per m² of the common area
    actual: bool = False  # the owners decided to pay the actual volume (no cap)
    # reductions (rules.md §1.7, §1.8)
    base_amount: int = 0  # the line's amount the reductions are shares of
    residents: int = 0
    days_in_month: int = 0
    absences: tuple[tuple[int, int], ...] = ()  # (absent persons, absent days)
    absence_amount: int = 0
    quality: tuple[QualityDetail, ...] = ()
    quality_units: int = 0
    quality_amount: int = 0
    # benefits (rules.md §4.2): the base they are shares of, and each category
    benefit_base: int = 0
    benefits: tuple[BenefitDetail, ...] = ()
    # a premises meter shared between accounts (формула 7 by persons, else by area)
    premises_volume: int = 0
    share_num: int = 0
    share_den: int = 0
    share_by: str = ""  # "persons", "area", "equal"
    # catch-up after averaged months (rules.md §14)
    reading_volume: int = 0  # R_new − R_last_accepted
    averaged: tuple[tuple[date, int], ...] = field(default_factory=tuple)

    def matches(self, line: Any) -> bool:
        """Whether the recomputed figures are the stored line's."""
        return self.figures == (
            int(line.method),
            int(line.volume),
            int(line.amount),
            int(line.reduction) - int(getattr(line, "fine", 0) or 0),
            int(line.benefit),
            int(getattr(line, "benefit_cash", 0) or 0),
        )


def _dec(value: int, scale: int) -> str:
    text = format(Decimal(value) / scale, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _signed(kopecks: int) -> str:
    return ("+" if kopecks > 0 else "") + format_rubles(kopecks)


def explain_recalculation(line: Any, *, unit: str = "", service: str = "") -> str:
    """A recalculation line: the month it corrects, why, and what changed by how much.

    Its figures are differences (recomputed minus posted), so they are shown signed, with
    the recomputed provenance (method, tariff, persons) for the reader to compare.
    """
    head = f"{service}: " if service else ""
    total = line.amount + line.reduction + line.benefit
    if line.method in (Method.HEATING_CORRECTION, Method.HEATING_CORRECTION_METERED):
        return f"{head}{line.reason}\nитого корректировка {_signed(total)} ₽"
    out = [
        f"{head}перерасчёт за {line.corrects_period:%m.%Y}: {line.reason or 'изменились данные'}"
    ]
    out.append("пересчитано " + METHOD_NAMES_RU.get(line.method, str(line.method)))
    details = []
    if line.persons:
        details.append(f"проживающих {line.persons} чел.")
    if line.rate is not None:
        details.append(f"тариф {_dec(line.rate, RATE_SCALE)} ₽")
    if details:
        out.append("теперь: " + ", ".join(details))
    if line.volume:
        sign = "+" if line.volume > 0 else ""
        out.append(f"объём {sign}{_dec(line.volume, VOLUME_SCALE)} {unit}".rstrip())
    if line.amount:
        out.append(f"начислено {_signed(line.amount)} ₽")
    if line.coefficient_amount:
        out.append(f"в т.ч. повышающий коэффициент {_signed(line.coefficient_amount)} ₽")
    fine = int(getattr(line, "fine", 0) or 0)
    if line.reduction - fine:
        out.append(f"снижение {_signed(line.reduction - fine)} ₽")
    if fine:
        out.append(f"штраф за незаконное начисление (ЖК ст.157 ч.6) {_signed(fine)} ₽")
    if line.benefit:
        out.append(f"льгота {_signed(line.benefit)} ₽")
    cash = int(getattr(line, "benefit_cash", 0) or 0)
    if cash:
        # the compensation paid to the citizen: more of it is shown with a plus
        out.append(f"{CASH_BENEFIT_TEXT_RU}: {_signed(-cash)} ₽")
    out.append(f"итого перерасчёт {_signed(line.amount + line.reduction + line.benefit)} ₽")
    return "\n".join(out)


def _frac(num: int, den: int, scale: int) -> str:
    return f"{_dec(num, scale)}/{_dec(den, scale)}"


COMMON_METHODS = (Method.COMMON_METER, Method.COMMON_CAPPED, Method.COMMON_CARRIED)
AVERAGE_METHODS_RU = (
    Method.AVERAGE_NOT_SUBMITTED,
    Method.AVERAGE_BROKEN,
    Method.AVERAGE_NO_ACCESS,
)


def _method_name(line: LineLike, d: LineDetails | None) -> str:
    if d is not None and line.method == Method.HEATING_BUILDING:
        evenly = d.heating_mode == HeatingMode.EVENLY
        return HEATING_BUILDING_EVENLY_RU if evenly else HEATING_BUILDING_SEASON_RU
    return METHOD_NAMES_RU.get(line.method, str(line.method))


def _volume_lines(line: LineLike, d: LineDetails | None, unit: str) -> list[str]:
    """How the line's volume came about."""
    vol = _dec(line.volume, VOLUME_SCALE)
    out: list[str] = []
    m = line.method
    if (
        d is not None
        and d.flat_living_area
        and m
        in (
            Method.HEATING_NORM,
            Method.HEATING_BUILDING,
            Method.HEATING_BUILDING_NO_METER_YEAR,
            Method.HEATING_INDIVIDUAL,
            Method.HEATING_INDIVIDUAL_EVENLY,
        )
    ):
        out.append(
            f"площадь для отопления в коммунальной квартире = {_dec(d.flat_area, AREA_SCALE)} м² "
            f"(квартира) × {_dec(d.room_living_area, AREA_SCALE)} м² (жилая площадь комнаты) / "
            f"{_dec(d.flat_living_area, AREA_SCALE)} м² (жилая площадь комнат квартиры) = "
            f"{_dec(line.area, AREA_SCALE)} м² (ПП 354, формула 8)"
        )
    if d is not None and d.share_den and m != Method.DERIVED:
        basis = {
            "persons": "чел. (коммунальная квартира, ПП 354 формула 7)",
            "area": "м² (по площади лицевых счетов помещения)",
        }.get(d.share_by, "(поровну между лицевыми счетами помещения)")
        scale = AREA_SCALE if d.share_by == "area" else 1
        out.append(
            "прибор учёта помещения общий: объём помещения "
            f"{_dec(d.premises_volume, VOLUME_SCALE)} {unit} × "
            f"{_frac(d.share_num, d.share_den, scale)} {basis}".rstrip()
        )
    if m in (Method.NORM, Method.NORM_COEFFICIENT) and line.norm is not None:
        out.append(
            f"объём = {line.persons} чел. × норматив {_dec(line.norm, NORM_SCALE)} {unit} = "
            f"{vol} {unit}"
        )
    elif m == Method.NORM_AREA and line.norm is not None:
        out.append(
            f"объём = {_dec(line.area, AREA_SCALE)} м² × норматив {_dec(line.norm, NORM_SCALE)} "
            f"{unit}/м² = {vol} {unit}"
        )
    elif m in AVERAGE_METHODS_RU:
        out.append(f"средний объём за {line.average_months} мес. = {vol} {unit}")
    elif m == Method.METER and d is not None and d.averaged:
        months = ", ".join(
            f"{p:%m.%Y} — {_dec(v, VOLUME_SCALE)} {unit}".rstrip() for p, v in d.averaged
        )
        taken = sum(v for _, v in d.averaged)
        out.append(
            f"показания после месяцев по среднему: R_new − R_last = "
            f"{_dec(d.reading_volume, VOLUME_SCALE)} {unit}, минус объёмы, начисленные по "
            f"среднему ({months}): {_dec(d.reading_volume, VOLUME_SCALE)} − "
            f"{_dec(taken, VOLUME_SCALE)} = {_dec(d.reading_volume - taken, VOLUME_SCALE)} {unit}"
        )
        if d.share_den or line.volume != d.reading_volume - taken:
            out.append(f"объём {vol} {unit}".rstrip())
    elif m == Method.AREA:
        out.append(f"площадь {_dec(line.area, AREA_SCALE)} м²")
    elif m == Method.PER_PERSON:
        out.append(f"проживающих: {line.persons} чел.")
    elif m == Method.HEATING_NORM and line.norm is not None:
        evenly = ""
        if d is not None and d.heating_mode == HeatingMode.EVENLY:
            evenly = f" × {d.season_months}/12 (оплата равномерно)"
        out.append(
            f"объём = {_dec(line.area, AREA_SCALE)} м² × {_dec(line.norm, NORM_SCALE)} "
            f"{unit}/м²{evenly} = {vol} {unit}"
        )
    elif m in (Method.HEATING_BUILDING, Method.HEATING_BUILDING_NO_METER_YEAR) and d is not None:
        share = f"{_dec(d.share_area, AREA_SCALE)} м² / {_dec(d.building_area, AREA_SCALE)} м²"
        if d.heating_mode == HeatingMode.EVENLY:
            out.append(
                f"объём = {_dec(d.building_volume_last_year, VOLUME_SCALE)} {unit} (общедомовой "
                f"прибор за прошлый год) / 12 × S_i/S_ob {share} = {vol} {unit}"
            )
        else:
            out.append(
                f"объём = V_D {_dec(d.building_volume, VOLUME_SCALE)} {unit} × S_i/S_ob {share} "
                f"= {vol} {unit}"
            )
    elif m == Method.COMMON_NORM and d is not None:
        out.append(
            f"объём = норматив {_dec(d.common_norm, NORM_SCALE)} {unit}/м² × S_oi "
            f"{_dec(d.common_area, AREA_SCALE)} м² × S_i/S_ob {_dec(d.share_area, AREA_SCALE)} м² "
            f"/ {_dec(d.building_area, AREA_SCALE)} м² = {vol} {unit}"
        )
    elif m in COMMON_METHODS and d is not None:
        out.extend(_common_lines(line, d, unit))
    else:
        out.append(f"объём {vol} {unit}".rstrip())
    return out


def _common_lines(line: LineLike, d: LineDetails, unit: str) -> list[str]:
    """КР на СОИ by the building meter (rules.md §1.6): V_D − Σ V_u, the share, the cap,
    the zero floor and the carried negative volume."""

    def v(x: int) -> str:
        return _dec(x, VOLUME_SCALE)

    shared = d.building_volume - d.individual_total - d.carry
    carry = f" − {v(d.carry)} {unit} (отрицательный объём прошлых месяцев)" if d.carry else ""
    out = [
        f"на общее имущество = V_D {v(d.building_volume)} {unit} − Σ V_u {v(d.individual_total)} "
        f"{unit} (помещения){carry} = {v(shared)} {unit}",
        f"доля помещения S_i/S_ob = {_dec(d.share_area, AREA_SCALE)} м² / "
        f"{_dec(d.building_area, AREA_SCALE)} м²: {v(shared)} × "
        f"{_frac(d.share_area, d.building_area, AREA_SCALE)} = {v(d.fact_volume)} {unit}",
    ]
    if not d.actual:
        out.append(
            f"предел по нормативу = {_dec(d.common_norm, NORM_SCALE)} {unit}/м² × S_oi "
            f"{_dec(d.common_area, AREA_SCALE)} м² × "
            f"{_frac(d.share_area, d.building_area, AREA_SCALE)} = {v(d.norm_volume)} {unit}"
        )
    if d.fact_volume < 0:
        tail = "; отрицательный объём переносится на следующие месяцы" if d.carry_over else ""
        out.append(f"объём на общее имущество меньше нуля → за месяц 0 {unit}{tail}")
    elif line.method == Method.COMMON_CAPPED:
        out.append(
            f"доля {v(d.fact_volume)} {unit} больше норматива → начислено по нормативу "
            f"{v(line.volume)} {unit} (сверх норматива — за счёт управляющей организации)"
        )
    else:
        out.append(f"объём {v(line.volume)} {unit}")
    return out


def _percent(units: int) -> str:
    """1/10 000 of the charge as a percent."""
    return _dec(units, 100)


def _quality_text(q: QualityDetail) -> str:
    if q.kind == "interruption":
        return (
            f"перерыв {q.hours} ч при допустимых {q.total_limit} ч за месяц и {q.once_limit} ч "
            f"подряд: сверх допустимого {q.excess_hours} ч × 0,15 %/ч = {_percent(q.units)} %"
        )
    if q.kind == "waste":  # solid waste: 3.3 % per started 24 h beyond the permitted
        return (
            f"отклонение от графика вывоза ТКО {q.hours} ч при допустимых {q.once_limit} ч "
            f"на каждое: {q.units // WASTE_UNITS_PER_DAY} сут. × 3,3 % = {_percent(q.units)} %"
        )
    if q.kind == "temperature" and q.degrees and q.units == 15 * q.hours * q.degrees:
        return (
            f"температура отопления: {q.hours} ч × {q.degrees} °C × 0,15 %/(ч·°C) = "
            f"{_percent(q.units)} %"
        )
    if q.kind == "temperature":
        return (
            f"температура горячей воды: {q.hours} ч × {q.degrees // 3} (по 3 °C из "
            f"{q.degrees} °C) × 0,1 %/ч = {_percent(q.units)} %"
        )
    if q.kind == "maintenance":
        return (
            f"ремонтное отключение сверх 14 суток в год: {q.excess_hours} ч × 0,15 %/ч = "
            f"{_percent(q.units)} %"
        )
    return f"акт качества: {_percent(q.units)} %"


def _reduction_lines(line: LineLike, d: LineDetails) -> list[str]:
    out = []
    if d.absences and d.absence_amount:
        person_days = sum(p * days for p, days in d.absences)
        away = " + ".join(f"{p} чел. × {days} дн." for p, days in d.absences)
        out.append(
            f"временное отсутствие: {away} из {d.residents} чел. × {d.days_in_month} дн.: "
            f"{format_rubles(d.base_amount)} ₽ × {person_days}/{d.residents * d.days_in_month}"
            f" = {format_rubles(d.absence_amount)} ₽"
        )
    if d.quality and d.quality_amount:
        for q in d.quality:
            out.append(_quality_text(q))
        out.append(
            f"снижение за качество: {_percent(min(d.quality_units, 10_000))} % × "
            f"{format_rubles(d.base_amount)} ₽ = {format_rubles(d.quality_amount)} ₽"
        )
    return out


def _benefit_text(b: BenefitDetail, base: int) -> str:
    head = "ЕДК" if b.cash else "льгота"
    factors = ""
    if b.base == BenefitBase.SOCIAL_NORM_AREA:
        within = min(b.area, b.social_norm_area)
        factors = (
            f" × {_frac(within, b.area, AREA_SCALE)} м² (соц. норма "
            f"{_dec(b.social_norm_area, AREA_SCALE)} м²)"
        )
    elif b.base == BenefitBase.CONSUMPTION_NORM:
        within = min(max(b.volume, 0), b.norm_volume)
        factors = (
            f" × {_frac(within, b.volume, VOLUME_SCALE)} (в пределах норматива потребления "
            f"{_dec(b.norm_volume, VOLUME_SCALE)} на {b.residents} чел.)"
        )
    return (
        f"{head} «{b.name}»: {_dec(b.percent, PERCENT_SCALE)} % от {format_rubles(base)} ₽"
        f"{factors} × {b.covered}/{b.residents} чел. = {format_rubles(b.amount)} ₽"
    )


def explain_line(
    line: LineLike,
    *,
    unit: str = "",
    service: str = "",
    details: LineDetails | None = None,
    quality_limits: str = "",
) -> str:
    """A few lines of Russian text deriving the line's amount from its facts (a charge
    line), or what a recalculation line changes (`explain_recalculation`).

    ``details`` are the figures the line does not store (`raschet.billing.derivation`):
    used only when they are the stored line's (`LineDetails.matches`); without them the
    text is what the line alone can say. ``quality_limits`` names the limits of Приложение 1
    the month's interruption acts were checked against (`selectors.quality_limits`)."""
    if getattr(line, "kind", "charge") == "recalculation":
        return explain_recalculation(line, unit=unit, service=service)
    d = details if details is not None and details.matches(line) else None
    out: list[str] = []
    head = f"{service}: " if service else ""
    out.append(head + _method_name(line, d))
    rate = _dec(line.rate, RATE_SCALE) if line.rate is not None else None
    out.extend(_volume_lines(line, d, unit))
    if line.segments > 1:
        out.append(f"месяц разбит на {line.segments} периода(ов) по дням действия тарифа и фактов")
    reason = getattr(line, "reason", "") or ""
    if reason:
        out.append(reason)  # e.g. a capital-repair exemption: why days are not charged
    if rate is not None:
        out.append(f"тариф {rate} ₽ → {format_rubles(line.amount - line.coefficient_amount)} ₽")
    else:
        out.append(
            "по тарифам зон суток (многотарифный прибор учёта) → "
            f"{format_rubles(line.amount - line.coefficient_amount)} ₽"
        )
    if line.coefficient_amount:
        out.append(
            f"повышающий коэффициент: +{_dec(line.coefficient_volume, VOLUME_SCALE)} {unit} → "
            f"{format_rubles(line.coefficient_amount)} ₽"
        )
    fine = int(getattr(line, "fine", 0) or 0)
    reasons = int(getattr(line, "reduction_reasons", 0) or 0)
    if line.reduction - fine:
        if d is not None:
            out.extend(_reduction_lines(line, d))
        why = reduction_reasons_ru(reasons)
        if quality_limits and reasons & ReductionReason.QUALITY:
            why += f"; {quality_limits}"  # which limit of Приложение 1 applied
        out.append(f"снижение ({why}): {format_rubles(line.reduction - fine)} ₽")
    benefit_rows = d.benefits if d is not None else ()
    for b in benefit_rows:
        if not b.cash:
            out.append(_benefit_text(b, d.benefit_base if d else 0))
    if line.benefit:
        out.append(f"льгота: {format_rubles(line.benefit)} ₽")
    cash = int(getattr(line, "benefit_cash", 0) or 0)
    for b in benefit_rows:
        if b.cash:
            out.append(_benefit_text(b, d.benefit_base if d else 0))
    if cash:
        out.append(f"{CASH_BENEFIT_TEXT_RU}: {format_rubles(-cash)} ₽")
    if fine:
        out.append(f"{FINE_TEXT_RU}: {format_rubles(fine)} ₽")
    total = line.amount + line.reduction + line.benefit
    out.append(f"итого {format_rubles(total)} ₽")
    return "\n".join(out)


def recalculation_reason(before: Any, after: Any, *, note: str = "") -> str:
    """Why a month's figures changed, from the provenance of the posted and new lines.

    ``note`` is the new line's capital-repair exemption (`raschet.billing.exemptions.note`):
    named first when the days charged changed (the volume moved on the same area). A line
    exempt the whole month has no tariff, norm or residents of its own to compare.
    """
    reasons = []
    days_changed = before.volume != after.volume and before.area == after.area
    if note and days_changed:
        reasons.append(note)
    if after.segments != 0:
        if before.rate != after.rate:
            reasons.append("изменён тариф")
        if before.norm != after.norm:
            reasons.append("изменён норматив")
        if before.persons != after.persons:
            reasons.append("изменилось число проживающих")
    if before.area != after.area:
        reasons.append("изменена площадь")
    if before.method != after.method:
        reasons.append("изменён способ расчёта")
    elif before.volume != after.volume and not reasons:
        reasons.append(
            "изменилось число дней начисления"
            if after.method == Method.AREA
            else "изменился объём (показания)"
        )
    if before.reduction - before.fine != after.reduction - after.fine:
        reasons.append("временное отсутствие или акт качества")
    if before.fine != after.fine:
        reasons.append("штраф за незаконное начисление")
    if before.benefit != after.benefit:
        reasons.append("изменилась льгота")
    if getattr(before, "benefit_cash", 0) != getattr(after, "benefit_cash", 0):
        reasons.append("изменилась компенсация (ЕДК)")
    return "; ".join(reasons) or "изменились данные расчёта"
