"""The file phase: rows of the template → buildings, premises, accounts, people and links.

No database access. Values that repeat on several rows (a building's area on every row of
the building) must agree: the first non-empty value wins and a different one is an error
naming both rows. A blank cell means "not given": a new row gets the default, an existing
database row keeps its value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Any

from raschet.importers.housing import values as v
from raschet.importers.housing.columns import COLUMN_BY_KEY, COLUMNS, HEADER_INDEX, normalize_header
from raschet.importers.housing.report import ImportIssue

PersonKey = tuple[str, str, str, dt.date | None]
PremisesKey = tuple[str, str]
MAX_ERRORS = 10_000

_PARSERS: dict[str, Callable[[object], Any]] = {
    "fias_guid": v.parse_uuid,
    "year_built": partial(v.parse_int, low=1700, high=2100),
    "floors": partial(v.parse_int, low=1, high=200),
    "building_area_total": partial(v.parse_area, maximum=v.BUILDING_AREA_MAX),
    "building_area_residential": partial(
        v.parse_area, maximum=v.BUILDING_AREA_MAX, allow_zero=True
    ),
    "building_area_non_residential": partial(
        v.parse_area, maximum=v.BUILDING_AREA_MAX, allow_zero=True
    ),
    "building_area_common": partial(v.parse_area, maximum=v.BUILDING_AREA_MAX, allow_zero=True),
    "heating_mode": partial(
        v.choice, options=v.HEATING, hint="в отопительный период, равномерно, нет"
    ),
    "common_property_mode": partial(
        v.choice, options=v.COMMON_PROPERTY, hint="по нормативу, по факту"
    ),
    "premises_kind": partial(v.choice, options=v.PREMISES_KIND, hint="жилое, нежилое"),
    "premises_area_total": partial(v.parse_area, maximum=v.PREMISES_AREA_MAX),
    "premises_area_living": partial(v.parse_area, maximum=v.PREMISES_AREA_MAX),
    "rooms": partial(v.parse_int, low=0, high=50),
    "communal_flat": v.parse_bool,
    "opened_on": v.parse_date,
    "closed_on": v.parse_date,
    "payer_name": partial(v.parse_str, max_length=300),
    "tenure": partial(v.choice, options=v.TENURE, hint="собственник, наниматель"),
    "account_area": partial(v.parse_area, maximum=v.PREMISES_AREA_MAX),
    "services": v.parse_services,
    "services_from": v.parse_date,
    "full_name": v.parse_full_name,
    "birth_date": v.parse_date,
    "snils": v.parse_snils,
    "share": v.parse_share,
    "owner_from": v.parse_date,
    "registration": partial(v.choice, options=v.REGISTRATION_KIND, hint="постоянная, временная"),
    "registered_from": v.parse_date,
    "registered_to": v.parse_date,
    "relation": partial(v.choice, options=v.RELATION, hint="собственник, супруг(а), сын, дочь…"),
}
_KEYS: dict[str, Callable[[object], Any]] = {
    "address": partial(v.parse_str, max_length=300),
    "premises_number": partial(v.parse_str, max_length=20),
    "account_number": v.parse_account_number,
}
_GROUPS = ("building", "premises", "account")
_SUSPECT = frozenset({"=", "#"})


@dataclass(slots=True)
class Entity:
    """Values gathered for one building / premises / account / person from its rows."""

    row: int
    raw: tuple[object, ...] | None = None
    values: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    bad: bool = False


@dataclass(slots=True)
class Link:
    """One person row: the person's ownership and/or registration in an account."""

    row: int
    account: str
    person: PersonKey
    share: Fraction | None
    owner_from: dt.date | None
    kind: str | None
    reg_from: dt.date | None
    reg_to: dt.date | None
    relation: str | None


