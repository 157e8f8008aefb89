"""Printing, archiving and delivering payment documents (ЕПД) of a closed month.

`documents_print` selects the accounts, checks every payee's bank details first (a wrong
account would print a QR code that sends money nowhere), and splits the work into batches:
a building per batch for bundles (one print file per building, flats in order, for the
delivery round), a few hundred accounts per batch otherwise (one PDF per account). Batches
go through the task queue like billing batches; the printing process works through them too,
and `raschet documents print --processes N` starts more local workers.

Every document printed is archived: the PDF under ``RASCHET_DATA_DIR/documents`` (hard-linked
into the output folder), with the content hash, the amount due, who printed it and when.
Printing an account's month again records a re-issue (the next version) and whether its
content changed. A batch either archives all its documents or none (its files are removed
when it fails).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from hashlib import sha256
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from raschet.billing.services import is_closed, tasks_are_queued
from raschet.core.money import format_rubles
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.ledger.models import BalanceSnapshot
from raschet.organizations.models import Organization

from .assemble import DocumentDataError, Epd, documents_data, payee_requisites_check
from .direct import DirectWriter, LayoutError
from .models import (
    DeliveryState,
    DocumentDelivery,
    JobState,
    PaymentDocument,
    PrintBatch,
    PrintFile,
    PrintJob,
)
from .render import Renderer

Progress = Callable[[str, int, int], None]
logger = logging.getLogger(__name__)

BATCH_ACCOUNTS = 250
"""Accounts per batch when each gets its own PDF."""
BUNDLE_PAGES = 200
"""A building with more accounts is bundled into several files of at most this many pages,
in flat order: typst holds a compile's pages in memory (about 3 MB a page)."""
DATA_CHUNK = 2000


class PrintError(Exception):
    """Printing was refused; the message says why in Russian."""


def archive_root() -> Path:
    return Path(settings.DATA_DIR) / "documents"


def _natural(text: str) -> tuple[int, str]:
    match = re.match(r"\d+", text)
    return (int(match.group()) if match else 10**9, text)


def select_accounts(
    *,
    organization: Organization,
    period: date,
    account_numbers: Sequence[str] = (),
    building_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[int, int, bool]]:
    """(account id, building id, paperless) of the accounts open in the month (the rule of
    `selectors.account_open_in`, in SQL), in delivery order: building by address, then flats
    in natural order (2 before 10)."""
    month = Month.of(period)
    qs = Account.objects.filter(organization=organization, opened_on__lt=month.end).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=month.start)
    )
    if account_numbers:
        numbers = list(dict.fromkeys(account_numbers))
        found = set(qs.filter(number__in=numbers).values_list("number", flat=True))
        missing = [n for n in numbers if n not in found]
        if missing:
            raise PrintError(
                f"Лицевые счета не найдены или закрыты в {period:%m.%Y}: {', '.join(missing[:20])}"
            )
        qs = qs.filter(number__in=numbers)
    if building_id is not None:
        qs = qs.filter(premises__building_id=building_id)
    rows = list(
        qs.values_list(
            "pk",
            "premises__building_id",
            "premises__building__address",
            "premises__number",
            "number",
            "paperless",
            "email",
        )
    )
    rows.sort(key=lambda r: (r[2], r[1], _natural(r[3]), r[4]))
    if limit is not None:
        rows = rows[:limit]
    return [(r[0], r[1], bool(r[5] and r[6])) for r in rows]


def _plan(
    accounts: list[tuple[int, int, bool]], bundle: bool
) -> list[tuple[int | None, list[int], bool, int]]:
    """Batches as (building for a bundle, account ids, bundle?, part of the building's
    bundle: 0 when it has one file)."""
    plan: list[tuple[int | None, list[int], bool, int]] = []
    if not bundle:
        ids = [a[0] for a in accounts]
        for k in range(0, len(ids), BATCH_ACCOUNTS):
            plan.append((None, ids[k : k + BATCH_ACCOUNTS], False, 0))
        return plan
    by_building: dict[int, list[int]] = {}
    single: list[int] = []
    for account_id, building_id, paperless in accounts:
        if paperless:
            single.append(account_id)  # e-mailed, not in the paper bundle
        else:
            by_building.setdefault(building_id, []).append(account_id)
    for building_id, ids in by_building.items():
        several = len(ids) > BUNDLE_PAGES
        for part, k in enumerate(range(0, len(ids), BUNDLE_PAGES), start=1):
            plan.append((building_id, ids[k : k + BUNDLE_PAGES], True, part if several else 0))
    for k in range(0, len(single), BATCH_ACCOUNTS):
        plan.append((None, single[k : k + BATCH_ACCOUNTS], False, 0))
    return plan


