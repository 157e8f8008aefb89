"""Database guards for charge lines (billing issue, point 4).

- a line cannot be written into a closed month of its organization;
- lines of a posted run are never updated or deleted (lines of an unposted run may be
  discarded with their run).
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
    CREATE OR REPLACE FUNCTION raschet_refuse_posted_line_change() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM billing_billingrun r
                   WHERE r.id = OLD.run_id AND r.state = 'posted')
           AND NOT (TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM ledger_purgeflag)) THEN
            RAISE EXCEPTION 'raschet: lines of posted run % cannot change', OLD.run_id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN COALESCE(NEW, OLD);
    END $$ LANGUAGE plpgsql;
    """,
    # One check per statement over the inserted rows (a COPY of millions of rows pays it once).
    """CREATE TRIGGER charge_line_closed_month AFTER INSERT ON billing_chargeline
       REFERENCING NEW TABLE AS inserted
       FOR EACH STATEMENT EXECUTE FUNCTION raschet_refuse_closed_month_rows();""",
    """CREATE TRIGGER charge_line_posted BEFORE UPDATE OR DELETE ON billing_chargeline
       FOR EACH ROW EXECUTE FUNCTION raschet_refuse_posted_line_change();""",
    """
    CREATE OR REPLACE FUNCTION raschet_refuse_unpost() RETURNS trigger AS $$
    BEGIN
        IF OLD.state = 'posted' AND (TG_OP = 'DELETE' OR NEW.state <> 'posted')
           AND NOT (TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM ledger_purgeflag)) THEN
            RAISE EXCEPTION 'raschet: posted run % cannot be changed back', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN COALESCE(NEW, OLD);
    END $$ LANGUAGE plpgsql;
    """,
    """CREATE TRIGGER billing_run_posted BEFORE UPDATE OR DELETE ON billing_billingrun
       FOR EACH ROW EXECUTE FUNCTION raschet_refuse_unpost();""",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS charge_line_closed_month ON billing_chargeline",
    "DROP TRIGGER IF EXISTS charge_line_posted ON billing_chargeline",
    "DROP TRIGGER IF EXISTS billing_run_posted ON billing_billingrun",
]
SQLITE = [
    """CREATE TRIGGER charge_line_closed_month BEFORE INSERT ON billing_chargeline
       WHEN EXISTS (SELECT 1 FROM organizations_closedmonth c
                    WHERE c.organization_id = NEW.organization_id AND c.month = NEW.period)
       BEGIN SELECT RAISE(ABORT, 'raschet: the month is closed'); END;""",
    """CREATE TRIGGER charge_line_posted_update BEFORE UPDATE ON billing_chargeline
       WHEN EXISTS (SELECT 1 FROM billing_billingrun r WHERE r.id = OLD.run_id
                    AND r.state = 'posted')
       BEGIN SELECT RAISE(ABORT, 'raschet: lines of a posted run cannot change'); END;""",
    """CREATE TRIGGER charge_line_posted_delete BEFORE DELETE ON billing_chargeline
       WHEN EXISTS (SELECT 1 FROM billing_billingrun r WHERE r.id = OLD.run_id
                    AND r.state = 'posted')
            AND NOT EXISTS (SELECT 1 FROM ledger_purgeflag)
       BEGIN SELECT RAISE(ABORT, 'raschet: lines of a posted run cannot change'); END;""",
    """CREATE TRIGGER billing_run_unpost BEFORE UPDATE ON billing_billingrun
       WHEN OLD.state = 'posted' AND NEW.state <> 'posted'
       BEGIN SELECT RAISE(ABORT, 'raschet: a posted run cannot be changed back'); END;""",
    """CREATE TRIGGER billing_run_posted_delete BEFORE DELETE ON billing_billingrun
       WHEN OLD.state = 'posted' AND NOT EXISTS (SELECT 1 FROM ledger_purgeflag)
       BEGIN SELECT RAISE(ABORT, 'raschet: a posted run cannot be deleted'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS charge_line_closed_month",
    "DROP TRIGGER IF EXISTS charge_line_posted_update",
    "DROP TRIGGER IF EXISTS charge_line_posted_delete",
    "DROP TRIGGER IF EXISTS billing_run_unpost",
    "DROP TRIGGER IF EXISTS billing_run_posted_delete",
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
        ("billing", "0001_initial"),
        ("ledger", "0002_guards"),
    ]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
