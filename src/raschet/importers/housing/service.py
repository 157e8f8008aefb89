"""`housing_import`: check the whole file, then write it in one transaction or not at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from raschet.importers.housing.collect import Collector, map_header
from raschet.importers.housing.plan import build_plan
from raschet.importers.housing.reader import FileProblem, open_table
from raschet.importers.housing.report import ImportIssue, ImportReport
from raschet.importers.housing.resolve import resolve
from raschet.importers.housing.write import plan_write
from raschet.importers.models import ImportBatch
from raschet.importers.tabular import file_sha256
from raschet.organizations.models import Organization
from raschet.tariffs.catalogue import CATALOGUE
from raschet.tariffs.models import Service

ProgressCallback = Callable[[str, int, int], None]
STAGE_READ = "Чтение файла"
STAGE_CHECK = "Проверка"
STAGE_WRITE = "Запись"
_PROGRESS_EVERY = 5000


def known_services(organization: Organization) -> dict[str, tuple[bool, int]]:
    """The organization's services, plus catalogue codes it has not installed yet.

    A catalogue code the organization lacks is installed (`services_install_catalogue`)
    inside the import's transaction when the file uses it.
    """
    known = {e.code: (e.metered, e.max_zones) for e in CATALOGUE}
    for code, metered, zones in Service.objects.filter(organization=organization).values_list(
        "code", "metered", "max_zones"
    ):
        known[code] = (metered, zones)
    return known


def housing_import(
    *,
    path: Path,
    organization: Organization,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    user: Any = None,
    file_name: str | None = None,
) -> ImportReport:
    """Import the housing template at ``path`` into ``organization``.

    The whole file is checked first; with any error nothing is written and the report
    lists every problem found. A good file is written in one transaction; importing the same
    file again reports every row "unchanged". ``dry_run`` checks against the database too
    but writes nothing. See docs/import-housing.md.
    """
    path = Path(path)
    name = file_name or path.name
    report = ImportReport(ok=False, dry_run=dry_run, file_name=name)

    def tick(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

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

    services = known_services(organization)
    collector = Collector(
        sheet=sheet,
        positions=positions,
        width=len(table.header),
        known_services=services,
        today=timezone.localdate(),
    )
    total = table.total_rows
    tick(STAGE_READ, 0, total)
    try:
        for n, (row, cells) in enumerate(table.rows, start=1):
            collector.feed(row, cells)
            if n % _PROGRESS_EVERY == 0:
                tick(STAGE_READ, n, max(total, n))
    except FileProblem as exc:
        report.errors.append(ImportIssue(sheet, exc.row, "", "", exc.message))
        return report
    collected = collector.out
    tick(STAGE_READ, collected.rows, collected.rows)
    if collected.rows == 0 and not collected.errors:
        collected.error(table.header_row, "", "", "в файле только заголовок, нет строк с данными")
    tick(STAGE_CHECK, 0, 2)
    resolved = resolve(collected, known_services=services)
    if collected.errors:
        report.errors = collected.errors
        return report

    with transaction.atomic():
        # Lock order organization → building → account (style.md §9); one import per tenant.
        list(Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk"))
        plan = build_plan(collected, resolved, organization=organization)
        tick(STAGE_CHECK, 2, 2)
        report.counts = {name_: tp.counts() for name_, tp in plan.tables.items()}
        if collected.errors:
            report.errors = collected.errors
            return report
        report.ok = True
        if dry_run or not report.changed:
            return report
        work = sum(len(tp.creates) + len(tp.updates) for tp in plan.tables.values())
        tick(STAGE_WRITE, 0, work)
        plan_write(
            plan=plan,
            organization=organization,
            progress=lambda done: tick(STAGE_WRITE, done, work),
        )
        ImportBatch.objects.create(
            organization=organization,
            user=user if getattr(user, "is_authenticated", False) else None,
            file_name=name[:300],
            sha256=file_sha256(path),
            rows=collected.rows,
            counts=report.counts,
        )
    return report
