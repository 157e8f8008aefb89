"""ГИС ЖКХ payment document identifiers (ИПД, rules.md §8.1), imported from a CSV file.

ГИС ЖКХ gives every payment document placed there an identifier of 18 characters: the
account's ЕЛС (10), ``-NN`` and ``-XXXX``. The billing centre downloads them and imports
them here; the ЕПД then prints the ИПД beside the ЕЛС and puts it into each QR code's
``DocIdx`` field (rules.md §6.2: "ИПД is often placed in DocIdx").

The file: CSV (UTF-8 or windows-1251, ``;`` or ``,``) or XLSX, read by the importers' reader,
with a header naming the columns ``ЛС`` (the personal account number), ``Период`` (``ГГГГ-ММ`` or
``ММ.ГГГГ``) and ``ИПД`` (English ``account``, ``period``, ``ipd`` are accepted too). It is
imported all or nothing: every error names the file, line and column. A second import for the
same account and month replaces the identifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction

from raschet.housing.models import Account
from raschet.importers.tabular import FileProblem, first_sheet, open_table
from raschet.organizations.models import Organization

from .models import GisDocumentId

IPD_RE = re.compile(r"^(\d{2}[А-ЯЁA-Z]{2}\d{6})-\d{2}-[0-9А-ЯЁA-Z]{4}$", re.IGNORECASE)
COLUMNS = {
    "account": ("лс", "лицевой счёт", "лицевой счет", "account"),
    "period": ("период", "месяц", "period"),
    "ipd": ("ипд", "ipd"),
}
TITLES = {"account": "ЛС", "period": "Период", "ipd": "ИПД"}
CHUNK = 5000
MAX_ERRORS = 20


class IpdImportError(ValueError):
    """The file was refused; ``errors`` lists every problem found (file, line, column)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class IpdRow:
    line: int
    account: str
    period: date
    ipd: str


def _period(value: str) -> date | None:
    for pattern, year_first in (
        (r"^(\d{4})-(\d{2})(?:-01)?$", True),  # 2025-02, or a date cell of an XLSX
        (r"^(\d{2})\.(\d{4})$", False),
    ):
        m = re.match(pattern, value)
        if m:
            year, month = (m.group(1), m.group(2)) if year_first else (m.group(2), m.group(1))
            if 1 <= int(month) <= 12:
                return date(int(year), int(month), 1)
    return None


def parse_ipd_file(path: Path, file_name: str) -> list[IpdRow]:
    """The rows of an ИПД file (CSV or XLSX, read by `raschet.importers.tabular`), or
    `IpdImportError` naming every bad line and column."""
    try:
        table = open_table(
            path,
            max_bytes=settings.RASCHET_IMPORT_MAX_BYTES,
            sheet_choice=first_sheet,
            text_cells=True,
        )
    except FileProblem as exc:
        raise IpdImportError([f"{file_name}: {exc.message}"]) from None
    errors: list[str] = []
    header = [str(h or "") for h in table.header]
    names = [h.strip().lower() for h in header]
    index: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        found = [i for i, name in enumerate(names) if name in aliases]
        if not found:
            errors.append(f"{file_name}, строка {table.header_row}: нет столбца «{TITLES[key]}»")
        else:
            index[key] = found[0]
    if errors:
        raise IpdImportError(errors)
    rows: list[IpdRow] = []
    seen: dict[tuple[str, date], int] = {}
    try:
        for number, record in table.rows:
            if not any(cell.strip() for cell in record):
                continue
            cells = {
                k: (str(record[i]).strip() if i < len(record) else "") for k, i in index.items()
            }
            where = f"{file_name}, строка {number}"
            account, ipd = cells["account"], cells["ipd"].upper()
            period = _period(cells["period"])
            if not account:
                errors.append(f"{where}, столбец «ЛС»: пусто")
            if period is None:
                errors.append(
                    f"{where}, столбец «Период»: {cells['period']!r} — "
                    "нужен месяц ГГГГ-ММ или ММ.ГГГГ"
                )
            if not IPD_RE.match(ipd):
                errors.append(
                    f"{where}, столбец «ИПД»: {cells['ipd']!r} — нужно 18 знаков вида "
                    "ЕЛС-NN-XXXX (например 75АБ533315-01-5012)"
                )
            if account and period is not None:
                twice = seen.get((account, period))
                if twice is not None:
                    errors.append(
                        f"{where}: счёт {account} за {period:%m.%Y} уже был в строке {twice}"
                    )
                seen[(account, period)] = number
            if len(errors) >= MAX_ERRORS:
                break
            if not errors:
                rows.append(IpdRow(number, account, period, ipd))  # type: ignore[arg-type]
    except FileProblem as exc:
        errors.append(f"{file_name}: {exc.message}")
    if errors:
        raise IpdImportError(errors)
    return rows


def ipd_import(*, organization: Organization, path: Path, file_name: str = "") -> int:
    """Import an ИПД file for ``organization``: all rows or none. Returns the rows imported.

    Refused: an account that is not the organization's, and an ИПД that does not begin with
    the account's ЕЛС when the account has one.
    """
    file_name = file_name or path.name
    rows = parse_ipd_file(path, file_name)
    accounts = {
        number: (pk, gis)
        for pk, number, gis in Account.objects.filter(
            organization=organization, number__in={r.account for r in rows}
        ).values_list("pk", "number", "gis_account_id")
    }
    errors = []
    for row in rows:
        where = f"{file_name}, строка {row.line}"
        known = accounts.get(row.account)
        if known is None:
            errors.append(f"{where}, столбец «ЛС»: счёт {row.account} не найден в организации")
        elif known[1] and not row.ipd.startswith(known[1].upper()):
            errors.append(f"{where}, столбец «ИПД»: {row.ipd} не начинается с ЕЛС счёта {known[1]}")
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise IpdImportError(errors)
    by_period: dict[date, list[IpdRow]] = {}
    for row in rows:
        by_period.setdefault(row.period, []).append(row)
    with transaction.atomic():  # a second import of a month replaces its identifiers
        for period, items in by_period.items():
            for k in range(0, len(items), CHUNK):
                chunk = items[k : k + CHUNK]
                ids = [accounts[r.account][0] for r in chunk]
                GisDocumentId.objects.filter(account_id__in=ids, period=period).delete()
                GisDocumentId.objects.bulk_create(
                    GisDocumentId(
                        organization=organization, account_id=pk, period=period, ipd=r.ipd
                    )
                    for pk, r in zip(ids, chunk, strict=True)
                )
    return len(rows)


def ipd_by_account(account_ids: list[int], period: date) -> dict[int, str]:
    """Account → its ИПД for the month, where one was imported."""
    return dict(
        GisDocumentId.objects.filter(account_id__in=account_ids, period=period).values_list(
            "account_id", "ipd"
        )
    )
