"""A rich progress bar that services can report to without knowing about rich.

Services accept ``progress: Callable[[str, int, int], None] | None`` and call it as
``progress(stage, done, total)``; this adapter draws one bar per stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

ProgressCallback = Callable[[str, int, int], None]


@contextmanager
def rich_progress(console: Console) -> Iterator[ProgressCallback]:
    bars: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:

        def report(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = progress.add_task(stage, total=total or None)
            progress.update(bars[stage], completed=done, total=total or None)

        yield report
