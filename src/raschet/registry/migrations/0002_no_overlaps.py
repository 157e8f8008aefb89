from django.db import migrations

from raschet.organizations.db import exclusion_no_overlap


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        exclusion_no_overlap("registry_registration", "registration_no_overlap",
                             ["account_id", "person_id"]),
        exclusion_no_overlap("registry_ownership", "ownership_no_overlap",
                             ["premises_id", "person_id"]),
    ]
