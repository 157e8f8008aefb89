"""`documents_print`: refusals before anything is written, one PDF per account or a bundle
per building, the archive with its versions, and a failed batch that leaves nothing behind."""

from __future__ import annotations

from hashlib import sha256
from pathlib import Path

import pytest

from raschet.documents import services
from raschet.documents.assemble import documents_data
from raschet.documents.models import (
    JobState,
    PaymentDocument,
    PrintBatch,
    PrintFile,
    PrintJob,
)
from raschet.documents.render import Renderer
from raschet.documents.services import (
    PrintError,
    archive_root,
    document_pdf,
    documents_print,
    latest_document,
)
from raschet.housing.models import Account
from raschet.organizations.models import Organization
from tests.documents.conftest import FEB, MAR, ledger_due, page_texts, pdf_pages

pytestmark = pytest.mark.django_db


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def wrong_key(account: str) -> str:
    """The same account with its control digit (the 9th) changed."""
    return account[:8] + str((int(account[8]) + 1) % 10) + account[9:]


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("breakage", "says"),
    [
        ("settlement", "контрольного ключа"),
        ("correspondent", "корреспондентский счёт"),
        ("no_bic", "не заполнены реквизиты: БИК"),
        ("no_bank", "не заполнены реквизиты: банк"),
    ],
    ids=["settlement", "correspondent", "no_bic", "no_bank"],
)
def test_bad_bank_details_of_a_payee_stop_printing(town, tmp_path, breakage, says):
    payee = town.vodokanal
    change = {
        "settlement": {"settlement_account": wrong_key(payee.settlement_account)},
        "correspondent": {"correspondent_account": wrong_key(payee.correspondent_account)},
        "no_bic": {"bic": ""},
        "no_bank": {"bank_name": ""},
    }[breakage]
    Organization.objects.filter(pk=payee.pk).update(**change)
    out = tmp_path / "out"
    with pytest.raises(PrintError) as refused:
        documents_print(organization=town.org, period=FEB, out_dir=out)
    message = str(refused.value)
    assert payee.short_name in message and payee.code in message
    assert says in message
    assert not PrintJob.objects.exists()
    assert not PaymentDocument.objects.exists()
    assert files_in(out) == [] and files_in(archive_root()) == []


def test_a_month_not_closed_is_refused(town, tmp_path):
    with pytest.raises(PrintError, match="не закрыт: ЕПД печатаются только за закрытый месяц"):
        documents_print(organization=town.org, period=MAR, out_dir=tmp_path / "out")
    assert not PrintJob.objects.exists()
    assert files_in(tmp_path / "out") == []


def test_an_unknown_account_is_named(town, tmp_path):
    with pytest.raises(PrintError, match="999999") as refused:
        documents_print(
            organization=town.org,
            period=FEB,
            out_dir=tmp_path / "out",
            account_numbers=["100002", "999999"],
        )
    assert "100002" not in str(refused.value)
    assert not PrintJob.objects.exists()
    assert files_in(tmp_path / "out") == []


# ----------------------------------------------------------------------------- printing


