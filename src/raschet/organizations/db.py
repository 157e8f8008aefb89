"""Database helpers shared by migrations: PostgreSQL-only constraints.

SQLite has no exclusion constraints; there the models' ``clean()`` and the importers check
overlaps. On PostgreSQL the database itself forbids them (style.md §2).
"""

from __future__ import annotations

from django.db import migrations


def exclusion_no_overlap(table: str, name: str, key_sql: list[str]) -> migrations.RunPython:
    """A migration operation adding ``EXCLUDE USING gist (key WITH =, period WITH &&)``."""
    keys = ", ".join(f"{k} WITH =" for k in key_sql)
    create = (
        f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
        f"({keys}, daterange(valid_from, valid_to, '[)') WITH &&)"
    )
    drop = f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"

    def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
            schema_editor.execute(create)

    def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop)

    return migrations.RunPython(forward, backward, elidable=False)
