"""The readings file's reader: the shared tabular reader on a workbook's first sheet.

The readings layout reads the *first* sheet whatever its name and gets cells as text, with
formulas marked as `Formula` so that they are rejected cell by cell. See
`raschet.importers.tabular`.
"""

from __future__ import annotations

from pathlib import Path

from raschet.importers.tabular import (
    FileProblem,
    Formula,
    Table,
    cell_text,
    detect_encoding,
    first_sheet,
)
from raschet.importers.tabular import open_table as _open_table

__all__ = ["FileProblem", "Formula", "Table", "cell_text", "detect_encoding", "open_table"]


def open_table(path: Path, *, max_bytes: int) -> Table[list[str]]:
    # Readings lines are short: a smaller least line length keeps the row estimate close.
    return _open_table(
        path, max_bytes=max_bytes, sheet_choice=first_sheet, text_cells=True, min_line_bytes=40
    )
