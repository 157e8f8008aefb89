"""The derivation of a charge line in Russian (the CLI, the back office, the portal and the
payment document all show this text), and the reason of a recalculation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from raschet.core.billing import InterruptionPool, Method, ReductionReason
from raschet.core.fixedpoint import AREA_SCALE, NORM_SCALE, RATE_SCALE, VOLUME_SCALE
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
    Method.HEATING_BUILDING: "по общедомовому прибору пропорционально площади (формула 3)",
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
}


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


def explain_line(
    line: LineLike, *, unit: str = "", service: str = "", quality_limits: str = ""
) -> str:
    """A few lines of Russian text deriving the line's amount from its facts (a charge
    line), or what a recalculation line changes (`explain_recalculation`)."""
    if getattr(line, "kind", "charge") == "recalculation":
        return explain_recalculation(line, unit=unit, service=service)
    out: list[str] = []
    head = f"{service}: " if service else ""
    out.append(head + METHOD_NAMES_RU.get(line.method, str(line.method)))
    vol = _dec(line.volume, VOLUME_SCALE)
    rate = _dec(line.rate, RATE_SCALE) if line.rate is not None else None
    if line.method in (Method.NORM, Method.NORM_COEFFICIENT) and line.norm is not None:
        out.append(
            f"объём = {line.persons} чел. × норматив {_dec(line.norm, NORM_SCALE)} {unit} = "
            f"{vol} {unit}"
        )
    elif line.method == Method.NORM_AREA and line.norm is not None:
        out.append(
            f"объём = {_dec(line.area, AREA_SCALE)} м² × норматив {_dec(line.norm, NORM_SCALE)} "
            f"{unit}/м² = {vol} {unit}"
        )
    elif line.method in (
        Method.AVERAGE_NOT_SUBMITTED,
        Method.AVERAGE_BROKEN,
        Method.AVERAGE_NO_ACCESS,
    ):
        out.append(f"средний объём за {line.average_months} мес. = {vol} {unit}")
    elif line.method in (Method.AREA,):
        out.append(f"площадь {_dec(line.area, AREA_SCALE)} м²")
    elif line.method == Method.PER_PERSON:
        out.append(f"проживающих: {line.persons} чел.")
    elif line.method == Method.HEATING_NORM and line.norm is not None:
        out.append(
            f"объём = {_dec(line.area, AREA_SCALE)} м² × {_dec(line.norm, NORM_SCALE)} "
            f"{unit}/м² = {vol} {unit}"
        )
    else:
        out.append(f"объём {vol} {unit}".rstrip())
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
        why = reduction_reasons_ru(reasons)
        if quality_limits and reasons & ReductionReason.QUALITY:
            why += f"; {quality_limits}"  # which limit of Приложение 1 applied
        out.append(f"снижение ({why}): {format_rubles(line.reduction - fine)} ₽")
    if line.benefit:
        out.append(f"льгота: {format_rubles(line.benefit)} ₽")
    cash = int(getattr(line, "benefit_cash", 0) or 0)
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
