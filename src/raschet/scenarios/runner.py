"""Run a scenario: load it, bill its months in order, and compare the lines with ``expect``.

Each month is billed (``trial=False``: computed and posted) and closed, like an operator
would do; the file's ``changes`` for a month are applied after it is closed, so the next
run shows them as recalculations. The lines of every month are then read back in the
scenario output shape (``raschet.billing.selectors.scenario_lines``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from raschet.scenarios.facts import ChangeDef, ExpectedLine, Scenario
from raschet.scenarios.load import scenario_load
from raschet.scenarios.schema import DECIMAL_FIELDS, parse_file


def run_scenario(scenario: Scenario) -> list[dict[str, Any]]:
    """Load ``scenario`` into a fresh organization, bill its months, return all lines."""
    from raschet.billing.selectors import scenario_lines
    from raschet.billing.services import billing_month_close, billing_run

    loaded = scenario_load(scenario)
    org = loaded.organization
    changes: dict[date, list[ChangeDef]] = defaultdict(list)
    for change in scenario.changes:
        changes[change.after_period].append(change)
    for period in scenario.periods:
        billing_run(organization=org, period=period, trial=False)
        billing_month_close(organization=org, period=period)
        for change in changes.get(period, ()):
            loaded.apply_change(change)
    lines: list[dict[str, Any]] = []
    for period in scenario.periods:
        lines.extend(scenario_lines(org.pk, period))
    return lines


def scenario_run(path: str | Path) -> list[dict[str, Any]]:
    """The computed lines of the scenario file at ``path`` (`ScenarioError` if it is bad)."""
    return run_scenario(parse_file(path))


def scenario_check(path: str | Path) -> tuple[bool, str]:
    """Run the scenario at ``path``; ``(True, report)`` when every expected line matches."""
    scenario = parse_file(path)
    return compare(scenario, run_scenario(scenario))


def _as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _show(value: Any) -> str:
    if value is None:
        return "пусто"
    if isinstance(value, list | tuple):
        return "[" + "; ".join(str(v) for v in value) + "]"
    return str(value)


def _field_differs(name: str, expected: Any, got: Any) -> bool:
    if name in DECIMAL_FIELDS:
        if expected is None:
            return got is not None
        actual = _as_decimal(got)
        return actual is None or actual != expected
    if name == "explanation":
        return not isinstance(got, str) or expected not in got
    if name == "recalculation_reasons":
        reasons = [str(r) for r in got or ()]
        return not all(any(e in r for r in reasons) for e in expected)
    return str(got) != str(expected)


def _key(line: ExpectedLine) -> tuple[str, str, str]:
    return (line.account, f"{line.period:%Y-%m}", line.service)


def compare(scenario: Scenario, lines: list[dict[str, Any]]) -> tuple[bool, str]:
    """Match ``expect.lines`` with the computed lines; the report is in Russian."""
    got = {(str(x["account"]), str(x["period"]), str(x["service"])): x for x in lines}
    failures: list[str] = []
    for line in scenario.expect:
        key = _key(line)
        title = f"{' '.join(key)} (строка {line.where.line} файла)"
        actual = got.get(key)
        if actual is None:
            others = sorted(s for a, p, s in got if (a, p) == key[:2])
            hint = f"; есть строки по услугам: {', '.join(others)}" if others else ""
            failures.append(f"✗ {title}: строки нет в расчёте{hint}")
            continue
        diffs = [
            f"    {name}: ожидалось {_show(expected)}, получено {_show(actual.get(name))}"
            for name, expected in line.fields.items()
            if _field_differs(name, expected, actual.get(name))
        ]
        if diffs:
            explanation = actual.get("explanation")
            if explanation and "explanation" not in line.fields:
                diffs.append(f"    расчёт: {explanation}")
            failures.append(f"✗ {title}:\n" + "\n".join(diffs))
    total = len(scenario.expect)
    head = [
        f"Сценарий «{scenario.name}» ({scenario.file})",
        f"Ожидается строк: {total}, совпали: {total - len(failures)}, "
        f"рассчитано строк: {len(lines)}.",
    ]
    if not scenario.expect:
        head.append("В сценарии нет ожидаемых строк (expect.lines): сравнивать нечего.")
    verdict = "Итог: расхождений нет." if not failures else f"Итог: расхождений {len(failures)}."
    return not failures, "\n".join([*head, *failures, verdict])
