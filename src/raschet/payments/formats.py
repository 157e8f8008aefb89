"""Incoming bank / payment-agent registries (реестр платежей): layouts and the one parser.

There is no national format (rules.md §7.1): each bank or agent contract has its own
line-oriented text file. So a format is data — a TOML *layout* in ``layouts/`` next to this
module (docs/payment-registries.md lists its keys) — and `parse_registry` reads any of them
(style.md §11).

Included: decoding in the layout's encoding, the preamble and header row, payment lines into
columns, line-level rejections, the trailer (итоговая строка) and its checks against the
lines, duplicate keys inside one file.
Not included: anything that needs the database — which account a number is, payments already
imported from earlier files, allocation and splitting (§7.2). The payments app does those
with the columns returned here.

Pure: stdlib and `raschet.core.money` only, no Django; the clock is never read (``today`` is
an argument, style.md §3). Money is int kopecks read from text without a float (rules §0).
Whole-file problems raise `RegistryFileError`: nothing of such a file may be imported.
"""

from __future__ import annotations

import csv
import functools
import gc
import re
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import repeat
from typing import Any, NamedTuple, NoReturn

from raschet.core.money import format_rubles
from raschet.payments.registry_layouts import (  # noqa: F401 - the layout API is formats' too
    _AMOUNT_HINT,
    _BLOCK_BYTES,
    _BOM,
    AMOUNT_FORMATS,
    FIELD_TITLES,
    LAYOUTS_DIR,
    MAX_AMOUNT_KOPECKS,
    MAX_OPERATION_ID_CHARS,
    MAX_PREAMBLE_LINES,
    REQUIRED_COLUMNS,
    TRAILER_FIELDS,
    Layout,
    LayoutError,
    RegistryFileError,
    TrailerRule,
    available_layouts,
    load_layout,
    parse_layout,
)

# --------------------------------------------------------------------------- results


class Rejection(NamedTuple):
    """A payment line left out (the rest of the file goes on). ``field`` is a code of
    `FIELD_TITLES` (``"line"``: the whole line), ``message`` is Russian."""

    line_no: int
    field: str
    value: str
    message: str


class Duplicate(NamedTuple):
    """A later accepted line with the same duplicate key; it stays among the payments."""

    line_no: int
    operation_id: str
    first_line_no: int


@dataclass(frozen=True)
class Trailer:
    line_no: int
    count: int
    total_kopecks: int | None
    transferred_kopecks: int | None
    commission_kopecks: int | None
    order_number: str
    order_date: date | None


class PaymentRecord(NamedTuple):
    line_no: int
    paid_on: date
    paid_at_time: time | None
    operation_id: str
    account: str
    payer_name: str
    address: str
    period: date | None
    amount_kopecks: int
    transferred_kopecks: int
    commission_kopecks: int
    branch: str
    office: str
    terminal: str
    tags: dict[str, str]


@dataclass(frozen=True)
class PaymentColumns:
    """The accepted payment lines column by column (index i is the same line everywhere).

    Line numbers and money are ``array('q')`` (int64: ``numpy.frombuffer(a, numpy.int64)``
    wraps one without a copy); dates are shared `date` objects; ``period`` is the first day
    of the named month or ``None``; text is stripped, ``""`` when the layout has no column.
    """

    line_no: array[int]
    paid_on: list[date]
    paid_at_time: list[time | None]
    operation_id: list[str]
    account: list[str]
    payer_name: list[str]
    address: list[str]
    period: list[date | None]
    amount_kopecks: array[int]
    transferred_kopecks: array[int]
    commission_kopecks: array[int]
    branch: list[str]
    office: list[str]
    terminal: list[str]
    tags: Mapping[str, list[str]]

    def __len__(self) -> int:
        return len(self.line_no)

    def records(self) -> Iterator[PaymentRecord]:
        """Line by line — for small files and tests; the app should use the columns."""
        columns = [getattr(self, name) for name in PaymentRecord._fields[:-1]]
        for i in range(len(self)):
            tags = {name: values[i] for name, values in self.tags.items()}
            yield PaymentRecord._make([*(column[i] for column in columns), tags])


@dataclass(frozen=True)
class ParsedRegistry:
    """A registry file that may be imported: accepted lines, rejected lines, duplicates.

    ``payment_lines`` counts every payment line, accepted or not (the trailer's count is
    checked against it); ``total_kopecks`` sums the amounts of all lines whose amount reads,
    accepted or not (the trailer's total is checked against it).
    """

    filename: str
    layout: str
    payments: PaymentColumns
    rejected: list[Rejection]
    duplicates: list[Duplicate]
    trailer: Trailer | None
    payment_lines: int
    total_kopecks: int

    @property
    def accepted_kopecks(self) -> int:
        return sum(self.payments.amount_kopecks)