def documents_print(
    *,
    organization: Organization,
    period: date,
    out_dir: Path | str,
    account_numbers: Sequence[str] = (),
    building_id: int | None = None,
    limit: int | None = None,
    bundle: bool = False,
    user: Any = None,
    progress: Progress | None = None,
    wait: bool = True,
) -> PrintJob:
    """Print the closed month's documents of the selected accounts into ``out_dir``.

    Refused before anything is written when the month is not closed, an account is
    unknown, or a payee's bank details are incomplete or fail their checksum.
    """
    month = Month.of(period)
    if not is_closed(organization.pk, month.start):
        raise PrintError(
            f"Месяц {month.start:%m.%Y} не закрыт: ЕПД печатаются только за закрытый месяц "
            "(raschet billing close)"
        )
    accounts = select_accounts(
        organization=organization,
        period=month.start,
        account_numbers=account_numbers,
        building_id=building_id,
        limit=limit,
    )
    if not accounts:
        raise PrintError(f"Нет открытых лицевых счетов для печати за {month.start:%m.%Y}")
    try:
        payee_requisites_check(_payees_of(organization, month.start))
    except DocumentDataError as exc:
        raise PrintError(str(exc)) from exc
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    plan = _plan(accounts, bundle)
    with transaction.atomic():
        job = PrintJob.objects.create(
            organization=organization,
            period=month.start,
            bundle=bundle,
            selection={
                "accounts": list(account_numbers),
                "building": building_id,
                "limit": limit,
            },
            out_dir=str(out),
            state=JobState.RUNNING,
            total=len(accounts),
            created_by=user if getattr(user, "pk", None) else None,
        )
        PrintBatch.objects.bulk_create(
            PrintBatch(
                organization=organization,
                job=job,
                number=k,
                building_id=building,
                account_ids=ids,
                bundle=is_bundle,
                part=part,
            )
            for k, (building, ids, is_bundle, part) in enumerate(plan)
        )
    if tasks_are_queued():
        from .tasks import print_batch_task

        for batch_id in PrintBatch.objects.filter(job=job).values_list("pk", flat=True):
            print_batch_task.enqueue(batch_id)
    if wait:
        job_work(job=job, progress=progress)
    job.refresh_from_db()
    return job


def _payees_of(organization: Organization, period: date) -> list[Organization]:
    ids = set(
        BalanceSnapshot.objects.filter(
            organization=organization, period=period, service_id__isnull=False
        )
        .values_list("payee_id", flat=True)
        .distinct()
    )
    # a service without a supplier's contract is paid to the organization itself
    ids = {organization.pk if i is None else i for i in ids}
    return list(Organization.objects.filter(pk__in=ids))


def job_work(*, job: PrintJob, progress: Progress | None = None) -> None:
    """Work through the job's pending batches, then finish the job."""
    with Renderer() as renderer:
        while True:
            batch_id = _claim_pending(job)
            if batch_id is None:
                break
            print_batch(batch_id=batch_id, renderer=renderer, claimed=True)
            if progress is not None:
                job.refresh_from_db()
                progress("Печать ЕПД", job.done, job.total)
    _finish_if_done(job)
    job.refresh_from_db()
    if progress is not None:
        progress("Печать ЕПД", job.done, job.total)


def _claim_pending(job: PrintJob) -> int | None:
    with transaction.atomic():
        qs = PrintBatch.objects.filter(job=job, state=JobState.QUEUED).order_by("number")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        batch = qs.first()
        if batch is None:
            return None
        PrintBatch.objects.filter(pk=batch.pk).update(state=JobState.RUNNING)
        return batch.pk


def _finish_if_done(job: PrintJob) -> None:
    with transaction.atomic():
        job = PrintJob.objects.select_for_update().get(pk=job.pk)
        if job.state != JobState.RUNNING:
            return
        states = set(PrintBatch.objects.filter(job=job).values_list("state", flat=True))
        if JobState.QUEUED in states or JobState.RUNNING in states:
            return
        errors = list(
            PrintBatch.objects.filter(job=job, state=JobState.FAILED).values_list(
                "error", flat=True
            )
        )
        job.state = JobState.FAILED if errors else JobState.DONE
        job.error = "\n".join(errors)
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "error", "finished_at"])


@dataclass(slots=True)
class _Written:
    path: Path
    link: Path | None


