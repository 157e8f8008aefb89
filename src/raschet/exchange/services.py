"""Writes of the exchange: the month's file for a social protection office, and applying the
office's answer (confirmed / ended / new benefits) to the persons' benefits.

An answer is checked whole before anything is written: every row, every field; when one
row is wrong, nothing of the file is applied and the run is logged as refused with all its
errors (file, line, field, in Russian). A correct file is applied in one transaction. The
same file (by SHA-256) is applied at most once per organization.

A benefit ended or started on a date in a closed month is an ordinary change of
`PersonBenefit` (its history record is written now): the next billing run finds the closed
month changed (`raschet.billing.changes`) and posts the difference as a recalculation line
in the open month (ADR 0005).

Messages are Russian literals (ADR 0003, the file importers' exception).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from raschet.core.periods import Month
from raschet.exchange import layouts
from raschet.exchange.files import ExchangeFileError, read_answer, write_export
from raschet.exchange.models import Direction, ExchangeRun, RunState
from raschet.exchange.selectors import beneficiary_rows, layout_for, snils_digits, snils_formatted
from raschet.housing.models import Account
from raschet.organizations.models import Organization
from raschet.organizations.validators import validate_snils
from raschet.registry.models import BenefitCategory, Person, PersonBenefit, Registration

MAX_ANSWER_BYTES = 50 * 1024 * 1024
MAX_ERRORS_KEPT = 1000

CONFIRMED, ENDED, NEW = "confirmed", "ended", "new"
ACTION_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("confirmed", "confirm", "1", "п", "подтв", "подтверждена", "подтверждено", "подтверждён"),
        CONFIRMED,
    ),
    **dict.fromkeys(
        ("ended", "end", "2", "к", "прекр", "прекращена", "прекращено", "снята", "снят"),
        ENDED,
    ),
    **dict.fromkeys(("new", "3", "н", "нов", "новая", "назначена", "назначено"), NEW),
}


class ExchangeError(Exception):
    """A request that cannot be carried out at all (no such layout, a bad month)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One error of an answer file: its line (0: the whole file), field and message."""

    file_name: str
    line: int
    field: str
    header: str
    message: str

    @property
    def text(self) -> str:
        where = self.file_name
        if self.line:
            where += f", строка {self.line}"
        if self.header:
            where += f", поле «{self.header}»"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "field": self.field,
            "header": self.header,
            "message": self.message,
            "text": self.text,
        }


@dataclass
class ExportResult:
    run: ExchangeRun
    data: bytes
    file_name: str
    content_type: str


@dataclass
class ImportResult:
    run: ExchangeRun
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.run.state == RunState.DONE

    def summary(self) -> str:
        if not self.ok:
            return (
                f"Ответ {self.run.file_name} не принят: ошибок {self.run.errors}; "
                "ничего не изменено"
            )
        c = self.counts
        return (
            f"Ответ {self.run.file_name} принят: строк {self.run.rows}; подтверждено "
            f"{c.get(CONFIRMED, 0)}, прекращено {c.get(ENDED, 0)}, назначено {c.get(NEW, 0)}"
            + (f", уже было так {c['unchanged']}" if c.get("unchanged") else "")
        )


CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "dbf": "application/x-dbf",
}


def _layout(organization: Organization, name: str, direction: str) -> layouts.Layout:
    try:
        return layout_for(organization_id=organization.pk, name=name, direction=direction)
    except layouts.LayoutError as exc:
        raise ExchangeError(str(exc)) from None


def export_file_name(organization: Organization, period: date, office: str, ext: str) -> str:
    suffix = f"-{office}" if office else ""
    return f"szn-{organization.code}-{period:%Y-%m}{suffix}.{ext}"


@transaction.atomic
def exchange_export(
    *,
    organization: Organization,
    period: date,
    layout_name: str = layouts.DEFAULT_EXPORT,
    office: str = "",
    user: Any = None,
    today: date,
) -> ExportResult:
    """The month's file of beneficiaries for the office, logged as an export run."""
    if period.day != 1:
        raise ExchangeError(f"Месяц выгрузки задаётся первым днём, получено {period:%d.%m.%Y}")
    office = office.strip()
    if len(office) > 40 or not re.fullmatch(r"[0-9A-Za-zА-Яа-яЁё_\-]*", office):
        raise ExchangeError("Код отдела соцзащиты: до 40 букв, цифр, «-» и «_»")
    layout = _layout(organization, layout_name, layouts.EXPORT)
    rows = beneficiary_rows(organization=organization, month=Month.of(period))
    try:
        data = write_export(layout, rows, today=today)
    except ExchangeFileError as exc:
        raise ExchangeError(str(exc)) from None
    try:
        name = layout.render_file_name(
            written=today, period=period, organization_code=organization.code, office=office
        ) or export_file_name(organization, period, office, layout.extension)
    except layouts.LayoutError as exc:
        raise ExchangeError(str(exc)) from None
    run = ExchangeRun.objects.create(
        organization=organization,
        direction=Direction.EXPORT,
        state=RunState.DONE,
        period=period,
        office=office,
        layout=layout.name,
        file_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        rows=len(rows),
        counts={"persons": len({(r["snils"], r["last_name"], r["birth_date"]) for r in rows})},
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return ExportResult(
        run=run, data=data, file_name=name, content_type=CONTENT_TYPES[layout.format]
    )


# ----------------------------------------------------------------------------- import


@dataclass
class _Action:
    line: int
    kind: str
    person: Person
    category: BenefitCategory
    on: date
    document: str
    benefit: PersonBenefit | None = None  # the one confirmed or ended


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%Y%m%d", "%d/%m/%Y")


def _date(value: object) -> date | None:
    """A date cell: a `date` (XLSX, DBF) or text ``DD.MM.YYYY`` / ``YYYY-MM-DD``; ``None``
    when blank; `ValueError` when unreadable or out of 1900–2100."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _text(value)
        if not text:
            return None
        for fmt in _DATE_FORMATS:
            try:
                day = datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"не дата: «{text[:40]}» (нужно ДД.ММ.ГГГГ)")
    if not 1900 <= day.year <= 2100:
        raise ValueError(f"дата {day:%d.%m.%Y} вне 1900–2100 годов")
    return day


def _fold(name: str) -> str:
    return name.strip().casefold().replace("ё", "е")


class _Checker:
    """Validates the rows of one answer file against the organization's registry."""

    def __init__(
        self, organization: Organization, layout: layouts.Layout, file_name: str, today: date
    ) -> None:
        self.org = organization
        self.layout = layout
        self.file_name = file_name
        self.today = today
        self.headers = {c.field: c.header for c in layout.columns}
        self.problems: list[Problem] = []
        self.actions: list[_Action] = []

    def problem(self, line: int, field_name: str, message: str) -> None:
        self.problems.append(
            Problem(self.file_name, line, field_name, self.headers.get(field_name, ""), message)
        )

    def check(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        org_id = self.org.pk
        snils_in_file = set()
        dates_in_file = set()
        for _line, values in rows:
            digits = snils_digits(_text(values.get("snils")))
            if len(digits) == 11:
                snils_in_file.add(digits)
            try:
                born = _date(values.get("birth_date"))
            except ValueError:
                born = None
            if born:
                dates_in_file.add(born)
        variants = set()
        for d in snils_in_file:
            variants |= {d, snils_formatted(d), f"{d[:3]}-{d[3:6]}-{d[6:9]}-{d[9:]}"}
            variants.add(f"{d[:3]} {d[3:6]} {d[6:9]} {d[9:]}")
        by_snils: dict[str, list[Person]] = defaultdict(list)
        for p in Person.objects.filter(organization_id=org_id, snils__in=variants):
            by_snils[snils_digits(p.snils)].append(p)
        by_name: dict[tuple[str, str, str, date], list[Person]] = defaultdict(list)
        for p in Person.objects.filter(organization_id=org_id, birth_date__in=dates_in_file):
            key = (_fold(p.last_name), _fold(p.first_name), _fold(p.middle_name), p.birth_date)
            by_name[key].append(p)  # type: ignore[index]
        self.categories = {
            c.code.casefold(): c for c in BenefitCategory.objects.filter(organization_id=org_id)
        }
        numbers = {_text(v.get("account")) for _, v in rows if _text(v.get("account"))}
        self.accounts = {
            a.number: a for a in Account.objects.filter(organization_id=org_id, number__in=numbers)
        }
        seen: dict[tuple[int, int], int] = {}
        found: list[tuple[int, Person, BenefitCategory, str, date | None, str]] = []
        for line, values in rows:
            person = self._person(line, values, by_snils, by_name)
            category = self._category(line, values)
            kind = self._action(line, values)
            try:
                on = _date(values.get("date"))
            except ValueError as exc:
                self.problem(line, "date", str(exc))
                continue
            if kind in (ENDED, NEW) and on is None:
                self.problem(
                    line,
                    "date",
                    "нужна дата: прекращения (первый день без льготы)"
                    if kind == ENDED
                    else "нужна дата начала льготы",
                )
            if person is None or category is None or kind is None:
                continue
            if not self._account(line, values, person):
                continue
            pair = (person.pk, category.pk)
            if pair in seen:
                self.problem(
                    line,
                    "category",
                    f"льгота «{category.code}» этого человека уже есть в строке {seen[pair]}",
                )
                continue
            seen[pair] = line
            document = _text(values.get("document"))[:200]
            found.append((line, person, category, kind, on, document))
        if self.problems:
            return
        benefits: dict[tuple[int, int], list[PersonBenefit]] = defaultdict(list)
        for pb in PersonBenefit.objects.filter(
            organization_id=org_id, person_id__in={f[1].pk for f in found}
        ).order_by("valid_from"):
            benefits[(pb.person_id, pb.category_id)].append(pb)
        for line, person, category, kind, on, document in found:
            self._plan(
                line, person, category, kind, on, document, benefits[(person.pk, category.pk)]
            )

    def _person(
        self,
        line: int,
        values: Mapping[str, Any],
        by_snils: Mapping[str, list[Person]],
        by_name: Mapping[tuple[str, str, str, date], list[Person]],
    ) -> Person | None:
        raw_snils = _text(values.get("snils"))
        if raw_snils:
            try:
                validate_snils(raw_snils)
            except ValidationError as exc:
                self.problem(line, "snils", " ".join(exc.messages))
                return None
            candidates = by_snils.get(snils_digits(raw_snils), [])
            if len(candidates) == 1:
                return candidates[0]
            if len(candidates) > 1:
                self.problem(line, "snils", f"СНИЛС {raw_snils} есть у нескольких людей")
                return None
        last, first = _text(values.get("last_name")), _text(values.get("first_name"))
        middle = _text(values.get("middle_name"))
        try:
            born = _date(values.get("birth_date"))
        except ValueError as exc:
            self.problem(line, "birth_date", str(exc))
            return None
        if not (last and first and born):
            if raw_snils:
                self.problem(line, "snils", f"нет человека со СНИЛС {raw_snils}")
            elif "snils" in self.headers:
                self.problem(line, "snils", "нужен СНИЛС или фамилия, имя и дата рождения")
            else:
                self.problem(line, "last_name", "нужны фамилия, имя и дата рождения")
            return None
        key = (_fold(last), _fold(first), _fold(middle), born)
        candidates = by_name.get(key, [])
        if not candidates:
            who = f"{last} {first} {middle}".strip()
            extra = f" (и со СНИЛС {raw_snils})" if raw_snils else ""
            self.problem(
                line, "last_name", f"нет человека «{who}», родившегося {born:%d.%m.%Y}{extra}"
            )
            return None
        if len(candidates) > 1:
            self.problem(
                line,
                "last_name",
                "несколько людей с такими ФИО и датой рождения — укажите СНИЛС",
            )
            return None
        person = candidates[0]
        if raw_snils and person.snils and snils_digits(person.snils) != snils_digits(raw_snils):
            self.problem(
                line,
                "snils",
                f"у {person.full_name} в реестре другой СНИЛС: {snils_formatted(person.snils)}",
            )
            return None
        return person

    def _category(self, line: int, values: Mapping[str, Any]) -> BenefitCategory | None:
        code = _text(values.get("category"))
        if not code:
            self.problem(line, "category", "пустой код льготы")
            return None
        category = self.categories.get(code.casefold())
        if category is None:
            self.problem(line, "category", f"нет льготной категории с кодом «{code[:40]}»")
        return category

    def _action(self, line: int, values: Mapping[str, Any]) -> str | None:
        word = _text(values.get("action"))
        kind = ACTION_WORDS.get(word.casefold())
        if kind is None:
            self.problem(
                line,
                "action",
                f"действие «{word[:40]}» непонятно: нужно подтверждена / прекращена / новая "
                "(или 1 / 2 / 3)",
            )
        return kind

    def _account(self, line: int, values: Mapping[str, Any], person: Person) -> bool:
        number = _text(values.get("account"))
        if not number:
            return True
        account = self.accounts.get(number)
        if account is None:
            self.problem(line, "account", f"нет лицевого счёта {number[:30]}")
            return False
        if not Registration.objects.filter(account=account, person=person).exists():
            self.problem(
                line,
                "account",
                f"{person.full_name} не зарегистрирован(а) на лицевом счёте {number}",
            )
            return False
        return True

    def _plan(
        self,
        line: int,
        person: Person,
        category: BenefitCategory,
        kind: str,
        on: date | None,
        document: str,
        existing: list[PersonBenefit],
    ) -> None:
        code = category.code
        if kind == CONFIRMED:
            day = on or self.today
            current = [
                b
                for b in existing
                if b.valid_from <= day and (b.valid_to is None or b.valid_to > day)
            ]
            if not current:
                self.problem(
                    line,
                    "category",
                    f"нечего подтверждать: у {person.full_name} нет льготы «{code}» "
                    f"на {day:%d.%m.%Y}",
                )
                return
            self.actions.append(_Action(line, kind, person, category, day, document, current[0]))
        elif kind == ENDED:
            assert on is not None  # noqa: S101 - checked in `check`
            # the benefit in force on the last day with it
            current = [
                b
                for b in existing
                if b.valid_from < on and (b.valid_to is None or b.valid_to >= on)
            ]
            if not current:
                later = [b for b in existing if b.valid_from >= on]
                why = (
                    f"льгота «{code}» начинается {later[0].valid_from:%d.%m.%Y}, не раньше даты "
                    "прекращения"
                    if later
                    else f"у {person.full_name} нет льготы «{code}», действующей до {on:%d.%m.%Y}"
                )
                self.problem(line, "date", why)
                return
            self.actions.append(_Action(line, kind, person, category, on, document, current[-1]))
        else:
            assert on is not None  # noqa: S101 - checked in `check`
            clash = [b for b in existing if b.valid_to is None or b.valid_to > on]
            if clash:
                b = clash[0]
                until = f" по {b.valid_to:%d.%m.%Y}" if b.valid_to else ""
                self.problem(
                    line,
                    "date",
                    f"у {person.full_name} уже есть льгота «{code}» с "
                    f"{b.valid_from:%d.%m.%Y}{until}",
                )
                return
            self.actions.append(_Action(line, kind, person, category, on, document))


def _refused(
    organization: Organization,
    layout: str,
    file_name: str,
    sha: str,
    rows: int,
    problems: list[Problem],
    user: Any,
) -> ImportResult:
    run = ExchangeRun.objects.create(
        organization=organization,
        direction=Direction.IMPORT,
        state=RunState.REFUSED,
        layout=layout,
        file_name=file_name,
        sha256=sha,
        rows=rows,
        errors=len(problems),
        error_list=[p.as_dict() for p in problems[:MAX_ERRORS_KEPT]],
        created_by=user,
    )
    return ImportResult(run=run, problems=problems)


def exchange_import(
    *,
    organization: Organization,
    data: bytes,
    file_name: str,
    layout_name: str = layouts.DEFAULT_RESPONSE,
    user: Any = None,
    today: date,
) -> ImportResult:
    """Check the office's answer file whole and apply it, all or nothing.

    ``confirmed`` checks that the benefit is in force on the row's date (today when blank)
    and changes nothing; ``ended`` sets the end of the benefit in force to the row's date —
    the first day without it (``valid_to``, ADR 0002); ``new`` creates the benefit from the
    row's date, open-ended. Returns the logged run and, when refused, every problem.
    """
    user = user if getattr(user, "is_authenticated", False) else None
    file_name = (file_name or "answer").replace("\\", "/").rsplit("/", 1)[-1][:300]
    layout = _layout(organization, layout_name, layouts.RESPONSE)
    sha = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_ANSWER_BYTES:
        problem = Problem(
            file_name, 0, "", "", f"файл больше {MAX_ANSWER_BYTES // (1024 * 1024)} МБ"
        )
        return _refused(organization, layout.name, file_name, sha, 0, [problem], user)
    earlier = _applied(organization, sha)
    if earlier is not None:
        return _refused(
            organization, layout.name, file_name, sha, 0, [_again(file_name, earlier)], user
        )
    try:
        rows = read_answer(layout, data, file_name)
    except ExchangeFileError as exc:
        return _refused(
            organization, layout.name, file_name, sha, 0, [_file_problem(file_name, exc)], user
        )
    if not rows:
        problem = Problem(file_name, 0, "", "", "в файле нет ни одной строки данных")
        return _refused(organization, layout.name, file_name, sha, 0, [problem], user)
    checker = _Checker(organization, layout, file_name, today)
    checker.check(rows)
    if checker.problems:
        return _refused(
            organization, layout.name, file_name, sha, len(rows), checker.problems, user
        )
    try:
        with transaction.atomic():
            # one answer at a time per organization: the second waits, then sees the first
            Organization.objects.select_for_update().filter(pk=organization.pk).first()
            counts = _apply(organization, checker.actions, file_name)
            run = ExchangeRun.objects.create(
                organization=organization,
                direction=Direction.IMPORT,
                state=RunState.DONE,
                layout=layout.name,
                file_name=file_name,
                sha256=sha,
                rows=len(rows),
                counts=counts,
                created_by=user,
            )
    except IntegrityError:
        earlier = _applied(organization, sha)
        if earlier is None:
            raise
        return _refused(
            organization, layout.name, file_name, sha, 0, [_again(file_name, earlier)], user
        )
    except ValidationError as exc:  # a concurrent edit made a row clash after the check
        problem = Problem(file_name, 0, "", "", "; ".join(exc.messages))
        return _refused(organization, layout.name, file_name, sha, len(rows), [problem], user)
    return ImportResult(run=run, counts=counts)


def _file_problem(file_name: str, exc: ExchangeFileError) -> Problem:
    """A whole-file error as a `Problem`: the file name and line taken out of the message."""
    match = re.match(rf"^{re.escape(file_name)}(?:, строка (\d+))?: (.*)$", str(exc), re.S)
    if match is None:
        return Problem(file_name, 0, "", "", str(exc))
    return Problem(file_name, int(match.group(1) or 0), "", "", match.group(2))


def _applied(organization: Organization, sha: str) -> ExchangeRun | None:
    return ExchangeRun.objects.filter(
        organization=organization, direction=Direction.IMPORT, state=RunState.DONE, sha256=sha
    ).first()


def _again(file_name: str, earlier: ExchangeRun) -> Problem:
    return Problem(
        file_name,
        0,
        "",
        "",
        f"этот файл уже принят {earlier.created_at:%d.%m.%Y %H:%M} "
        f"(обмен №{earlier.pk}, «{earlier.file_name}»); повторно не применяется",
    )


def _apply(organization: Organization, actions: list[_Action], file_name: str) -> dict[str, int]:
    counts = {CONFIRMED: 0, ENDED: 0, NEW: 0, "unchanged": 0}
    for action in actions:
        if action.kind == CONFIRMED:
            counts[CONFIRMED] += 1
            continue
        if action.kind == ENDED:
            benefit = action.benefit
            assert benefit is not None  # noqa: S101 - set by the checker
            if benefit.valid_to == action.on:
                counts["unchanged"] += 1
                continue
            benefit.valid_to = action.on
            benefit.full_clean()
            benefit.save(update_fields=["valid_to"])
            counts[ENDED] += 1
            continue
        benefit = PersonBenefit(
            organization=organization,
            person=action.person,
            category=action.category,
            valid_from=action.on,
            document=action.document or f"Ответ соцзащиты {file_name}"[:200],
        )
        benefit.full_clean()
        benefit.save()
        counts[NEW] += 1
    return counts
