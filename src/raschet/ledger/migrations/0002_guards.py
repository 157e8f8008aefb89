"""Database guards: the ledger is append-only and a closed month never changes.

Enforced in the database, not only in Python (billing issue, point 4):
- ``ledger_ledgerentry``: UPDATE and DELETE are refused; INSERT into a closed month of the
  organization is refused;
- ``organizations_closedmonth``: a closed month cannot be reopened (DELETE/UPDATE refused).
"""

from django.db import migrations

PG = [
    """
    CREATE OR REPLACE FUNCTION raschet_refuse_closed_month_rows() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM inserted i JOIN organizations_closedmonth c
                   ON c.organization_id = i.organization_id AND c.month = i.period) THEN
            RAISE EXCEPTION 'raschet: rows into a closed month of % refused', TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql;
    """,
    """
    CREATE OR REPLACE FUNCTION raschet_refuse_change() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM ledger_purgeflag) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'raschet: % is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END $$ LANGUAGE plpgsql;
    """,
    """CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger_ledgerentry
       FOR EACH ROW EXECUTE FUNCTION raschet_refuse_change();""",
    # One check per statement over the inserted rows (a COPY of millions of rows pays it once).
    """CREATE TRIGGER ledger_closed_month AFTER INSERT ON ledger_ledgerentry
       REFERENCING NEW TABLE AS inserted
       FOR EACH STATEMENT EXECUTE FUNCTION raschet_refuse_closed_month_rows();""",
    """CREATE TRIGGER closed_month_final BEFORE UPDATE OR DELETE ON organizations_closedmonth
       FOR EACH ROW EXECUTE FUNCTION raschet_refuse_change();""",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS ledger_append_only ON ledger_ledgerentry",
    "DROP TRIGGER IF EXISTS ledger_closed_month ON ledger_ledgerentry",
    "DROP TRIGGER IF EXISTS closed_month_final ON organizations_closedmonth",
]
SQLITE = [
    """CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'raschet: ledger_ledgerentry is append-only: UPDATE refused');
       END;""",
    """CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger_ledgerentry
       WHEN NOT EXISTS (SELECT 1 FROM ledger_purgeflag)
       BEGIN SELECT RAISE(ABORT, 'raschet: ledger_ledgerentry is append-only: DELETE refused');
       END;""",
    """CREATE TRIGGER ledger_closed_month BEFORE INSERT ON ledger_ledgerentry
       WHEN EXISTS (SELECT 1 FROM organizations_closedmonth c
                    WHERE c.organization_id = NEW.organization_id AND c.month = NEW.period)
       BEGIN SELECT RAISE(ABORT, 'raschet: the month is closed'); END;""",
    """CREATE TRIGGER closed_month_no_update BEFORE UPDATE ON organizations_closedmonth
       BEGIN SELECT RAISE(ABORT, 'raschet: a closed month cannot be reopened'); END;""",
    """CREATE TRIGGER closed_month_no_delete BEFORE DELETE ON organizations_closedmonth
       WHEN NOT EXISTS (SELECT 1 FROM ledger_purgeflag)
       BEGIN SELECT RAISE(ABORT, 'raschet: a closed month cannot be reopened'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ledger_no_update",
    "DROP TRIGGER IF EXISTS ledger_no_delete",
    "DROP TRIGGER IF EXISTS ledger_closed_month",
    "DROP TRIGGER IF EXISTS closed_month_no_update",
    "DROP TRIGGER IF EXISTS closed_month_no_delete",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in PG if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []:
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in PG_DROP if vendor == "postgresql" else SQLITE_DROP if vendor == "sqlite" else []:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
        ("organizations", "0004_historicalorganization_billing_settings_and_more"),
    ]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