# --------------------------------------------------------------------------- values


class _Bad:
    """A value that does not read, or reads but is not allowed (then ``kopecks`` keeps it so
    that the trailer sums can still be checked)."""

    __slots__ = ("kopecks", "message", "text")

    def __init__(self, text: str, message: str, kopecks: int | None = None) -> None:
        self.text, self.message, self.kopecks = text, message, kopecks


def human_format(fmt: str) -> str:
    """``%d-%m-%Y`` → ``ДД-ММ-ГГГГ`` for messages."""
    for code, text in (("%d", "ДД"), ("%m", "ММ"), ("%Y", "ГГГГ"), ("%y", "ГГ"), ("%H", "ЧЧ")):
        fmt = fmt.replace(code, text)
    return fmt.replace("%M", "мм").replace("%S", "СС")


_DIRECTIVES = {
    "d": "day",
    "m": "month",
    "Y": "year",
    "y": "yy",
    "H": "hour",
    "M": "minute",
    "S": "second",
}


@functools.cache
def _format_regex(fmt: str) -> re.Pattern[str] | None:
    """A regex for a format made of ``%d %m %Y %y %H %M %S`` and literal text (a tenth of
    `strptime`'s time on the ~86,400 distinct times of a big file); None for other formats."""
    pattern = ""
    for i, piece in enumerate(re.split(r"(%.)", fmt)):
        if i % 2 == 0:
            pattern += re.escape(piece)
        elif piece[1] in _DIRECTIVES and f"(?P<{_DIRECTIVES[piece[1]]}>" not in pattern:
            digits = "{4}" if piece == "%Y" else "{2}" if piece == "%y" else "{1,2}"
            pattern += f"(?P<{_DIRECTIVES[piece[1]]}>[0-9]{digits})"
        else:
            return None
    return re.compile(pattern, re.ASCII)


def _strptime(text: str, formats: tuple[str, ...]) -> datetime | str:
    """The first format that reads ``text`` (as `datetime.strptime` would), or the Russian
    reason why none does."""
    impossible = False
    for fmt in formats:
        regex = _format_regex(fmt)
        match = regex.fullmatch(text) if regex is not None else None
        try:
            if match is None:
                return datetime.strptime(text, fmt)  # noqa: DTZ007 - business date, no zone
            g = {k: int(v) for k, v in match.groupdict().items()}
            if "yy" in g:  # strptime's pivot: 69–99 → 19xx, 00–68 → 20xx
                yy = g.pop("yy")
                g["year"] = yy + (1900 if yy >= 69 else 2000)
            return datetime(  # noqa: DTZ001 - business date, no zone
                g.get("year", 1900), g.get("month", 1), g.get("day", 1),
                g.get("hour", 0), g.get("minute", 0), g.get("second", 0),
            )  # fmt: skip
        except ValueError as exc:
            impossible = impossible or match is not None or "out of range" in str(exc)
    if impossible:
        return "такой даты нет в календаре"
    return f"не читается; ожидается {' или '.join(map(human_format, formats))}"


def _paid_on(text: str, formats: tuple[str, ...], today: date) -> date | _Bad:
    s = text.strip()
    parsed = _strptime(s, formats) if s else "дата платежа не указана"
    if isinstance(parsed, str):
        return _Bad(s, parsed)
    if parsed.date() > today:
        return _Bad(s, f"дата платежа позже сегодняшней ({today:%d.%m.%Y})")
    return parsed.date()


def _paid_at(text: str, formats: tuple[str, ...]) -> time | _Bad | None:
    s = text.strip()
    if not s:
        return None
    parsed = _strptime(s, formats)
    if isinstance(parsed, str):
        return _Bad(s, "такого времени нет" if parsed.startswith("такой") else f"время {parsed}")
    return parsed.time()


def _period(text: str, formats: tuple[str, ...]) -> date | _Bad | None:
    """``MMYYYY`` / ``MMYY`` / ``MM.YYYY`` → the first day of the month; empty → None."""
    s = text.strip()
    if not s:
        return None
    month, year = s[:2], ""
    if len(s) == 6 and "MMYYYY" in formats:
        year = s[2:]
    elif len(s) == 4 and "MMYY" in formats:
        year = "20" + s[2:]
    elif len(s) == 7 and s[2] == "." and "MM.YYYY" in formats:
        year = s[3:]
    if not year or not _is_digits(month + year):
        return _Bad(s, f"не период; ожидается {' или '.join(formats)}")
    if not 1 <= int(month) <= 12:
        return _Bad(s, f"нет месяца {month}")
    if not 2000 <= int(year) <= 2099:
        return _Bad(s, "год периода вне 2000–2099")
    return date(int(year), int(month), 1)


