"""`readings_import`: meter readings from a CSV/XLSX file (docs/import-readings.md).

The whole file is parsed and checked first — with the same rules as `reading_submit`, run in
bulk over arrays — and with any problem nothing is written and the report lists every one
(row, column, value, Russian message). A good file is written in one transaction. The same
reading sent again is stored once, so re-importing a file changes nothing.

Phases and their cost for a million rows are in the report's ``timings`` (seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rich.console import Console
from rich.table import Table as RichTable

from raschet.importers.housing.report import ImportIssue, ImportReport, render_report
from raschet.importers.models import ImportBatch
from raschet.importers.tabular import file_sha256
from raschet.metering.import_check import readings_check
from raschet.metering.import_parse import COLUMNS, map_header, parse_rows, stock_load
from raschet.metering.import_reader import FileProblem, open_table
from raschet.metering.import_write import ReadingsChanged, plan_write
from raschet.organizations.models import Organization

__all__ = ["COLUMNS", "ReadingsImportReport", "readings_import", "render_readings_report"]

ProgressCallback = Callable[[str, int, int], None]
STAGE_READ = "Чтение файла"
STAGE_CHECK = "Проверка"
STAGE_WRITE = "Запись"
COUNT_KEYS = ("created", "corrected", "unchanged", "flagged", "rollover")
COUNT_LABELS = {
    "created": "Принято новых",
    "corrected": "Исправлено (новое показание заменило прежнее)",
    "unchanged": "Без изменений (уже загружены)",
    "flagged": "Из них с расходом намного выше среднего — проверить",
    "rollover": "Из них с переходом счётчика через ноль",
}


def empty_readings_counts() -> dict[str, dict[str, int]]:
    return {"readings": dict.fromkeys(COUNT_KEYS, 0)}


@dataclass
class ReadingsImportReport(ImportReport):
    """The housing import's report with the readings' counts and the phases' timings.

    ``counts["readings"]``: created, corrected, unchanged, and — among the written rows —
    flagged (volume far above the average) and rollover.
    """

    counts: dict[str, dict[str, int]] = field(default_factory=empty_readings_counts)
    timings: dict[str, float] = field(default_factory=dict)
    rows: int = 0

    @property
    def changed(self) -> bool:
        c = self.counts.get("readings", {})
        return bool(c.get("created") or c.get("corrected"))


def readings_import(
    *,
    path: Path,
    organization: Organization,
    today: date,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    user: object = None,
    file_name: str | None = None,
    threshold_percent: int | None = None,
) -> ReadingsImportReport:
    """Import the readings file at ``path`` into ``organization``, all or nothing.

    ``today`` is the import date: readings taken later are rejected, and rows without
    «Дата получения» count as received today for the reading window. ``dry_run`` runs every
    check, against the database too, and writes nothing.
    """
    path = Path(path)
    name = file_name or path.name
    report = ReadingsImportReport(ok=False, dry_run=dry_run, file_name=name)
    threshold = (
        threshold_percent
        if threshold_percent is not None
        else organization.reading_threshold_percent
    )
    clock = time.perf_counter()

    def tick(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    def phase(label: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.timings[label] = round(now - clock, 3)
        clock = now

    max_bytes = int(getattr(settings, "RASCHET_IMPORT_MAX_BYTES", 512 * 1024 * 1024))
    try:
        table = open_table(path, max_bytes=max_bytes)
    except FileProblem as exc:
        report.errors.append(ImportIssue(name, exc.row, "", "", exc.message))
        return report
    sheet = table.sheet if table.sheet != path.name else name
    positions, header_issues = map_header(sheet, table.header_row, table.header)
    if header_issues:
        report.errors.extend(header_issues)
        return report

    stock = stock_load(organization)
    phase("load")
    total = table.total_rows
    tick(STAGE_READ, 0, total)
    try:
        parsed = parse_rows(
            rows=table.rows,
            sheet=sheet,
            positions=positions,
            width=len(table.header),
            stock=stock,
            today=today,
            cutoff_day=organization.reading_cutoff_day,
            formulas=table.formulas,
            tick=lambda n: tick(STAGE_READ, n, max(total, n)),
        )
    except FileProblem as exc:
        report.errors.append(ImportIssue(sheet, exc.row, "", "", exc.message))
        return report
    report.rows = parsed.rows_seen
    tick(STAGE_READ, parsed.rows_seen, parsed.rows_seen)
    phase("parse")
    if parsed.rows_seen == 0:
        report.errors.append(
            ImportIssue(sheet, table.header_row, "", "", "в файле только заголовок, нет строк")
        )
        return report

    try:
        with transaction.atomic():
            # One import per tenant at a time; lock order organization → … (style.md §9).
            list(
                Organization.objects.select_for_update()
                .filter(pk=organization.pk)
                .values_list("pk")
            )
            tick(STAGE_CHECK, 0, 1)
            plan = readings_check(
                parsed=parsed, stock=stock, organization=organization, today=today,
                threshold_percent=threshold,
            )  # fmt: skip
            tick(STAGE_CHECK, 1, 1)
            phase("validate")
            errors = parsed.errors + plan.errors
            if errors:
                errors.sort(key=lambda e: e.row)
                if parsed.truncated or len(errors) >= 10_000:
                    too_many = "ошибок слишком много: показаны первые; исправьте их и повторите"
                    errors.append(ImportIssue(sheet, 0, "", "", too_many))
                report.errors = errors
                return report
            report.ok = True
            report.counts = {"readings": plan.counts}
            if dry_run or not report.changed:
                return report
            work = len(plan.row)
            tick(STAGE_WRITE, 0, work)
            user_id = (
                getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
            )
            plan_write(
                plan=plan,
                organization=organization,
                user_id=user_id,
                file_name=name,
                now=timezone.now(),
                progress=lambda done: tick(STAGE_WRITE, done, work),
            )
            ImportBatch.objects.create(
                organization=organization,
                kind="readings",
                user_id=user_id,
                file_name=name[:300],
                sha256=file_sha256(path),
                rows=parsed.rows_seen,
                counts=report.counts,
            )
            phase("write")
        phase("commit")  # deferred foreign-key checks run here on PostgreSQL
    except (ReadingsChanged, IntegrityError):
        report.ok = False
        report.counts = empty_readings_counts()
        report.errors = [
            ImportIssue(sheet, 0, "", "", "показания этих счётчиков изменились во время загрузки "
                        "(их вводили одновременно): ничего не записано, загрузите файл ещё раз")
        ]  # fmt: skip
    return report


def render_readings_report(report: ImportReport, console: Console) -> None:
    """The error table of a rejected file (as the housing import), or the readings' counts."""
    if not report.ok:
        render_report(report, console)
        return
    if report.dry_run:
        title = f"Проверка {report.file_name}: ошибок нет, ничего не записано (пробный прогон)"
    elif report.changed:
        title = f"Файл показаний {report.file_name} загружен"
    else:
        title = f"Файл {report.file_name}: изменений нет, все показания уже загружены"
    table = RichTable("Показания", "Количество", title=title)
    counts = report.counts.get("readings", {})
    for key in COUNT_KEYS:
        table.add_row(COUNT_LABELS[key], str(counts.get(key, 0)))
    console.print(table)
