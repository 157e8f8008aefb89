from django.db import migrations

from raschet.organizations.db import exclusion_no_overlap


class Migration(migrations.Migration):
    dependencies = [("tariffs", "0001_initial")]

    operations = [
        exclusion_no_overlap("tariffs_tariff", "tariff_no_overlap",
                             ["service_id", "COALESCE(building_id, 0)", "zone"]),
        exclusion_no_overlap(
            "tariffs_norm", "norm_no_overlap",
            ["service_id", "COALESCE(building_id, 0)", "basis", "COALESCE(rooms, 0)",
             "COALESCE(residents, 0)"],
        ),
        exclusion_no_overlap("tariffs_servicecontract", "service_contract_no_overlap",
                             ["building_id", "service_id"]),
        exclusion_no_overlap("tariffs_accountservice", "account_service_no_overlap",
                             ["account_id", "service_id"]),
    ]
