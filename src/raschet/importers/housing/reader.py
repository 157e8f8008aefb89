"""The housing template's reader: the shared tabular reader on the sheet «Жилфонд».

A workbook is read from the sheet «Жилфонд», or from its only sheet; cells come as raw
values (the collector checks formulas and Excel errors itself). See `raschet.importers.tabular`.
"""

from __future__ import annotations

from pathlib import Path

from raschet.importers.housing.columns import SHEET_NAME
from raschet.importers.tabular import FileProblem, Table, sheet_named_or_only
from raschet.importers.tabular import open_table as _open_table

__all__ = ["FileProblem", "Table", "open_table"]

_SHEET_CHOICE = sheet_named_or_only(SHEET_NAME)


def open_table(path: Path, *, max_bytes: int) -> Table[tuple[object, ...]]:
    return _open_table(path, max_bytes=max_bytes, sheet_choice=_SHEET_CHOICE)