def test_one_account_is_one_pdf_of_one_page_archived(town, tmp_path, django_user_model):
    operator = django_user_model.objects.create_user(username="operator", password="x")
    out = tmp_path / "out"
    job = documents_print(
        organization=town.org, period=FEB, out_dir=out, account_numbers=["100002"], user=operator
    )
    assert job.state == JobState.DONE, job.error
    assert (job.total, job.done, job.created_by_id) == (1, 1, operator.pk)
    assert files_in(out) == [out / "2025-02-100002.pdf"]
    pdf = (out / "2025-02-100002.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1

    document = PaymentDocument.objects.get()
    assert (document.account_id, document.period, document.version, document.page) == (
        town.flat2.pk,
        FEB,
        1,
        1,
    )
    assert document.printed_by == operator
    assert document.changed is False
    assert document.amount_due == sum(
        max(ledger_due(town, town.flat2, p), 0) for p in (town.org, town.vodokanal)
    )
    [data] = documents_data(organization=town.org, period=FEB, account_ids=[town.flat2.pk])
    assert document.content_sha256 == data.content_sha256()
    printed = document.file
    archived = Path(printed.path)
    assert archived.is_relative_to(archive_root() / town.org.code / "2025-02")
    assert archived.read_bytes() == pdf
    assert (printed.pages, printed.size, printed.sha256) == (1, len(pdf), sha256(pdf).hexdigest())
    assert latest_document(town.flat2, FEB) == document
    assert document_pdf(document) == pdf


def test_a_bundle_is_one_file_for_the_building_with_flats_in_natural_order(town, tmp_path):
    out = tmp_path / "out"
    job = documents_print(
        organization=town.org,
        period=FEB,
        out_dir=out,
        building_id=town.building_id,
        bundle=True,
    )
    assert job.state == JobState.DONE, job.error
    [bundle] = files_in(out)
    pdf = bundle.read_bytes()
    assert pdf_pages(pdf) == 3
    printed = PrintFile.objects.get(job=job)
    assert (printed.pages, printed.building_id) == (3, town.building_id)
    pages = list(
        PaymentDocument.objects.filter(file=printed).order_by("page").values_list("page", "account")
    )
    numbers = dict(Account.objects.values_list("pk", "premises__number"))
    assert [numbers[a] for _, a in pages] == ["1", "2", "10"]
    assert [p for p, _ in pages] == [1, 2, 3]
    for text, account in zip(page_texts(pdf, tmp_path), town.accounts, strict=True):
        assert f"Лицевой счёт: {account.number}" in text


def test_paperless_accounts_are_printed_apart_from_the_bundle(town, tmp_path):
    Account.objects.filter(pk=town.flat1.pk).update(paperless=True, email="a@example.org")
    out = tmp_path / "out"
    job = documents_print(organization=town.org, period=FEB, out_dir=out, bundle=True)
    assert job.state == JobState.DONE, job.error
    assert sorted(p.name for p in files_in(out)) == [
        "2025-02-100001.pdf",
        f"2025-02-building-{town.building_id}.pdf",
    ]
    bundle = PaymentDocument.objects.filter(file__building_id=town.building_id, file__pages=2)
    assert list(bundle.order_by("page").values_list("account", flat=True)) == [
        town.flat2.pk,
        town.flat10.pk,
    ]
    assert PaymentDocument.objects.get(account=town.flat1.pk).file.pages == 1


def test_limit_prints_the_first_accounts_in_delivery_order(town, tmp_path):
    out = tmp_path / "out"
    job = documents_print(organization=town.org, period=FEB, out_dir=out, limit=2)
    assert job.total == job.done == 2
    assert [p.name for p in files_in(out)] == ["2025-02-100001.pdf", "2025-02-100002.pdf"]


def test_a_big_building_is_bundled_into_files_of_at_most_bundle_pages(town, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "BUNDLE_PAGES", 2)
    out = tmp_path / "out"
    job = documents_print(organization=town.org, period=FEB, out_dir=out, bundle=True)
    assert job.state == JobState.DONE, job.error
    files = list(PrintFile.objects.filter(job=job).order_by("pk"))
    assert [f.pages for f in files] == [2, 1]
    assert [Path(f.path).name for f in files] == [
        f"2025-02-building-{town.building_id}-part1.pdf",
        f"2025-02-building-{town.building_id}-part2.pdf",
    ]
    assert sorted(p.name for p in files_in(out)) == [Path(f.path).name for f in files]
    order = PaymentDocument.objects.filter(file__job=job).order_by("file", "page")
    assert list(order.values_list("account", flat=True)) == [a.pk for a in town.accounts]
    for f in files:
        assert pdf_pages(Path(f.path).read_bytes()) == f.pages


# ----------------------------------------------------------------------------- archive


def test_printing_again_is_a_reissue_marked_changed_only_when_the_content_changed(town, tmp_path):
    def again(folder: str) -> PaymentDocument:
        job = documents_print(
            organization=town.org,
            period=FEB,
            out_dir=tmp_path / folder,
            account_numbers=["100002"],
        )
        assert job.state == JobState.DONE, job.error
        return PaymentDocument.objects.get(file__job=job)

    first = again("a")
    second = again("a")
    assert (first.version, second.version) == (1, 2)
    assert second.changed is False
    assert second.content_sha256 == first.content_sha256
    assert len(files_in(tmp_path / "a")) == 1  # the output file is replaced
    assert Path(first.file.path).exists() and Path(second.file.path).exists()
    assert first.file.path != second.file.path  # each print stays in the archive

    Organization.objects.filter(pk=town.org.pk).update(phone="+7 4822 99-99-99")
    third = again("b")
    assert third.version == 3
    assert third.changed is True
    assert third.content_sha256 != second.content_sha256
    assert latest_document(town.flat2, FEB) == third
    assert list(
        PaymentDocument.objects.filter(account=town.flat2.pk).values_list("version", flat=True)
    ) == [3, 2, 1]


@pytest.fixture
def postgres_only(on_postgres):
    """Skip before any data is made: a transactional test on SQLite cannot flush the
    posted runs' protected lines afterwards."""
    if not on_postgres:
        pytest.skip("SQLite serializes the writers before they read the versions")


@pytest.mark.django_db(transaction=True)
def test_two_jobs_reissuing_the_same_account_at_once_get_consecutive_versions(
    postgres_only, town, tmp_path, monkeypatch
):
    """Two operators print the same account at the same moment: both read version 1 as the
    next one; the second insert is renumbered instead of failing the job."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    local = threading.local()
    read = services._next_versions

    def read_together(account_ids, period):
        versions = read(account_ids, period)
        if not getattr(local, "waited", False):  # only the first read meets the other job
            local.waited = True
            barrier.wait(timeout=30)
        return versions

    monkeypatch.setattr(services, "_next_versions", read_together)
    jobs: list[PrintJob] = []
    errors: list[BaseException] = []

    def print_one(folder: str) -> None:
        try:
            jobs.append(
                documents_print(
                    organization=town.org,
                    period=FEB,
                    out_dir=tmp_path / folder,
                    account_numbers=["100002"],
                )
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=print_one, args=(f"out{k}",)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert [j.state for j in jobs] == [JobState.DONE, JobState.DONE], [j.error for j in jobs]
    assert sorted(
        PaymentDocument.objects.filter(account=town.flat2.pk).values_list("version", flat=True)
    ) == [1, 2]


def test_a_page_of_a_bundle_is_cut_out_for_one_account(town, tmp_path):
    documents_print(organization=town.org, period=FEB, out_dir=tmp_path / "out", bundle=True)
    document = latest_document(town.flat2, FEB)
    assert document is not None
    assert document.file.pages == 3 and document.page == 2
    pdf = document_pdf(document)
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1
    [text] = page_texts(pdf, tmp_path)
    assert "Лицевой счёт: 100002" in text
    assert "100001" not in text and "100010" not in text


def test_a_missing_archive_file_is_reported(town, tmp_path):
    documents_print(
        organization=town.org, period=FEB, out_dir=tmp_path / "out", account_numbers=["100001"]
    )
    document = PaymentDocument.objects.get()
    Path(document.file.path).unlink()
    with pytest.raises(PrintError, match="Архивный файл ЕПД не найден"):
        document_pdf(document)


# ----------------------------------------------------------------------------- failures


def test_a_failed_batch_writes_nothing_and_the_others_are_kept(town, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "BATCH_ACCOUNTS", 1)
    real = Renderer.render
    calls: list[int] = []

    def render(self, docs, *, timestamp):
        calls.append(len(docs))
        if len(calls) == 2:
            raise OSError("Нет места на диске")
        return real(self, docs, timestamp=timestamp)

    monkeypatch.setattr(Renderer, "render", render)
    out = tmp_path / "out"
    job = documents_print(organization=town.org, period=FEB, out_dir=out)

    assert job.state == JobState.FAILED
    assert "Пакет 2" in job.error and "Нет места на диске" in job.error
    batches = list(PrintBatch.objects.filter(job=job).order_by("number"))
    assert [b.state for b in batches] == [JobState.DONE, JobState.FAILED, JobState.DONE]
    assert "Нет места на диске" in batches[1].error
    numbers = dict(Account.objects.values_list("pk", "number"))
    failed = numbers[batches[1].account_ids[0]]
    assert failed == "100002"  # delivery order: flat 1, 2, 10
    printed = {numbers[a] for a in PaymentDocument.objects.values_list("account", flat=True)}
    assert printed == {"100001", "100010"}
    assert job.done == 2
    assert [p.name for p in files_in(out)] == ["2025-02-100001.pdf", "2025-02-100010.pdf"]
    assert sorted(p.name for p in files_in(archive_root())) == [
        "2025-02-100001.pdf",
        "2025-02-100010.pdf",
    ]
    assert PrintFile.objects.filter(job=job).count() == 2
    for document in PaymentDocument.objects.all():
        assert pdf_pages(document_pdf(document)) == 1


def test_a_batch_failing_after_writing_files_removes_them(town, tmp_path, monkeypatch):
    """The second account's file cannot be put into the output folder: the first account's
    file of the same batch, already written and linked, goes too, and no row is kept."""
    real = services._link
    calls: list[Path] = []

    def link(path: Path, target: Path) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(f"Нет доступа к папке {target.parent}")
        real(path, target)

    monkeypatch.setattr(services, "_link", link)
    out = tmp_path / "out"
    job = documents_print(organization=town.org, period=FEB, out_dir=out)
    assert len(calls) == 2  # the first file was written and linked before the failure
    assert job.state == JobState.FAILED
    assert "Нет доступа к папке" in job.error
    assert files_in(out) == []
    assert files_in(archive_root()) == []
    assert not PrintFile.objects.exists()
    assert not PaymentDocument.objects.exists()
    assert job.done == 0


def test_a_failed_job_is_finished_and_names_every_failed_batch(town, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "BATCH_ACCOUNTS", 1)

    def render(self, docs, *, timestamp):
        raise OSError("Нет места на диске")

    monkeypatch.setattr(Renderer, "render", render)
    job = documents_print(organization=town.org, period=FEB, out_dir=tmp_path / "out")
    assert job.state == JobState.FAILED
    assert all(f"Пакет {n}" in job.error for n in (1, 2, 3)), job.error
    assert job.finished_at is not None


class FakePanic(BaseException):
    """What a Rust panic inside typst arrives as (pyo3's PanicException is a BaseException)."""


def test_a_panic_inside_typst_marks_the_batch_failed_and_finishes_the_job(
    town, tmp_path, monkeypatch
):
    monkeypatch.setattr(services, "BATCH_ACCOUNTS", 1)

    def render(self, docs, *, timestamp):
        raise FakePanic("out of file ids")

    monkeypatch.setattr(Renderer, "render", render)
    with pytest.raises(FakePanic):
        documents_print(organization=town.org, period=FEB, out_dir=tmp_path / "out")
    job = PrintJob.objects.get()
    batches = list(PrintBatch.objects.filter(job=job).order_by("number"))
    assert batches[0].state == JobState.FAILED
    assert "out of file ids" in batches[0].error
    # nothing is left running: a worker may pick the rest up, none is stuck "running"
    assert JobState.RUNNING not in {b.state for b in batches}
    assert not PaymentDocument.objects.exists()


def test_a_batch_taken_by_another_worker_is_not_printed_twice(town, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "BATCH_ACCOUNTS", 1)
    job = documents_print(organization=town.org, period=FEB, out_dir=tmp_path / "out", wait=False)
    first, *rest = PrintBatch.objects.filter(job=job).order_by("number")
    assert len(rest) == 2
    PrintBatch.objects.filter(pk=first.pk).update(state=JobState.RUNNING)  # another worker's
    services.print_batch(batch_id=first.pk)  # e.g. the task queue delivering it again
    assert not PaymentDocument.objects.exists()
    for batch in rest:
        services.print_batch(batch_id=batch.pk)
        services.print_batch(batch_id=batch.pk)  # done already: nothing more
    assert PaymentDocument.objects.count() == 2
    assert PaymentDocument.objects.filter(version__gt=1).count() == 0
    assert not PaymentDocument.objects.filter(account_id__in=first.account_ids).exists()
