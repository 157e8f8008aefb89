"""Reading YAML with line numbers, and typed access to its values with a path for errors.

PyYAML forgets where a value came from once it is constructed. The loader here keeps, for
every mapping and sequence, the line of each key or item, and records duplicate keys (which
PyYAML would otherwise silently overwrite). `Node` walks the result and every failure
names the file, the path inside the document (``buildings[0].premises[1]``) and the line.

Scalars are taken exactly as written: an unquoted ``4.9`` becomes ``Decimal("4.9")`` (never a
float), an unquoted ``0123`` stays the text ``"0123"`` and ``010`` is not octal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

import yaml


@dataclass(frozen=True)
class Where:
    """A place in a scenario file: the file, the path inside the document and the line."""

    file: str
    path: str
    line: int | None

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f", строка {self.line}"
        if self.path:
            place += f", {self.path}"
        return place


class ScenarioError(Exception):
    """A scenario file that cannot be read, or a fact it states that cannot be loaded."""

    def __init__(self, where: Where | None, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


class _YMap(dict[Any, Any]):
    line: int = 0
    lines: dict[Any, int]
    duplicates: list[tuple[Any, int]]


class _YList(list[Any]):
    line: int = 0
    lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader keeping lines; the constructors are registered below."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _YMap:
    loader.flatten_mapping(node)
    result = _YMap()
    result.line = node.start_mark.line + 1
    result.lines = {}
    result.duplicates = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        if isinstance(key, dt.date) and not isinstance(key, dt.datetime):
            key = key.isoformat()
        if isinstance(key, list | dict):
            raise ScenarioError(None, f"строка {key_node.start_mark.line + 1}: сложный ключ")
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicates.append((key, line))
            continue
        result[key] = loader.construct_object(value_node, deep=True)  # type: ignore[no-untyped-call]
        result.lines[key] = line
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _YList:
    result = _YList(
        loader.construct_object(child, deep=True)  # type: ignore[no-untyped-call]
        for child in node.value
    )
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> Decimal | str:
    text = str(node.value).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return str(node.value)
    return value if value.is_finite() else str(node.value)


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int | str:
    text = str(node.value)
    if re.fullmatch(r"[-+]?(0|[1-9][0-9]*)", text):
        return int(text)
    return text  # 0123, 0x1F, 1_000, 1:30 — kept as written


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[no-untyped-call]
    except ValueError:
        return str(node.value)  # 2025-02-30: refused with its place by `Node.date`


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_yaml(text: str, file: str) -> Any:
    """Parse one YAML document; syntax errors become `ScenarioError` with the line."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()  # type: ignore[no-untyped-call]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "ошибка синтаксиса"
        raise ScenarioError(Where(file, "", line), f"ошибка синтаксиса YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(Where(file, "", None), f"ошибка YAML: {exc}") from exc
    except ScenarioError as exc:
        raise ScenarioError(Where(file, "", None), exc.message) from exc
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def _describe(value: Any) -> str:
    if value is None:
        return "пусто"
    if isinstance(value, dict):
        return "словарь"
    if isinstance(value, list):
        return "список"
    return f"«{value}»"


class Node:
    """A value of the document with its path and line; typed accessors fail with both."""

    __slots__ = ("file", "line", "path", "value")

    def __init__(self, value: Any, *, file: str, path: str, line: int | None) -> None:
        self.value = value
        self.file = file
        self.path = path
        self.line = line

    @property
    def where(self) -> Where:
        return Where(self.file, self.path, self.line)

    def fail(self, message: str) -> NoReturn:
        raise ScenarioError(self.where, message)

    def _at(self, value: Any, path: str, line: int | None) -> Node:
        own = getattr(value, "line", None)
        return Node(value, file=self.file, path=path, line=line if line is not None else own)

    def _sub(self, key: Any) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def _check_duplicates(self) -> None:
        for key, line in getattr(self.value, "duplicates", ()):
            self._at(None, self._sub(key), line).fail(f"ключ «{key}» повторяется")

    # -- containers -------------------------------------------------------------------

    def mapping(
        self,
        allowed: Iterable[str],
        *,
        required: Iterable[str] = (),
        unsupported: dict[str, str] | None = None,
    ) -> dict[str, Node]:
        """The keys of a mapping; unknown keys and missing required keys are errors."""
        if not isinstance(self.value, dict):
            self.fail(f"ожидается словарь (ключ: значение), а здесь {_describe(self.value)}")
        self._check_duplicates()
        allowed = tuple(allowed)
        lines: dict[Any, int] = getattr(self.value, "lines", {})
        for key in self.value:
            if unsupported and key in unsupported:
                self._at(None, self._sub(key), lines.get(key)).fail(unsupported[key])
            if key not in allowed:
                self._at(None, self._sub(key), lines.get(key)).fail(
                    f"неизвестный ключ «{key}»; допустимы: {', '.join(allowed)}"
                )
        for key in required:
            if key not in self.value or self.value[key] is None:
                self.fail(f"не хватает ключа «{key}»")
        return {
            key: self._at(value, self._sub(key), lines.get(key))
            for key, value in self.value.items()
            if value is not None or key in required
        }

    def entries(self) -> list[tuple[str, Node]]:
        """A mapping with free keys (service codes, months…), keys as text."""
        if not isinstance(self.value, dict):
            self.fail(f"ожидается словарь (ключ: значение), а здесь {_describe(self.value)}")
        self._check_duplicates()
        lines: dict[Any, int] = getattr(self.value, "lines", {})
        return [
            (str(key), self._at(value, self._sub(key), lines.get(key)))
            for key, value in self.value.items()
        ]

    def items(self) -> list[Node]:
        if not isinstance(self.value, list):
            self.fail(f"ожидается список, а здесь {_describe(self.value)}")
        lines: list[int] = getattr(self.value, "lines", [])
        return [
            self._at(v, f"{self.path}[{i}]", lines[i] if i < len(lines) else None)
            for i, v in enumerate(self.value)
        ]

    # -- scalars ----------------------------------------------------------------------

    def text(self) -> str:
        if isinstance(self.value, bool) or not isinstance(self.value, str | int | Decimal):
            self.fail(f"ожидается текст, а здесь {_describe(self.value)}")
        result = str(self.value).strip()
        if not result:
            self.fail("пустой текст")
        return result

    def integer(self, *, low: int | None = None, high: int | None = None) -> int:
        value = self.value
        if isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"ожидается целое число, а здесь {_describe(self.value)}")
        if low is not None and value < low:
            self.fail(f"число {value} меньше допустимого {low}")
        if high is not None and value > high:
            self.fail(f"число {value} больше допустимого {high}")
        return value

    def decimal(self, *, non_negative: bool = True) -> Decimal:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.fail(f"ожидается десятичное число в кавычках, а здесь {_describe(value)}")
        if isinstance(value, str):
            text = value.strip()
            if not _DECIMAL.fullmatch(text):
                self.fail(f'«{value}» — не десятичное число; пишите цифры с точкой, например "1.5"')
            value = Decimal(text)
        result = Decimal(value)
        if non_negative and result < 0:
            self.fail(f"число {result} не может быть отрицательным")
        return result

    def date(self) -> dt.date:
        value = self.value
        if isinstance(value, dt.datetime):
            self.fail(f"ожидается дата ГГГГ-ММ-ДД без времени, а здесь «{value}»")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(f"ожидается дата ГГГГ-ММ-ДД, а здесь {_describe(value)}")

    def month(self) -> dt.date:
        """A billing month written ``YYYY-MM``; returns its first day."""
        value = self.value
        if isinstance(value, dt.date):
            self.fail(f"ожидается месяц ГГГГ-ММ, а здесь дата «{value}»")
        match = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            self.fail(f"ожидается месяц ГГГГ-ММ, а здесь {_describe(value)}")
        return dt.date(int(match.group(1)), int(match.group(2)), 1)

    def month_or_date(self) -> dt.date:
        """``YYYY-MM`` (the first day of the month) or a full date."""
        if isinstance(self.value, str) and _MONTH.fullmatch(self.value.strip()):
            return self.month()
        return self.date()

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"ожидается true или false, а здесь {_describe(self.value)}")
        return self.value

    def choice(self, options: Iterable[str]) -> str:
        options = tuple(options)
        value = self.text()
        if value not in options:
            self.fail(f"«{value}» — недопустимое значение; допустимы: {', '.join(options)}")
        return value
