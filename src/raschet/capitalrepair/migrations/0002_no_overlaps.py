from django.db import migrations

from raschet.organizations.db import exclusion_no_overlap


class Migration(migrations.Migration):
    dependencies = [("capitalrepair", "0001_initial")]

    operations = [
        exclusion_no_overlap(
            "capitalrepair_capitalrepairfund", "capital_repair_fund_no_overlap", ["building_id"]
        ),
    ]
