"""The `raschet` command: parsing, passthrough and the import/demo entry points."""

from __future__ import annotations

import pytest

from raschet import cli


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "serve", "import", "manage"):
        assert command in out


def test_demo_refuses_zero_accounts(capsys):
    assert cli.main(["demo", "--accounts", "0", "--no-serve"]) == 2
    assert "--accounts" in capsys.readouterr().err


def test_unknown_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["frobnicate"])
    assert exc.value.code == 2


@pytest.mark.django_db
def test_manage_passthrough_runs_a_django_command(capsys):
    assert cli.main(["manage", "check"]) == 0
    assert "no issues" in capsys.readouterr().out


@pytest.mark.django_db
def test_import_needs_a_known_organization(tmp_path, capsys):
    path = tmp_path / "stock.csv"
    path.write_text("x\n", encoding="utf-8")
    assert cli.main(["import", "housing", str(path), "--organization", "nope"]) == 2
    assert "nope" in capsys.readouterr().out
