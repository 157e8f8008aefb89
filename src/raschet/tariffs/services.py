"""Writes for the service catalogue, tariffs and norms."""

from __future__ import annotations

from django.db import transaction

from raschet.organizations.models import Organization
from raschet.tariffs.catalogue import CATALOGUE
from raschet.tariffs.models import Service


@transaction.atomic
def services_install_catalogue(*, organization: Organization) -> list[Service]:
    """Give ``organization`` the standard services it does not have yet; return all of them."""
    existing = set(Service.objects.filter(organization=organization).values_list("code", flat=True))
    new = [
        Service(
            organization=organization,
            code=e.code,
            name=e.name,
            kind=e.kind,
            unit=e.unit,
            basis=e.basis,
            resource=e.resource,
            metered=e.metered,
            max_zones=e.max_zones,
            sort_order=e.sort_order or (i + 1) * 10,
        )
        for i, e in enumerate(CATALOGUE)
        if e.code not in existing
    ]
    Service.objects.bulk_create(new)
    return list(Service.objects.filter(organization=organization))