@dataclass
class Collected:
    sheet: str
    rows: int = 0
    buildings: dict[str, Entity] = field(default_factory=dict)
    premises: dict[PremisesKey, Entity] = field(default_factory=dict)
    accounts: dict[str, Entity] = field(default_factory=dict)
    account_premises: dict[str, PremisesKey] = field(default_factory=dict)
    persons: dict[PersonKey, Entity] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)

    def error(self, row: int, key: str, value: object, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            header = COLUMN_BY_KEY[key].header if key in COLUMN_BY_KEY else key
            self.errors.append(ImportIssue(self.sheet, row, header, v.text(value), message))
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append(
                ImportIssue(self.sheet, 0, "", "", f"показаны первые {MAX_ERRORS} ошибок")
            )


def map_header(sheet: str, header_row: int, header: list[object]) -> tuple[dict[str, int], list]:
    """Header cells → {column key: position}; unknown, repeated and missing columns are errors."""
    positions: dict[str, int] = {}
    issues: list[ImportIssue] = []
    for idx, cell in enumerate(header):
        name = v.text(cell)
        if not name:
            continue
        key = HEADER_INDEX.get(normalize_header(name))
        if key is None:
            issues.append(
                ImportIssue(sheet, header_row, name, name, "лишний столбец: его нет в шаблоне")
            )
        elif key in positions:
            issues.append(ImportIssue(sheet, header_row, name, name, "столбец повторяется"))
        else:
            positions[key] = idx
    for col in COLUMNS:
        if col.required and col.key not in positions:
            issues.append(
                ImportIssue(sheet, header_row, col.header, "", "нет обязательного столбца")
            )
    if not positions:
        issues.append(
            ImportIssue(
                sheet,
                header_row,
                "",
                "",
                "не найден ни один столбец шаблона — проверьте кодировку (UTF-8 или cp1251), "
                "разделитель («;» или «,») и первую строку заголовка",
            )
        )
    return positions, issues


class Collector:
    """Feeds rows one by one; keeps only the merged entities, not the rows."""

    def __init__(
        self,
        *,
        sheet: str,
        positions: dict[str, int],
        width: int,
        known_services: dict[str, tuple[bool, int]],
        today: dt.date,
    ) -> None:
        self.out = Collected(sheet=sheet)
        self.positions = positions
        self.width = width
        self.known_services = known_services
        self.today = today
        self.group_cols = {
            g: [(c.key, positions[c.key]) for c in COLUMNS if c.group == g and c.key in positions]
            for g in (*_GROUPS, "person")
        }
        self.group_idx = {g: [i for _, i in cols] for g, cols in self.group_cols.items()}
        self._key_at = {i: k for k, i in positions.items()}
        self._unused = set(range(width)) - set(self._key_at)

    # -- rows ---------------------------------------------------------------------------------

    def feed(self, row: int, cells: tuple[object, ...]) -> None:
        out = self.out
        if len(cells) < self.width:
            cells = cells + (None,) * (self.width - len(cells))
        if not any(cells) and not any(not v.is_blank(c) for c in cells):
            return
        out.rows += 1
        row_bad = False
        # Fast path: plain text cells that cannot be formulas or Excel errors are fine.
        suspicious = [
            idx
            for idx, cell in enumerate(cells)
            if cell is not None and (cell.__class__ is not str or cell[:1] in _SUSPECT)
        ]
        if len(cells) > self.width or self._unused:
            suspicious += [i for i in range(len(cells)) if i >= self.width or i in self._unused]
        for idx in suspicious:
            cell = cells[idx]
            if idx >= self.width or idx not in self._key_at:
                if not v.is_blank(cell):
                    out.error(row, f"столбец {idx + 1}", cell, "значение в столбце без заголовка")
                    row_bad = True
                continue
            try:
                v.check_not_formula(cell)
            except v.CellError as exc:
                out.error(row, self._key_at[idx], cell, str(exc))
                row_bad = True
                cells = (*cells[:idx], None, *cells[idx + 1 :])
        ok = True
        keys: dict[str, str] = {}
        for key, parse in _KEYS.items():
            raw = cells[self.positions[key]]
            if v.is_blank(raw):
                out.error(row, key, "", "обязательное поле не заполнено")
                ok = False
                continue
            try:
                keys[key] = parse(raw)
            except v.CellError as exc:
                out.error(row, key, raw, str(exc))
                ok = False
        if not ok:
            return
        address, number, account = keys["address"], keys["premises_number"], keys["account_number"]
        pkey = (address, number)
        previous = out.account_premises.setdefault(account, pkey)
        if previous != pkey:
            first = out.accounts[account].row
            out.error(
                row,
                "account_number",
                account,
                f"этот лицевой счёт в строке {first} относится к другому помещению: "
                f"{previous[0]}, пом. {previous[1]}",
            )
            return
        ok &= self._merge(out.buildings, address, "building", row, cells, row_bad)
        ok &= self._merge(out.premises, pkey, "premises", row, cells, row_bad)
        ok &= self._merge(out.accounts, account, "account", row, cells, row_bad)
        self._person(row, cells, account, ok and not row_bad)

    def _merge(
        self, store: dict, key: Any, group: str, row: int, cells: tuple, row_bad: bool
    ) -> bool:
        raw = tuple(cells[i] for i in self.group_idx[group])
        entity = store.get(key)
        if entity is None:
            entity = store[key] = Entity(row=row)
        if row_bad:
            entity.bad = True  # its 'required on some row' checks would only add noise
        elif entity.raw == raw:
            return True  # the same cells as a row already merged: nothing new
        if entity.raw is None:
            entity.raw = raw
        ok = True
        for col_key, idx in self.group_cols[group]:
            cell = cells[idx]
            if col_key in _KEYS or v.is_blank(cell):
                continue
            try:
                value = _PARSERS[col_key](cell)
            except v.CellError as exc:
                self.out.error(row, col_key, cell, str(exc))
                entity.bad = True
                ok = False
                continue
            ok &= self._put(entity, col_key, value, cell, row)
        return ok

    def _put(self, entity: Entity, key: str, value: Any, cell: object, row: int) -> bool:
        if key not in entity.values:
            entity.values[key] = value
            entity.rows[key] = row
            return True
        if entity.values[key] == value:
            return True
        first = entity.rows[key]
        self.out.error(
            row,
            key,
            cell,
            f"расходится со строкой {first}: там «{_shown(entity.values[key])}»",
        )
        entity.bad = True
        return False

    def _person(self, row: int, cells: tuple, account: str, ok: bool) -> None:
        cols = self.group_cols["person"]
        given = {k: cells[i] for k, i in cols if not v.is_blank(cells[i])}
        if not given:
            return
        parsed: dict[str, Any] = {}
        for key, cell in given.items():
            try:
                parsed[key] = _PARSERS[key](cell)
            except v.CellError as exc:
                self.out.error(row, key, cell, str(exc))
                ok = False
        if "full_name" not in given:
            self.out.error(row, "full_name", "", "заполнены данные гражданина, но нет ФИО")
            return
        if not ok or "full_name" not in parsed:
            return
        birth = parsed.get("birth_date")
        if birth is not None and birth > self.today:
            self.out.error(row, "birth_date", given["birth_date"], "дата рождения в будущем")
            return
        last, first, middle = parsed["full_name"]
        pkey: PersonKey = (last, first, middle, birth)
        person = self.out.persons.get(pkey)
        if person is None:
            person = self.out.persons[pkey] = Entity(row=row)
        snils = parsed.get("snils")
        if snils is not None and not self._put(person, "snils", snils, given["snils"], row):
            return
        self.out.links.append(
            Link(
                row=row,
                account=account,
                person=pkey,
                share=parsed.get("share"),
                owner_from=parsed.get("owner_from"),
                kind=parsed.get("registration"),
                reg_from=parsed.get("registered_from"),
                reg_to=parsed.get("registered_to"),
                relation=parsed.get("relation"),
            )
        )


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return " ".join(str(x) for x in value if x)
    if isinstance(value, Fraction):
        return str(value)
    return v.text(value)


def collect_rows(collector: Collector, rows: Iterable[tuple[int, tuple[object, ...]]]) -> None:
    for row, cells in rows:
        collector.feed(row, cells)