def print_batch(*, batch_id: int, renderer: Renderer | None = None, claimed: bool = False) -> None:
    """Print one batch: render, write the files, archive the documents — all or nothing.

    Unless the caller ``claimed`` it (`job_work`), the batch is claimed here: a task for a
    batch another worker has taken or finished does nothing, so no batch prints twice. A
    failure marks the batch failed with the message and removes the batch's files.
    """
    if not claimed:
        taken = PrintBatch.objects.filter(pk=batch_id, state=JobState.QUEUED).update(
            state=JobState.RUNNING
        )
        if not taken:
            return
    batch = PrintBatch.objects.select_related("job", "job__organization").get(pk=batch_id)
    own = renderer is None
    renderer = renderer or Renderer()
    written: list[_Written] = []
    try:
        with transaction.atomic():
            count = _print_batch(batch, renderer, written)
            PrintBatch.objects.filter(pk=batch.pk).update(state=JobState.DONE)
            PrintJob.objects.filter(pk=batch.job_id).update(done=F("done") + count)
    except BaseException as exc:  # typst's Rust panics arrive as BaseException
        for w in written:
            for p in (w.link, w.path):
                if p is not None:
                    p.unlink(missing_ok=True)
        message = f"Пакет {batch.number + 1}: {exc}"
        # the job fails when its last batch is through (_finish_if_done), naming every one
        PrintBatch.objects.filter(pk=batch.pk).update(state=JobState.FAILED, error=message)
        if not isinstance(exc, DocumentDataError | PrintError | OSError):
            _finish_if_done(batch.job)
            raise
    finally:
        if own:
            renderer.close()
    _finish_if_done(batch.job)


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for k in range(0, len(ids), size):
        yield ids[k : k + size]


def _print_batch(batch: PrintBatch, renderer: Renderer, written: list[_Written]) -> int:
    job = batch.job
    organization = job.organization
    docs: list[Epd] = []
    for chunk in _chunks(list(batch.account_ids), DATA_CHUNK):
        docs += documents_data(organization=organization, period=job.period, account_ids=chunk)
    now = timezone.now()
    month = f"{job.period:%Y-%m}"
    folder = archive_root() / organization.code / month / f"job-{job.pk}"
    folder.mkdir(parents=True, exist_ok=True)
    out = Path(job.out_dir)
    if batch.bundle:
        part = f"-part{batch.part}" if batch.part else ""
        name = f"{month}-building-{batch.building_id}{part}.pdf"
        pdf = bundle_pdf(docs, renderer, timestamp=now)
        files = [(name, pdf, docs)]
    else:
        files = [
            (f"{month}-{d.account_number}.pdf", renderer.render([d], timestamp=now), [d])
            for d in docs
        ]
    pages: list[tuple[PrintFile, int, Epd]] = []
    for name, pdf, page_docs in files:
        path = folder / name
        path.write_bytes(pdf)
        written.append(_Written(path, None))
        link = out / name
        _link(path, link)
        written[-1].link = link
        printed = PrintFile.objects.create(
            organization=organization,
            job=job,
            path=str(path),
            pages=len(page_docs),
            size=len(pdf),
            sha256=sha256(pdf).hexdigest(),
            building_id=batch.building_id,
        )
        pages += [(printed, page, doc) for page, doc in enumerate(page_docs, start=1)]
    _archive(job, pages, now)
    return len(pages)


ARCHIVE_ATTEMPTS = 5


def _archive(job: PrintJob, pages: list[tuple[PrintFile, int, Epd]], now: Any) -> None:
    """Archive the printed pages as the next version of each account's month.

    The versions are read after the batch has written (SQLite then holds its write lock). Two
    print jobs of the same accounts running at once on PostgreSQL can still read the same
    latest version: the second insert then hits the version's unique key, is rolled back to
    its savepoint and numbered again from what the first one committed.
    """
    account_ids = [doc.account_id for _, _, doc in pages]
    hashes = [doc.content_sha256() for _, _, doc in pages]
    for attempt in range(ARCHIVE_ATTEMPTS):
        versions = _next_versions(account_ids, job.period)
        records = []
        for (printed, page, doc), content_hash in zip(pages, hashes, strict=True):
            version, previous_hash = versions.get(doc.account_id, (1, None))
            records.append(
                PaymentDocument(
                    organization=job.organization,
                    account_id=doc.account_id,
                    period=job.period,
                    version=version,
                    file=printed,
                    page=page,
                    amount_due=doc.amount_due,
                    content_sha256=content_hash,
                    printed_at=now,
                    printed_by=job.created_by,
                    changed=previous_hash is not None and previous_hash != content_hash,
                )
            )
        try:
            with transaction.atomic():
                PaymentDocument.objects.bulk_create(records, batch_size=2000)
        except IntegrityError:
            if attempt == ARCHIVE_ATTEMPTS - 1:
                raise PrintError(
                    "Не удалось записать ЕПД в архив: те же лицевые счета одновременно "
                    "печатает другое задание; повторите печать"
                ) from None
            continue
        return


