"""What ``raschet scenario run|check FILE`` call (the argument parsing lives in `raschet.cli`).

The commands work on a scratch SQLite database: `raschet.cli` sets ``DATABASE_URL`` to
`scratch_database_url()` before ``django.setup()`` and calls `migrate_quietly()` after it, so
a scenario never touches the operator's data.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path


def scratch_database_url() -> str:
    """A ``sqlite:///`` URL of a new empty temporary file, removed when the process exits."""
    fd, name = tempfile.mkstemp(prefix="raschet-scenario-", suffix=".sqlite3")
    os.close(fd)

    def _remove() -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(name + suffix).unlink()

    atexit.register(_remove)
    return f"sqlite:///{Path(name).as_posix()}"


def migrate_quietly() -> None:
    """Create the tables of the scratch database without output."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def main_run(path: str) -> int:
    """Print the computed lines as a JSON list; 2 when the file is bad."""
    from raschet.scenarios.runner import scenario_run
    from raschet.scenarios.yamlnodes import ScenarioError

    try:
        lines = scenario_run(path)
    except ScenarioError as exc:
        print(f"Ошибка в сценарии: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(lines, ensure_ascii=False, indent=2, default=str))
    return 0


def main_check(path: str) -> int:
    """Print the comparison report; 0 when every expected line matches, 1 if not, 2 when
    the file is bad."""
    from raschet.scenarios.runner import scenario_check
    from raschet.scenarios.yamlnodes import ScenarioError

    try:
        ok, report = scenario_check(path)
    except ScenarioError as exc:
        print(f"Ошибка в сценарии: {exc}")
        return 2
    print(report)
    return 0 if ok else 1
