"""The key-rate table and special periods shipped with Raschet (rules.md §3.3, §3.4), read
from `raschet/core/data/*.csv` as they were when this migration was written; later changes
are made by an administrator or `raschet penalty rates-load`."""

import csv
from datetime import date
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parents[2] / "core" / "data"


def _hundredths(text: str) -> int:
    whole, _, part = text.strip().partition(".")
    return int(whole) * 100 + int((part + "00")[:2])


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    KeyRate = apps.get_model("debt", "KeyRate")
    SpecialPeriod = apps.get_model("debt", "SpecialPeriod")
    with (DATA / "key_rates.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            KeyRate.objects.get_or_create(
                effective_from=date.fromisoformat(row["effective_from"]),
                defaults={"rate_hundredths": _hundredths(row["rate_percent"])},
            )
    with (DATA / "special_periods.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            SpecialPeriod.objects.get_or_create(
                start=date.fromisoformat(row["start"]),
                end=date.fromisoformat(row["end"]),
                kind=row["kind"],
                defaults={
                    "rate_hundredths": _hundredths(row["rate_percent"])
                    if row["rate_percent"]
                    else None,
                    "debts_due_before": date.fromisoformat(row["debts_due_before"])
                    if row["debts_due_before"]
                    else None,
                    "act": row["act"],
                },
            )


class Migration(migrations.Migration):
    dependencies = [("debt", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