def bundle_pdf(docs: Sequence[Epd], renderer: Renderer, *, timestamp: Any) -> bytes:
    """A building's print file: written directly (ADR 0009) unless the setting
    ``RASCHET_EPD_BUNDLE_ENGINE`` says ``typst``; typst also takes a bundle one of whose
    pages does not fit the direct writer's layout."""
    if settings.RASCHET_EPD_BUNDLE_ENGINE == "direct":
        try:
            return DirectWriter().render(docs, timestamp=timestamp)
        except LayoutError as exc:
            logger.warning("ЕПД: пакет свёрстан typst, прямая запись невозможна: %s", exc)
    return renderer.render(docs, timestamp=timestamp)


def _link(path: Path, link: Path) -> None:
    """Put the archived file into the output folder: a hard link, or a copy across disks."""
    link.unlink(missing_ok=True)
    try:
        os.link(path, link)
    except OSError:
        shutil.copyfile(path, link)


def _next_versions(account_ids: list[int], period: date) -> dict[int, tuple[int, str | None]]:
    """Account → (the version the next print gets, the content hash of the latest one)."""
    latest = dict(
        PaymentDocument.objects.filter(account_id__in=account_ids, period=period)
        .values("account_id")
        .annotate(v=Max("version"))
        .values_list("account_id", "v")
    )
    if not latest:
        return {}
    hashes = {
        (a, v): h
        for a, v, h in PaymentDocument.objects.filter(
            account_id__in=list(latest), period=period
        ).values_list("account_id", "version", "content_sha256")
    }
    return {a: (v + 1, hashes.get((a, v))) for a, v in latest.items()}


# ----------------------------------------------------------------------------- reading back


def latest_document(account: Account, period: date) -> PaymentDocument | None:
    return (
        PaymentDocument.objects.filter(account_id=account.pk, period=period)
        .select_related("file")
        .order_by("-version")
        .first()
    )


def document_pdf(document: PaymentDocument) -> bytes:
    """The archived PDF of one document: the file itself, or its page cut from a bundle."""
    path = Path(document.file.path)
    if not path.exists():
        raise PrintError(f"Архивный файл ЕПД не найден: {path}")
    data = path.read_bytes()
    if document.file.pages == 1:
        return data
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(BytesIO(data))
    writer = PdfWriter()
    writer.add_page(reader.pages[document.page - 1])
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- delivery


def documents_deliver(
    *, organization: Organization, period: date, progress: Progress | None = None
) -> tuple[int, int]:
    """E-mail the latest archived document of the month to every account that chose
    paper-free delivery and has not been sent it yet; returns (sent, failed).

    A failure (the mail server refused) is recorded on the delivery and does not stop the
    others; running it again retries only what was not sent.
    """
    month = Month.of(period)
    accounts = {
        a.pk: a
        for a in Account.objects.filter(organization=organization, paperless=True).exclude(email="")
    }
    documents = {}
    for doc in (
        PaymentDocument.objects.filter(account_id__in=list(accounts), period=month.start)
        .select_related("file")
        .order_by("account_id", "version")
    ):
        documents[doc.account_id] = doc  # the latest version wins
    sent_already = set(
        DocumentDelivery.objects.filter(
            document__in=list(documents.values()), state=DeliveryState.SENT
        ).values_list("document_id", flat=True)
    )
    todo = [d for d in documents.values() if d.pk not in sent_already]
    sent = failed = 0
    for k, doc in enumerate(todo, start=1):
        account = accounts[doc.account_id]
        message = EmailMessage(
            subject=f"ЕПД за {month.start:%m.%Y}: лицевой счёт № {account.number}",
            body=(
                "Здравствуйте!\n\nВо вложении — единый платёжный документ за "
                f"{month.start:%m.%Y} "
                f"по лицевому счёту № {account.number}. К оплате: "
                f"{format_rubles(doc.amount_due)} ₽.\n\n"
                f"{organization.brand_name or organization.short_name or organization.name}"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[account.email],
        )
        try:
            message.attach(f"epd-{month.start:%Y-%m}-{account.number}.pdf", document_pdf(doc))
            message.send(fail_silently=False)
        except Exception as exc:
            failed += 1
            DocumentDelivery.objects.create(
                organization=organization,
                document=doc,
                address=account.email,
                state=DeliveryState.FAILED,
                error=str(exc)[:500],
            )
        else:
            sent += 1
            DocumentDelivery.objects.create(
                organization=organization,
                document=doc,
                address=account.email,
                state=DeliveryState.SENT,
            )
        if progress is not None:
            progress("Отправка ЕПД", k, len(todo))
    return sent, failed
