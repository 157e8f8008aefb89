"""The penalty tables: key rates and special periods (rules.md §3.3, §3.4, §14), as data.

Two CSV tables, shipped in ``raschet/core/data/`` and replaceable by files of the same shape
(style.md §11: numbers are data, never literals in code):

* ``key_rates.csv`` — header ``effective_from,rate_percent``; one row per change of the Bank of
  Russia key rate (= refinancing rate since 01.01.2016, Указание ЦБ № 3894-У), dated by the
  day the rate takes **effect**, not the day it was announced (rules.md §3.4: using
  announcement dates is a common bug). Rows in ascending date order.
* ``special_periods.csv`` — header ``start,end,kind,rate_percent,debts_due_before,act``;
  ``start``/``end`` inclusive; ``kind`` is

  - ``moratorium``: the days of the period count zero; with ``debts_due_before`` only for
    tranches whose due date is before that day (ПП 497: debts that arose before 01.04.2022);
  - ``fixed``: the rate is ``rate_percent`` for a penalty whose rate date falls in the period
    (ПП 474, ПП 329: 9.5 %);
  - ``min``: the rate is min(``rate_percent``, key rate) (ПП 2479, ПП 2382);

  ``act`` is the legal act, printed in the penalty calculation.

Rates are integer hundredths of a percent (9.50 % → 950). Dates are ISO ``ГГГГ-ММ-ДД``.
Every problem is a `PenaltyDataError` naming the file, the line and the field.

Included: parsing, validation, the shipped defaults. Not included: fetching rates from
cbr.ru, the admin-editable tables (they are built from these records elsewhere), and the
computation itself (`raschet.core.penalties`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path

KEY_RATES_HEADER = ("effective_from", "rate_percent")
SPECIAL_PERIODS_HEADER = ("start", "end", "kind", "rate_percent", "debts_due_before", "act")
KEY_RATES_FILE = "key_rates.csv"
SPECIAL_PERIODS_FILE = "special_periods.csv"

MAX_RATE_HUNDREDTHS = 99_999
"""999.99 % — the largest rate a table may hold (the format allows three integer digits)."""

_RATE_RE = re.compile(r"^(\d{1,3})(?:[.,](\d{1,2}))?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PenaltyDataError(ValueError):
    """A penalty table that cannot be used; the message names file, line and field."""


class SpecialKind(StrEnum):
    MORATORIUM = "moratorium"
    FIXED = "fixed"
    MIN = "min"


@dataclass(frozen=True, slots=True)
class KeyRate:
    """The key rate in force from ``effective_from`` until the next row."""

    effective_from: date
    rate_hundredths: int  # 9.50 % → 950


@dataclass(frozen=True, slots=True)
class SpecialPeriod:
    """A moratorium or a rate rule for the days ``start``…``end`` (both inclusive)."""

    start: date
    end: date
    kind: SpecialKind
    rate_hundredths: int | None  # fixed / min only
    debts_due_before: date | None  # moratorium only: None = every debt
    act: str

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def rule_rate(self) -> int:
        """The rate of a ``fixed``/``min`` rule (hundredths of a percent)."""
        if self.rate_hundredths is None:
            raise PenaltyDataError(f"у периода {self.act} ({self.kind}) нет ставки")
        return self.rate_hundredths

    def covers_debt_due(self, due: date) -> bool:
        """Whether a moratorium applies to a tranche with this due date."""
        return self.debts_due_before is None or due < self.debts_due_before


@dataclass(frozen=True)
class PenaltyTables:
    """Both tables, checked together: at least one key rate, key-rate dates strictly
    ascending, and no two rate rules (``fixed``/``min``) on the same day. Moratoria may
    overlap each other and the rate rules."""

    key_rates: tuple[KeyRate, ...]
    special_periods: tuple[SpecialPeriod, ...] = ()

    def __post_init__(self) -> None:
        if not self.key_rates:
            raise PenaltyDataError("таблица ключевых ставок пуста")
        for before, after in zip(self.key_rates, self.key_rates[1:], strict=False):
            if after.effective_from <= before.effective_from:
                raise PenaltyDataError(
                    f"ключевые ставки: дата {after.effective_from:%d.%m.%Y} не позже "
                    f"предыдущей {before.effective_from:%d.%m.%Y}"
                )
        for rate in self.key_rates:
            if not 0 <= rate.rate_hundredths <= MAX_RATE_HUNDREDTHS:
                raise PenaltyDataError(f"ключевая ставка вне диапазона: {rate}")
        rules = [p for p in self.special_periods if p.kind != SpecialKind.MORATORIUM]
        for p in self.special_periods:
            _check_period(p)
        for i, a in enumerate(rules):
            for b in rules[i + 1 :]:
                if a.start <= b.end and b.start <= a.end:
                    raise PenaltyDataError(
                        f"особые периоды пересекаются: {a.start:%d.%m.%Y}–{a.end:%d.%m.%Y} "
                        f"({a.act}) и {b.start:%d.%m.%Y}–{b.end:%d.%m.%Y} ({b.act})"
                    )


def _check_period(p: SpecialPeriod) -> None:
    if p.end < p.start:
        raise PenaltyDataError(f"особый период {p.act}: конец раньше начала")
    if p.kind == SpecialKind.MORATORIUM:
        if p.rate_hundredths is not None:
            raise PenaltyDataError(f"мораторий {p.act}: ставка не указывается")
    else:
        if p.rate_hundredths is None or not 0 <= p.rate_hundredths <= MAX_RATE_HUNDREDTHS:
            raise PenaltyDataError(f"особый период {p.act}: нужна ставка от 0 до 999,99 %")
        if p.debts_due_before is not None:
            raise PenaltyDataError(
                f"особый период {p.act}: debts_due_before бывает только у моратория"
            )


# ---------------------------------------------------------------------------------------
# Parsing


class _Where:
    """``file, строка N, поле F: …`` prefixes of the messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, line: int, message: str, field: str | None = None) -> PenaltyDataError:
        at = f"{self.source}, строка {line}"
        if field:
            at += f", поле {field}"
        return PenaltyDataError(f"{at}: {message}")


