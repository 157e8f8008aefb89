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


@pytest.mark.django_db
def test_demo_builds_and_prints_the_logins(capsys):
    from raschet.housing.models import Account

    assert cli.main(["demo", "--accounts", "25", "--seed", "3", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert Account.objects.count() == 25
    assert "demo-operator" in out and "operator" in out
    assert "Код доступа" in out  # accounts to try the resident portal with
    # a second run keeps the data and prints the logins again
    assert cli.main(["demo", "--no-serve"]) == 0
    assert Account.objects.count() == 25
    assert "--reset" in capsys.readouterr().out


@pytest.mark.django_db
def test_import_housing_good_and_bad_files(tmp_path, capsys):
    from raschet.housing.models import Account
    from raschet.importers.housing import template_bytes
    from tests.factories import OrganizationFactory

    org = OrganizationFactory(code="uk1")
    good = tmp_path / "good.csv"
    good.write_bytes(template_bytes("csv"))
    assert cli.main(["import", "housing", str(good), "--organization", "uk1", "--dry-run"]) == 0
    assert Account.objects.filter(organization=org).count() == 0
    assert cli.main(["import", "housing", str(good), "--organization", "uk1"]) == 0
    created = Account.objects.filter(organization=org).count()
    assert created >= 1
    capsys.readouterr()

    bad = tmp_path / "bad.csv"
    text = template_bytes("csv").decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    bad.write_text(
        header + "\n" + first.replace("01.01.2020", "31.02.2020") + "\n", encoding="utf-8"
    )
    assert cli.main(["import", "housing", str(bad), "--organization", "uk1"]) == 1
    out = capsys.readouterr().out
    assert "31.02.2020" in out
    assert Account.objects.filter(organization=org).count() == created


@pytest.mark.django_db
def test_import_readings_command(tmp_path, capsys):
    from datetime import date

    from raschet.metering.models import Meter, Reading
    from tests.factories import AccountFactory, ServiceFactory

    account = AccountFactory(number="100001")
    org = account.organization
    org.code = "uk-r"
    org.save()
    service = ServiceFactory(organization=org, code="cold_water")
    Meter.objects.create(
        organization=org,
        premises=account.premises,
        service=service,
        serial_number="CW-1",
        installed_on=date(2024, 1, 10),
    )
    path = tmp_path / "readings.csv"
    path.write_text(
        "Лицевой счёт;Услуга;Показание;Дата снятия\n100001;cold_water;12,5;18.06.2025\n",
        encoding="utf-8",
    )
    args = ["import", "readings", str(path), "--organization", "uk-r", "--today", "2025-06-20"]
    assert cli.main([*args, "--dry-run"]) == 0
    assert Reading.objects.count() == 0
    assert cli.main(args) == 0
    assert str(Reading.objects.get().value) == "12.500"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Лицевой счёт;Услуга;Показание;Дата снятия\n999;cold_water;1;18.06.2025\n", encoding="utf-8"
    )
    capsys.readouterr()
    assert (
        cli.main(
            ["import", "readings", str(bad), "--organization", "uk-r", "--today", "2025-06-20"]
        )
        == 1
    )
    assert "999" in capsys.readouterr().out
    assert (
        cli.main(
            ["import", "readings", str(bad), "--organization", "uk-r", "--today", "20.06.2025"]
        )
        == 2
    )
