"""Every golden scenario in tests/scenarios/*.yaml bills as its ``expect`` says."""

from __future__ import annotations

from pathlib import Path

import pytest

from raschet.scenarios.runner import scenario_check

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    ok, report = scenario_check(path)
    assert ok, report


def test_scenarios_exist() -> None:
    assert len(SCENARIOS) >= 15
