"""What an import answers: the error table or the counts, and their console rendering."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

ENTITIES: tuple[tuple[str, str], ...] = (
    ("buildings", "Дома"),
    ("premises", "Помещения"),
    ("accounts", "Лицевые счета"),
    ("persons", "Граждане"),
    ("ownerships", "Права собственности"),
    ("registrations", "Регистрации"),
    ("account_services", "Услуги лицевых счетов"),
)
RENDER_MAX_ERRORS = 500


@dataclass(frozen=True)
class ImportIssue:
    """One problem: where it is (as the user sees the file) and what is wrong, in Russian."""

    sheet: str
    row: int  # 1-based as in Excel / a text editor; 0 = the whole file
    column: str  # the template's header; '' for a file-level problem
    value: str
    message: str


def empty_counts() -> dict[str, dict[str, int]]:
    return {name: {"created": 0, "updated": 0, "unchanged": 0} for name, _ in ENTITIES}


@dataclass
class ImportReport:
    ok: bool
    dry_run: bool
    file_name: str
    errors: list[ImportIssue] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=empty_counts)

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] for c in self.counts.values())


def render_report(report: ImportReport, console: Console) -> None:
    """Print the error table of a rejected file, or the counts of an accepted one."""
    if not report.ok:
        console.print(
            f"[bold red]Файл {report.file_name} не загружен: ошибок {len(report.errors)}. "
            "Ничего не записано.[/bold red]"
        )
        table = Table("Лист", "Строка", "Столбец", "Значение", "Ошибка", show_lines=False)
        for issue in report.errors[:RENDER_MAX_ERRORS]:
            table.add_row(
                issue.sheet,
                str(issue.row) if issue.row else "—",
                issue.column or "—",
                issue.value[:60],
                issue.message,
            )
        console.print(table)
        if len(report.errors) > RENDER_MAX_ERRORS:
            console.print(f"…и ещё {len(report.errors) - RENDER_MAX_ERRORS} ошибок")
        return
    if report.dry_run:
        title = f"Проверка {report.file_name}: ошибок нет, ничего не записано (пробный прогон)"
    elif report.changed:
        title = f"Файл {report.file_name} загружен"
    else:
        title = f"Файл {report.file_name}: изменений нет, всё уже загружено"
    table = Table("Что", "Создано", "Изменено", "Без изменений", title=title)
    for key, label in ENTITIES:
        c = report.counts.get(key, {})
        table.add_row(
            label, str(c.get("created", 0)), str(c.get("updated", 0)), str(c.get("unchanged", 0))
        )
    console.print(table)
