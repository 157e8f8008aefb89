from django.db import migrations

from raschet.organizations.db import exclusion_no_overlap


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        exclusion_no_overlap(
            "payments_payeecommission", "payee_commission_no_overlap",
            ["organization_id", "payee_id"],
        ),
    ]