def parse_kopecks(text: str, amount_format: str) -> int | _Bad:
    """Read an amount written in ``amount_format`` into kopecks, without a float.

    Grammar: an optional ``-``, ASCII digits, then (rubles) a decimal sign and one or two
    digits; spaces and non-breaking spaces between digit groups are allowed. A third decimal
    digit is refused, not rounded: that would silently change what the bank sent.
    """
    s = text.strip()
    if not s:
        return _Bad(s, "сумма не указана")
    body = s.replace(" ", "").replace("\u00a0", "").replace("\u202f", "").removeprefix("-")
    signs = [c for c in AMOUNT_FORMATS[amount_format] if c in body]
    rubles, _, kopecks = body.partition(signs[0]) if len(signs) == 1 else (body, "", "")
    if len(signs) > 1 or not _is_digits(rubles) or (signs and not _is_digits(kopecks)):
        return _Bad(s, f"не сумма; ожидаются {_AMOUNT_HINT[amount_format]}")
    if len(kopecks) > 2:
        return _Bad(s, "больше двух знаков после запятой")
    scale = 1 if amount_format == "kopecks" else 100
    value = int(rubles) * scale + int(kopecks.ljust(2, "0"))
    return -value if s.startswith("-") else value


def _is_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def _rubles(kopecks: int) -> str:
    return format_rubles(kopecks, thousands=" ") + " ₽"


def _money(text: str, amount_format: str, field: str) -> int | _Bad | None:
    """A line's money field: the amount must be > 0; commission and transferred ≥ 0, an
    empty one is 0 (commission) or None (transferred: the layout's default applies)."""
    value = parse_kopecks(text, amount_format)
    if isinstance(value, _Bad):
        if field != "amount" and not value.text:
            return 0 if field == "commission" else None
        return value
    s = text.strip()
    if value > MAX_AMOUNT_KOPECKS:
        return _Bad(s, f"сумма больше {_rubles(MAX_AMOUNT_KOPECKS)}", value)
    if field == "amount" and value <= 0:
        return _Bad(s, "сумма платежа должна быть больше нуля", value)
    if value < 0:
        return _Bad(s, f"{FIELD_TITLES[field].lower()} не может быть меньше нуля", value)
    return value


# --------------------------------------------------------------------------- parsing


def parse_registry(data: bytes, layout: Layout, *, filename: str, today: date) -> ParsedRegistry:
    """Read a registry file in ``layout``.

    Raises `RegistryFileError` when the whole file must be refused (docs/payment-registries.md,
    «Rejection rules»): empty; bytes that do not decode in the layout's encoding; no or a bad
    header row or trailer; a line after the trailer; a trailer count or sum that disagrees
    with the lines, or cannot be checked because a line's amount does not read. Otherwise
    returns the accepted lines as columns with the rejected lines and the duplicates; an
    empty account is accepted (the app sends it to the unidentified queue). ``today`` is the
    business date: a payment dated after it is rejected.
    """
    if not data:
        raise RegistryFileError(filename, "файл пуст")
    # A million lines allocate millions of short-lived containers; the cyclic collector would
    # walk the growing result again and again (a third of the time) and finds nothing here.
    collecting = gc.isenabled()
    gc.disable()
    try:
        lines = _Lines(layout, filename, today)
        lines.read(_blocks(data, layout.encoding, filename))
        return lines.result(data)
    finally:
        if collecting:
            gc.enable()


def _blocks(data: bytes, encoding: str, filename: str) -> Iterator[_Block]:
    """The file decoded in blocks of whole lines (the byte ``\\n`` never occurs inside a
    character of the supported encodings)."""
    codec = "utf-8" if encoding.startswith("utf-8") else encoding
    start = len(_BOM) if data.startswith(_BOM) else 0
    if start and codec != "utf-8":
        raise RegistryFileError(
            filename, f"файл начинается с метки UTF-8 (BOM), а макет ждёт {encoding}"
        )
    view, line_no = memoryview(data), 1
    while start < len(data):
        end = data.find(b"\n", start + _BLOCK_BYTES)
        end = len(data) if end < 0 else end + 1
        if start == 0 and codec != "utf-8" and not data[:end].isascii() and _is_utf8(view[:end]):
            # Cyrillic in cp1251/cp866 is practically never valid UTF-8: such a file was saved
            # in UTF-8 and would otherwise be read as mojibake without an error.
            raise RegistryFileError(filename, f"файл в кодировке UTF-8, а макет ждёт {encoding}")
        try:
            text = str(view[start:end], codec)
        except UnicodeDecodeError as exc:
            at = start + exc.start
            column = at - data.rfind(b"\n", 0, at)
            raise RegistryFileError(
                filename,
                f"байт 0x{data[at]:02X} ({column}-й байт строки) не читается в кодировке "
                f"{encoding}; проверьте кодировку файла",
                line_no=line_no + data.count(b"\n", start, at),
            ) from exc
        # counted in the bytes (fast; \r and \n are one byte in every supported encoding)
        count = data.count(b"\n", start, end) + (data[end - 1] != ord("\n"))
        line_end = "\n"
        if data.find(b"\r", start, end) >= 0:  # Windows line ends are split on as they are
            if data.count(b"\r\n", start, end) == data.count(b"\n", start, end):
                line_end = "\r\n"
            else:  # mixed
                text = text.replace("\r\n", "\n")
        yield _Block(line_no, count, text, line_end)
        line_no += count
        start = end


