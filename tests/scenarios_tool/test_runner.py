"""The runner end to end: a wrong expectation fails with a readable diff; the CLI helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raschet.scenarios.cli import main_check, main_run, scratch_database_url
from raschet.scenarios.runner import scenario_check

C1 = Path(__file__).parent.parent / "scenarios" / "c1_water_meter.yaml"


@pytest.mark.django_db
def test_wrong_expectation_fails_with_a_diff(tmp_path: Path) -> None:
    text = C1.read_text(encoding="utf-8").replace('amount: "495.00"', 'amount: "494.00"')
    path = tmp_path / "wrong.yaml"
    path.write_text(text, encoding="utf-8")
    ok, report = scenario_check(path)
    assert not ok
    assert "100001 2025-01 wastewater" in report
    assert "amount: ожидалось 494.00, получено 495" in report
    assert "совпали: 2" in report


@pytest.mark.django_db
def test_main_run_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_run(str(C1)) == 0
    lines = json.loads(capsys.readouterr().out)
    assert {line["service"] for line in lines} == {"cold_water", "hot_water", "wastewater"}


@pytest.mark.django_db
def test_main_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check(str(C1)) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(C1.read_text(encoding="utf-8") + "payments: []\n", encoding="utf-8")
    assert main_check(str(bad)) == 2
    assert "платежи" in capsys.readouterr().out


def test_scratch_database_url() -> None:
    url = scratch_database_url()
    assert url.startswith("sqlite:////")
    assert Path(url.removeprefix("sqlite:///")).exists()
