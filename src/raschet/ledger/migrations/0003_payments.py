"""Payments in the ledger: the new kinds and columns, and the month-close balance snapshots.

On SQLite, altering a column rebuilds the table and the rebuild drops its triggers, so the
guards of 0002 are taken off first and put back at the end; the snapshots get the same
append-only guard.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

guards = importlib.import_module("raschet.ledger.migrations.0002_guards")

SNAPSHOT_PG = [
    """CREATE TRIGGER snapshot_append_only BEFORE UPDATE OR DELETE ON ledger_balancesnapshot
       FOR EACH ROW EXECUTE FUNCTION raschet_refuse_change();""",
]
SNAPSHOT_PG_DROP = ["DROP TRIGGER IF EXISTS snapshot_append_only ON ledger_balancesnapshot"]
SNAPSHOT_SQLITE = [
    """CREATE TRIGGER snapshot_no_update BEFORE UPDATE ON ledger_balancesnapshot
       BEGIN SELECT RAISE(ABORT, 'raschet: ledger_balancesnapshot is append-only: UPDATE refused');
       END;""",
    """CREATE TRIGGER snapshot_no_delete BEFORE DELETE ON ledger_balancesnapshot
       WHEN NOT EXISTS (SELECT 1 FROM ledger_purgeflag)
       BEGIN SELECT RAISE(ABORT, 'raschet: ledger_balancesnapshot is append-only: DELETE refused');
       END;""",
]
SNAPSHOT_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS snapshot_no_update",
    "DROP TRIGGER IF EXISTS snapshot_no_delete",
]


def _run(schema_editor, pg, sqlite):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in pg if vendor == "postgresql" else sqlite if vendor == "sqlite" else []:
        schema_editor.execute(sql, params=None)


def guards_off(apps, schema_editor):  # type: ignore[no-untyped-def]
    guards.backward(apps, schema_editor)


def guards_on(apps, schema_editor):  # type: ignore[no-untyped-def]
    guards.forward(apps, schema_editor)


def snapshot_guards_on(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, SNAPSHOT_PG, SNAPSHOT_SQLITE)


def snapshot_guards_off(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, SNAPSHOT_PG_DROP, SNAPSHOT_SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("housing", "0001_initial"),
        ("ledger", "0002_guards"),
        ("organizations", "0004_historicalorganization_billing_settings_and_more"),
        ("tariffs", "0002_no_overlaps"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(guards_off, guards_on, elidable=False),
        migrations.CreateModel(
            name="BalanceSnapshot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("period", models.DateField(verbose_name="month")),
                ("opening", models.BigIntegerField(verbose_name="opening balance")),
                ("charged", models.BigIntegerField(verbose_name="charged")),
                ("recalculated", models.BigIntegerField(verbose_name="recalculated")),
                ("reductions", models.BigIntegerField(verbose_name="reductions")),
                ("benefits", models.BigIntegerField(verbose_name="benefits")),
                ("paid", models.BigIntegerField(verbose_name="paid")),
                ("penalties", models.BigIntegerField(verbose_name="penalties")),
                ("other", models.BigIntegerField(verbose_name="write-offs and transfers")),
                ("closing", models.BigIntegerField(verbose_name="closing balance")),
            ],
            options={
                "verbose_name": "balance snapshot",
                "verbose_name_plural": "balance snapshots",
            },
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="debt_period",
            field=models.DateField(
                help_text="The payment-document month this payment or write-off settles",
                null=True,
                verbose_name="debt month",
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="note",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=300, verbose_name="note"
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="payment_id",
            field=models.BigIntegerField(null=True, verbose_name="payment"),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="penalty",
            field=models.BooleanField(db_default=False, default=False, verbose_name="penalty debt"),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="posted_by",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="posted by",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("charge", "Charge"),
                    ("recalculation", "Recalculation"),
                    ("reduction", "Reduction"),
                    ("benefit", "Benefit"),
                    ("penalty", "Penalty"),
                    ("payment", "Payment"),
                    ("reversal", "Payment reversal"),
                    ("write_off", "Write-off"),
                    ("transfer", "Transfer"),
                ],
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="line_id",
            field=models.BigIntegerField(null=True, verbose_name="charge line"),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="run_id",
            field=models.BigIntegerField(null=True, verbose_name="billing run"),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="service",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                help_text="Empty for an advance not yet assigned to a service",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tariffs.service",
                verbose_name="service",
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("payment_id__isnull", False)),
                fields=["payment_id"],
                name="ledger_payment",
            ),
        ),
        migrations.AddField(
            model_name="balancesnapshot",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="housing.account",
                verbose_name="account",
            ),
        ),
        migrations.AddField(
            model_name="balancesnapshot",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="organizations.organization",
                verbose_name="organization",
            ),
        ),
        migrations.AddField(
            model_name="balancesnapshot",
            name="payee",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="organizations.organization",
                verbose_name="payee",
            ),
        ),
        migrations.AddField(
            model_name="balancesnapshot",
            name="service",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tariffs.service",
                verbose_name="service",
            ),
        ),
        migrations.AddIndex(
            model_name="balancesnapshot",
            index=models.Index(fields=["organization", "period"], name="snapshot_org_period"),
        ),
        migrations.AddIndex(
            model_name="balancesnapshot",
            index=models.Index(fields=["account", "period"], name="snapshot_account_period"),
        ),
        migrations.RunPython(guards_on, guards_off, elidable=False),
        migrations.RunPython(snapshot_guards_on, snapshot_guards_off, elidable=False),
    ]