class _Block(NamedTuple):
    first_no: int
    lines: int
    text: str
    line_end: str


def _split_lines(text: str, line_end: str) -> list[str]:
    lines = text.split(line_end)
    if not lines[-1]:
        lines.pop()  # the text ends with a line end
    return lines


def _is_utf8(block: memoryview) -> bool:
    try:
        str(block, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Column:
    """Text → value for a column whose texts repeat (dates, periods, branches), converted
    once per distinct text; remembers which texts give a bad value."""

    __slots__ = ("bad", "cache", "convert")

    def __init__(self, convert: Callable[[str], Any]) -> None:
        self.cache: dict[str, Any] = {}
        self.bad: set[str] = set()
        self.convert = convert

    def __call__(self, texts: list[str]) -> tuple[list[Any], bool]:
        """The values of ``texts`` and whether none is bad."""
        distinct, cache = set(texts), self.cache
        for raw in distinct.difference(cache):
            value = cache[raw] = self.convert(raw)
            if isinstance(value, _Bad):
                self.bad.add(raw)
        return list(map(cache.get, texts)), distinct.isdisjoint(self.bad)


def _csv_rows(
    lines: Iterator[str], layout: Layout, filename: str
) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records of a quoted layout as (number of their first line, fields)."""
    reader = csv.reader(lines, delimiter=layout.delimiter, quotechar='"')
    last = 0
    try:
        for row in reader:
            first, last = last + 1, reader.line_num
            if len(row) > 1 or (row and row[0].strip()):
                yield first, row
    except csv.Error as exc:
        raise RegistryFileError(
            filename, f"строка CSV не читается ({exc})", line_no=last + 1
        ) from exc


def _norm(name: str) -> str:
    """Header names compare without case, extra spaces and «ё»."""
    return " ".join(name.replace("\u00a0", " ").lower().replace("ё", "е").split())


def _map_header(no: int, cells: list[str], layout: Layout, filename: str) -> dict[str, int]:
    """The positions of the layout's columns in the header row ``cells``."""

    def fail(reason: str) -> NoReturn:
        raise RegistryFileError(filename, reason, line_no=no, field="header")

    positions = {k: v - 1 for k, v in layout.columns.items() if isinstance(v, int)}
    if max(positions.values(), default=0) >= len(cells):
        fail(f"в строке {len(cells)} столбцов, а макету нужен {max(positions.values()) + 1}-й")
    named = {k: ref for k, ref in layout.columns.items() if isinstance(ref, tuple)}
    index = {_norm(name): key for key, ref in named.items() for name in (*ref, key)}
    ignored = {_norm(name) for name in layout.ignore_columns}
    for i, cell in enumerate(cells if named else ()):
        name = _norm(cell)
        key = index.get(name)
        if key is None and name and name not in ignored:
            known = ", ".join(f"«{ref[0]}»" for ref in named.values())
            fail(f"лишний столбец «{cell.strip()}»; макет «{layout.name}» знает: {known}")
        if key is not None and key in positions:
            fail(f"столбец «{cell.strip()}» повторяется")
        if key is not None:
            positions[key] = i
    missing = [
        f"«{r[0]}»" for k, r in named.items() if k in REQUIRED_COLUMNS and k not in positions
    ]
    if missing:
        fail(f"нет столбца {', '.join(missing)}")
    return positions


_CHECKED = ("paid_on", "paid_at_time", "period", "amount", "transferred", "commission")
_MONEY = ("amount", "transferred", "commission")
_OUT_NAMES = {f: f"{f}_kopecks" for f in _MONEY}
_BLOCK_LINES = 1 << 15
_PLAIN_AMOUNTS = {
    fmt: re.compile(rf"{one}(?:\n{one})*", re.ASCII)
    for fmt, one in (
        ("rubles_dot", r"[0-9]{1,10}\.[0-9]{2}"),
        ("rubles_comma", r"[0-9]{1,10},[0-9]{2}"),
        ("rubles", r"[0-9]{1,10}[.,][0-9]{2}"),
        ("kopecks", r"[0-9]{1,12}"),
    )
}
"""A whole column of amounts written the plain way (no sign, spaces or short decimals, below
`MAX_AMOUNT_KOPECKS`), joined by line ends: checked by one regex match and read with one
`int` per value."""


class _Lines:
    """The lines of one file: preamble, payment lines (columns, rejections, duplicates, sums)
    and the trailer.

    Speed (a million lines in seconds): payment lines are converted a block at a time,
    column by column (`map` over a column, text→value caches, amounts in bulk). A block of
    the file in which every line has the right number of fields and none is the trailer goes
    straight to `_block`; other lines pass one by one through `_row`.
    """

    def __init__(self, layout: Layout, filename: str, today: date) -> None:
        self.layout, self.filename = layout, filename
        self.ready = not (layout.header_row or layout.skip_lines)  # the preamble is behind
        self.first_no = 0  # the first line looked at for the header row
        self.positions = {k: v - 1 for k, v in layout.columns.items() if isinstance(v, int)}
        self.n_fields = layout.fields or 0
        self.marker = layout.trailer.starts_with if layout.trailer else None
        self.numbers: list[int] = []
        self.pending: list[list[str]] = []
        self.out: dict[str, Any] = {
            name: array("q") if name == "line_no" or name.endswith("_kopecks") else []
            for name in PaymentRecord._fields[:-1]
        }
        self.out_tags: dict[str, list[str]] = {name: [] for name in layout.tags}
        self.rejected: list[Rejection] = []
        self.duplicates: list[Duplicate] = []
        self.trailer: Trailer | None = None
        self.lines = 0
        self.sums = dict.fromkeys(_MONEY, 0)
        self.unverifiable: dict[str, tuple[int, str, str]] = {}
        """Money field → the first line whose value does not read: (line, field, why)."""
        self.convert = {
            "paid_on": _Column(lambda s: _paid_on(s, layout.date_formats, today)),
            "paid_at_time": _Column(lambda s: _paid_at(s, layout.time_formats)),
            "period": _Column(lambda s: _period(s, layout.period_formats)),
        }
        self.shared = _Column(str.strip)
        """Branch, office and terminal stripped: one string object per value."""
        self.first_seen: dict[object, int] = {}
        """Duplicate key → the line it was first accepted on."""

    def read(self, blocks: Iterator[_Block]) -> None:
        layout = self.layout
        if layout.quoting:  # one reader for the whole file: a quoted field may hold a line end
            every_line = (line + "\n" for b in blocks for line in _split_lines(b.text, b.line_end))
            for no, parts in _csv_rows(every_line, layout, self.filename):
                self._row(no, parts)
        else:
            delimiter = layout.delimiter
            for block in blocks:
                columns = self._plain(block)
                if columns is not None:
                    self._flush()
                    self.lines += block.lines
                    numbers = list(range(block.first_no, block.first_no + block.lines))
                    self._block(numbers, columns, [])
                    continue
                lines = _split_lines(block.text, block.line_end)
                for no, line in enumerate(lines, block.first_no):
                    if line and not line.isspace():
                        self._row(no, line.split(delimiter))
        self._flush()
        if layout.header_row and not self.ready:
            self._no_header()

    def _no_header(self) -> NoReturn:
        if not self.first_no:
            raise RegistryFileError(self.filename, "файл пуст: нет даже строки заголовка")
        raise RegistryFileError(
            self.filename,
            f"нет строки заголовка, начинающейся с «{self.layout.header_starts_with}» "
            f"(искали в первых {MAX_PREAMBLE_LINES} строках)",
            field="header",
        )

    def _plain(self, block: _Block) -> list[list[str]] | None:
        """The columns of a block of the file that holds payment lines only, each of
        ``n_fields`` fields, none the trailer; None for any other block.

        The text is split at the delimiter only, in C: with L lines of n fields that gives
        L·(n−1)+1 pieces, and every (n−1)-th piece joins the last field of a line, a line
        end and the first field of the next line. If each of those L−1 pieces holds a line
        end — and the text holds only L−1 (besides a final one) — every line has n fields.
        """
        n, marker = self.n_fields, self.marker
        if not self.ready or self.trailer is not None or self.layout.tags or n < 3:
            return None
        text, line_end, count = block.text, block.line_end, block.lines
        if marker is not None and (text.startswith(marker) or line_end + marker in text):
            return None
        complete = text.endswith(line_end)
        flat = text.split(self.layout.delimiter)
        if len(flat) != count * (n - 1) + 1:
            return None
        joints = flat[n - 1 :: n - 1]  # the last one is the block's last field
        if not all(map(str.__contains__, joints[:-1], repeat(line_end))):
            return None
        pieces = line_end.join(joints[:-1]).split(line_end) if count > 1 else []
        last = flat[-1][: -len(line_end)] if complete else flat[-1]
        return [
            [flat[0], *pieces[1::2]],
            *(flat[j :: n - 1] for j in range(1, n - 1)),
            [*pieces[0::2], last],
        ]

    def _row(self, no: int, parts: list[str]) -> None:
        """One non-blank line read one by one: preamble, trailer or payment line."""
        if not self.ready:
            self._preamble(no, parts)
        elif self.trailer is not None:
            raise RegistryFileError(
                self.filename,
                f"строка после итоговой строки {self.trailer.line_no}: итоговая строка должна "
                "быть последней",
                line_no=no,
            )
        elif self.marker is not None and parts[0].startswith(self.marker):
            self._flush()
            self.trailer = _trailer(no, parts, self.layout, self.filename)
        else:
            self.lines += 1
            n_fields = self.n_fields
            if len(parts) != n_fields and (len(parts) < n_fields or not self.layout.tags):
                self._bad_count(no, parts)
                return
            self.numbers.append(no)
            self.pending.append(parts)
            if len(self.pending) >= _BLOCK_LINES:
                self._flush()

    def _preamble(self, no: int, parts: list[str]) -> None:
        """Skip ``skip_lines``, then find the header row if the layout has one."""
        layout = self.layout
        if no <= layout.skip_lines:
            return
        if not layout.header_row:
            self.ready = True
            self._row(no, parts)
            return
        self.first_no = self.first_no or no
        marker = layout.header_starts_with
        if not marker or parts[0].strip().startswith(marker):
            self.positions = _map_header(no, parts, layout, self.filename)
            self.n_fields = len(parts)
            self.ready = True
        elif no - self.first_no >= MAX_PREAMBLE_LINES:
            self._no_header()

    def _flush(self) -> None:
        if self.pending:
            n = self.n_fields
            extra = [parts[n:] for parts in self.pending] if self.layout.tags else []
            rows = (parts[:n] for parts in self.pending) if extra else self.pending
            self._block(self.numbers, list(map(list, zip(*rows, strict=False))), extra)
            self.numbers, self.pending = [], []

    def _bad_count(self, no: int, parts: list[str]) -> None:
        more = " или больше" if self.layout.tags else ""
        why = f"полей в строке {len(parts)}, а должно быть {self.n_fields}{more}"
        self.rejected.append(Rejection(no, "line", self.layout.delimiter.join(parts)[:200], why))
        for field in _MONEY:
            self.unverifiable.setdefault(field, (no, "line", f"{why}, суммы не найти"))

    def _block(self, numbers: list[int], columns: list[list[str]], extra: list[list[str]]) -> None:
        """Convert a block of payment lines column by column (``columns[j]``: the texts of
        field j; ``extra``: each line's fields past the fixed ones); keep the good lines.

        Every step is a C-level pass over a column; a Python loop over lines runs only for a
        column that holds a bad value (``clean`` tells which do not)."""
        positions = self.positions
        blank = [""] * len(numbers)

        def column(field: str) -> list[str]:
            at = positions.get(field, -1)
            return columns[at] if at >= 0 else blank

        values: dict[str, list[Any]] = {}
        clean: dict[str, bool] = {}
        for field, convert in self.convert.items():
            values[field], clean[field] = convert(column(field))
        for field in _MONEY:
            values[field], clean[field] = self._money(column(field), field, field in positions)
        if not clean["transferred"]:
            clean["transferred"] = self._default_transferred(values)
        ops = list(map(str.strip, column("operation_id")))
        clean["operation_id"] = all(ops) and max(map(len, ops)) <= MAX_OPERATION_ID_CHARS
        self._sums(numbers, values, clean)
        if not all(clean.values()):
            bad = self._reject(numbers, values, ops, clean)
            keep = [i for i in range(len(numbers)) if i not in bad]
            numbers, ops = [numbers[i] for i in keep], [ops[i] for i in keep]
            extra = [extra[i] for i in keep] if extra else []
            values = {field: [vals[i] for i in keep] for field, vals in values.items()}
            columns = [[col[i] for i in keep] for col in columns]
            blank = [""] * len(keep)
        text = {f: list(map(str.strip, column(f))) for f in ("account", "payer_name", "address")}
        for field in ("branch", "office", "terminal"):  # few distinct values: one object each
            text[field] = self.shared(column(field))[0]
        self._find_duplicates(numbers, {"operation_id": ops, "paid_on": values["paid_on"], **text})
        out = self.out
        out["line_no"].extend(numbers)
        out["operation_id"].extend(ops)
        for field, vals in (*values.items(), *text.items()):
            out[_OUT_NAMES.get(field, field)].extend(vals)
        found = zip(*map(self._tags, extra), strict=True) if extra else ()
        for name, tag_values in zip(self.out_tags, found, strict=False):
            self.out_tags[name].extend(tag_values)

    def _money(self, texts: list[str], field: str, present: bool) -> tuple[list[Any], bool]:
        """A money column and whether all of it is good: a column of plain amounts is read in
        bulk (`_PLAIN_AMOUNTS`), any other value by value."""
        if not present:
            return [0 if field == "commission" else None] * len(texts), field == "commission"
        fmt = self.layout.amount_format
        joined = "\n".join(texts)
        if _PLAIN_AMOUNTS[fmt].fullmatch(joined):
            for sign in AMOUNT_FORMATS[fmt]:
                joined = joined.replace(sign, "")
            kopecks = list(map(int, joined.split("\n")))
            if field != "amount" or min(kopecks) > 0:
                return kopecks, True
        values = [_money(text, fmt, field) for text in texts]
        return values, all(type(v) is int for v in values)

    def _default_transferred(self, values: dict[str, list[Any]]) -> bool:
        """Fill an absent or empty transferred amount: the amount less the commission (or the
        amount, by ``transferred_default``); negative → the commission is too big. Whether
        the column is all good now."""
        minus = self.layout.transferred_default != "amount"
        transferred = values["transferred"]
        for i, (value, amount, commission) in enumerate(
            zip(transferred, values["amount"], values["commission"], strict=True)
        ):
            a = amount.kopecks if isinstance(amount, _Bad) else amount
            c = commission.kopecks if isinstance(commission, _Bad) else commission
            if value is not None or a is None or c is None:
                continue
            transferred[i] = a - c * minus
            if transferred[i] < 0 and type(amount) is int and type(commission) is int:
                transferred[i] = _Bad("", "комиссия больше суммы платежа", a - c)
        return all(type(v) is int for v in transferred)

    def _sums(
        self, numbers: list[int], values: dict[str, list[Any]], clean: dict[str, bool]
    ) -> None:
        """Add every line's money, accepted or not; note the first line that cannot add."""
        for field in _MONEY:
            vals = values[field]
            if clean[field]:
                self.sums[field] += sum(vals)
                continue
            for no, value in zip(numbers, vals, strict=True):
                kopecks = value.kopecks if isinstance(value, _Bad) else value
                if kopecks is not None:
                    self.sums[field] += kopecks
                elif isinstance(value, _Bad):
                    why = f"{FIELD_TITLES[field].lower()} не читается: «{value.text}»"
                    self.unverifiable.setdefault(field, (no, field, why))
                else:  # transferred by default, from an amount or commission that does not read
                    why = "сумма перевода не определена: не читается сумма платежа или комиссия"
                    self.unverifiable.setdefault(field, (no, field, why))

    def _reject(
        self,
        numbers: list[int],
        values: dict[str, list[Any]],
        ops: list[str],
        clean: dict[str, bool],
    ) -> set[int]:
        """List every problem of every bad line, in line order; the bad lines' indexes."""
        problems: list[tuple[int, Rejection]] = []
        if not clean["operation_id"]:
            for i, op in enumerate(ops):
                if not op:
                    problems.append(
                        (i, Rejection(numbers[i], "operation_id", "", "номер операции не указан"))
                    )
                elif len(op) > MAX_OPERATION_ID_CHARS:
                    why = f"номер операции длиннее {MAX_OPERATION_ID_CHARS} знаков"
                    problems.append((i, Rejection(numbers[i], "operation_id", op[:100], why)))
        for field in (f for f in _CHECKED if not clean[f]):
            for i, value in enumerate(values[field]):
                if isinstance(value, _Bad):
                    problems.append((i, Rejection(numbers[i], field, value.text, value.message)))
        problems.sort(key=lambda p: p[0])
        self.rejected.extend(rejection for _, rejection in problems)
        return {i for i, _ in problems}

    def _find_duplicates(self, numbers: list[int], columns: dict[str, list[Any]]) -> None:
        """Accepted lines whose duplicate key was seen before in the file: one C-level
        `setdefault` per line; only when some key was seen before are the lines walked."""
        fields = self.layout.duplicate_key
        keys: list[Any] = columns[fields[0]]
        if len(fields) > 1:
            keys = list(zip(*(columns[f] for f in fields), strict=True))
        firsts = list(map(self.first_seen.setdefault, keys, numbers))
        if firsts != numbers:
            ops = columns["operation_id"]
            for no, first, op in zip(numbers, firsts, ops, strict=True):
                if first != no:
                    self.duplicates.append(Duplicate(no, op, first))

    def _tags(self, extra: list[str]) -> list[str]:
        """Tagged fields (``CLIENTNO:123``) after the fixed ones; an absent tag is ``""``."""
        fields = [f.strip() for f in extra]
        found = (
            next((f[len(p) :] for f in fields if f.startswith(p)), "")
            for p in self.layout.tags.values()
        )
        return [value.strip() for value in found]

    def result(self, data: bytes) -> ParsedRegistry:
        """Check the trailer against the lines and hand the columns over."""
        filename, rule, trailer = self.filename, self.layout.trailer, self.trailer
        if trailer is None and self.lines == 0:
            blank = not data.removeprefix(_BOM).strip()
            raise RegistryFileError(
                filename, "файл пуст" if blank else "нет ни одной строки платежа"
            )
        if trailer is None and rule is not None and rule.required:
            raise RegistryFileError(
                filename,
                f"нет итоговой строки (начинается с «{rule.starts_with}»): файл мог быть "
                "обрезан при передаче",
                field="trailer",
            )
        if trailer is not None:
            self._check(trailer)
        self.rejected.sort(key=lambda r: r.line_no)  # lines of a bad count came first
        return ParsedRegistry(
            filename=filename,
            layout=self.layout.name,
            payments=PaymentColumns(**self.out, tags=self.out_tags),
            rejected=self.rejected,
            duplicates=self.duplicates,
            trailer=trailer,
            payment_lines=self.lines,
            total_kopecks=self.sums["amount"],
        )

    def _check(self, trailer: Trailer) -> None:
        """The trailer's count and sums against the lines (rules.md §7.1: reject the whole
        file on a mismatch, and when a line's value does not read, so no sum can be trusted)."""
        if trailer.count != self.lines:
            raise RegistryFileError(
                self.filename,
                f"в итоговой строке {trailer.count} платежей, а в файле {self.lines}",
                line_no=trailer.line_no,
                field="trailer.count",
            )
        claimed = {
            "amount": ("total", trailer.total_kopecks),
            "transferred": ("transferred", trailer.transferred_kopecks),
            "commission": ("commission", trailer.commission_kopecks),
        }
        for field, (key, value) in claimed.items():
            if value is not None and field in self.unverifiable:
                no, where, why = self.unverifiable[field]
                raise RegistryFileError(
                    self.filename,
                    f"{why}, поэтому «{TRAILER_FIELDS[key]}» из итоговой строки "
                    f"{trailer.line_no} не проверить, и файл не принимается целиком",
                    line_no=no,
                    field=where,
                )
            if value is not None and value != self.sums[field]:
                raise RegistryFileError(
                    self.filename,
                    f"в итоговой строке {_rubles(value)}, а по строкам платежей "
                    f"{_rubles(self.sums[field])}",
                    line_no=trailer.line_no,
                    field=f"trailer.{key}",
                )


def _trailer(no: int, parts: list[str], layout: Layout, filename: str) -> Trailer:
    """Read the trailer line; a field that does not read rejects the file."""
    rule = layout.trailer
    if rule is None:  # pragma: no cover - only called for a layout with a trailer
        raise ValueError(layout.name)
    fields = [parts[0][len(rule.starts_with) :], *parts[1:]]
    values: dict[str, Any] = {"order_number": "", "order_date": None}
    for key, pos in rule.positions.items():
        text = fields[pos - 1].strip() if pos <= len(fields) else None
        value: Any = text
        if text is None:
            value = _Bad("", f"в итоговой строке {len(fields)} полей, а это поле — {pos}-е")
        elif key == "count":
            value = int(text) if _is_digits(text) else _Bad(text, "не число строк")
        elif key in ("transferred", "commission") and not text:
            value = None  # not given: not checked
        elif key in ("total", "transferred", "commission"):
            value = parse_kopecks(text, layout.amount_format)
            if isinstance(value, int) and value < 0:
                value = _Bad(text, "сумма не может быть меньше нуля")
        elif key == "order_date":
            parsed = _strptime(text, layout.date_formats) if text else None
            value = _Bad(text, parsed) if isinstance(parsed, str) else parsed and parsed.date()
        if isinstance(value, _Bad):
            why = f"«{value.text}»: {value.message}" if value.text else value.message
            raise RegistryFileError(filename, why, line_no=no, field=f"trailer.{key}")
        values[key] = value
    return Trailer(
        line_no=no,
        count=values["count"],
        total_kopecks=values.get("total"),
        transferred_kopecks=values.get("transferred"),
        commission_kopecks=values.get("commission"),
        order_number=values["order_number"],
        order_date=values["order_date"],
    )
