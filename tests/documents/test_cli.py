"""`raschet documents print|deliver` from the command line."""

from __future__ import annotations

import pytest
from django.core import mail

from raschet import cli
from raschet.documents.models import PaymentDocument, PrintJob
from raschet.housing.models import Account
from tests.documents.conftest import pdf_pages

pytestmark = pytest.mark.django_db


def said(capsys) -> str:
    captured = capsys.readouterr()
    return " ".join((captured.out + captured.err).split())  # rich wraps long lines


def test_print_command_writes_the_account_pdf(town, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        ["documents", "print", "--period", "2025-02", "--out", str(out),
         "--account", "100002", "--organization", town.org.code]
    )  # fmt: skip
    text = said(capsys)
    assert code == 0, text
    assert "документов 1" in text
    pdf = (out / "2025-02-100002.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf_pages(pdf) == 1
    assert list(PaymentDocument.objects.values_list("account", flat=True)) == [town.flat2.pk]


def test_print_command_bundles_a_building(town, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        ["documents", "print", "--period", "2025-02", "--out", str(out), "--bundle",
         "--building", str(town.building_id), "--organization", town.org.code]
    )  # fmt: skip
    assert code == 0, said(capsys)
    [bundle] = out.iterdir()
    assert pdf_pages(bundle.read_bytes()) == 3


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--limit", "0"], 2, "--limit: нужно положительное число"),
        (["--limit", "-5"], 2, "--limit: нужно положительное число"),
        (["--organization", "no-such-org"], 2, "Нет организации с кодом 'no-such-org'"),
        (["--account", "999999"], 1, "Лицевые счета не найдены или закрыты в 02.2025: 999999"),
        (["--period", "2025-03"], 1, "не закрыт"),
    ],
    ids=["limit-zero", "limit-negative", "unknown-org", "unknown-account", "open-month"],
)
def test_print_command_refuses_bad_input(town, tmp_path, capsys, args, code, says):
    argv = ["documents", "print", "--period", "2025-02", "--out", str(tmp_path / "out")]
    if "--organization" not in args:
        argv += ["--organization", town.org.code]
    argv += args  # a repeated option: the last one wins
    assert cli.main(argv) == code
    assert says in said(capsys)
    assert not PrintJob.objects.exists()
    assert not (tmp_path / "out").exists()


def test_a_month_that_is_not_a_month_is_refused_by_the_parser(town, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(
            ["documents", "print", "--period", "2025-13", "--out", str(tmp_path),
             "--organization", town.org.code]
        )  # fmt: skip
    assert stopped.value.code == 2
    assert "нужен месяц ГГГГ-ММ, получено '2025-13'" in said(capsys)


def test_deliver_command_mails_the_printed_documents(town, tmp_path, capsys, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Account.objects.filter(pk=town.flat1.pk).update(paperless=True, email="one@example.org")
    assert cli.main(
        ["documents", "print", "--period", "2025-02", "--out", str(tmp_path / "out"),
         "--organization", town.org.code]
    ) == 0  # fmt: skip
    capsys.readouterr()
    code = cli.main(
        ["documents", "deliver", "--period", "2025-02", "--organization", town.org.code]
    )
    assert code == 0
    assert "отправлено 1, ошибок 0" in said(capsys)
    assert [m.to for m in mail.outbox] == [["one@example.org"]]