def _rows(text: str, header: tuple[str, ...], where: _Where) -> list[tuple[int, list[str]]]:
    """Data rows with their line numbers; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise where.error(reader.line_num, f"не разбирается как CSV ({exc})") from exc
    rows = [(n, row) for n, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise PenaltyDataError(f"{where.source}: файл пуст, нужен заголовок {','.join(header)}")
    line, first = rows[0]
    if tuple(cell.strip() for cell in first) != header:
        raise where.error(
            line, f"заголовок должен быть «{','.join(header)}», получено «{','.join(first)}»"
        )
    for n, row in rows[1:]:
        if len(row) != len(header):
            raise where.error(n, f"ожидается полей: {len(header)}, получено: {len(row)}")
    return [(n, [cell.strip() for cell in row]) for n, row in rows[1:]]


def _date(text: str, line: int, field: str, where: _Where) -> date:
    if not _DATE_RE.match(text):
        raise where.error(line, f"нужна дата ГГГГ-ММ-ДД, получено «{text}»", field)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise where.error(line, f"такой даты нет: «{text}»", field) from exc


def _rate(text: str, line: int, field: str, where: _Where) -> int:
    match = _RATE_RE.match(text)
    if not match:
        raise where.error(
            line, f"нужен процент вида 9.50 (от 0 до 999.99), получено «{text}»", field
        )
    whole, frac = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(frac)


def parse_key_rates(text: str, source: str = KEY_RATES_FILE) -> tuple[KeyRate, ...]:
    """Parse ``key_rates.csv``; dates must be strictly ascending (a date out of order is
    most likely a typo in the year)."""
    where = _Where(source)
    rates: list[KeyRate] = []
    last_line = 0
    for line, (day_text, rate_text) in _rows(text, KEY_RATES_HEADER, where):
        rate = KeyRate(
            effective_from=_date(day_text, line, "effective_from", where),
            rate_hundredths=_rate(rate_text, line, "rate_percent", where),
        )
        if rates and rate.effective_from <= rates[-1].effective_from:
            raise where.error(
                line,
                f"дата {rate.effective_from:%d.%m.%Y} не позже даты строки {last_line} "
                f"({rates[-1].effective_from:%d.%m.%Y}): строки идут по возрастанию даты",
                "effective_from",
            )
        rates.append(rate)
        last_line = line
    if not rates:
        raise PenaltyDataError(f"{source}: нет ни одной ставки")
    return tuple(rates)


def parse_special_periods(
    text: str, source: str = SPECIAL_PERIODS_FILE
) -> tuple[SpecialPeriod, ...]:
    """Parse ``special_periods.csv`` (an empty table — header only — is allowed)."""
    where = _Where(source)
    periods: list[tuple[int, SpecialPeriod]] = []
    for line, cells in _rows(text, SPECIAL_PERIODS_HEADER, where):
        start_text, end_text, kind_text, rate_text, before_text, act = cells
        start = _date(start_text, line, "start", where)
        end = _date(end_text, line, "end", where)
        if end < start:
            raise where.error(line, f"конец {end:%d.%m.%Y} раньше начала {start:%d.%m.%Y}", "end")
        try:
            kind = SpecialKind(kind_text)
        except ValueError as exc:
            raise where.error(
                line,
                f"вид должен быть moratorium, fixed или min, получено «{kind_text}»",
                "kind",
            ) from exc
        rate: int | None = None
        before: date | None = None
        if kind == SpecialKind.MORATORIUM:
            if rate_text:
                raise where.error(line, "у моратория ставка не указывается", "rate_percent")
            if before_text:
                before = _date(before_text, line, "debts_due_before", where)
        else:
            if not rate_text:
                raise where.error(line, f"для вида {kind} нужна ставка", "rate_percent")
            rate = _rate(rate_text, line, "rate_percent", where)
            if before_text:
                raise where.error(line, "заполняется только для моратория", "debts_due_before")
        if not act:
            raise where.error(line, "укажите нормативный акт", "act")
        period = SpecialPeriod(start, end, kind, rate, before, act)
        if kind != SpecialKind.MORATORIUM:
            for other_line, other in periods:
                if other.kind != SpecialKind.MORATORIUM and (
                    start <= other.end and other.start <= end
                ):
                    raise where.error(
                        line,
                        f"период {start:%d.%m.%Y}–{end:%d.%m.%Y} пересекается с периодом "
                        f"строки {other_line} ({other.start:%d.%m.%Y}–{other.end:%d.%m.%Y}): "
                        "в один день действует одно правило ставки",
                        "start",
                    )
        periods.append((line, period))
    return tuple(p for _, p in periods)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise PenaltyDataError(f"{path}: нет такого файла") from exc
    except UnicodeDecodeError as exc:
        raise PenaltyDataError(
            f"{path}: файл не в кодировке UTF-8 (байт {exc.start}); сохраните его как UTF-8"
        ) from exc


def _shipped(name: str) -> str:
    return (resources.files("raschet.core") / "data" / name).read_text(encoding="utf-8-sig")


def read_tables(
    key_rates: Path | None = None, special_periods: Path | None = None
) -> PenaltyTables:
    """Both tables from files; ``None`` takes the shipped table for that file."""
    rates = (
        parse_key_rates(_read(key_rates), str(key_rates))
        if key_rates is not None
        else parse_key_rates(_shipped(KEY_RATES_FILE))
    )
    periods = (
        parse_special_periods(_read(special_periods), str(special_periods))
        if special_periods is not None
        else parse_special_periods(_shipped(SPECIAL_PERIODS_FILE))
    )
    return PenaltyTables(rates, periods)


def shipped_tables() -> PenaltyTables:
    """The tables shipped with Raschet (rules.md §3.3 without the Moscow regional period,
    §3.4, with the §14 defaults)."""
    return read_tables()
