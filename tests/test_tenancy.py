"""Every tenant-owned table carries the organization key (style.md §10)."""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps

from raschet.organizations.models import Organization

# Tables that are not owned by one tenant, each with the reason.
NOT_TENANT_OWNED = {
    "organizations.Organization": "it is the tenant itself",
    "organizations.HistoricalOrganization": "history of the tenant itself",
    "ledger.PurgeFlag": "a transaction-local switch of the guards, never holds tenant data",
    "debt.KeyRate": "the Bank of Russia's key rate: federal data, the same for everybody",
    "debt.SpecialPeriod": "moratoria and special rates set by federal acts",
}


def _raschet_models():
    for model in apps.get_models(include_auto_created=True):
        if model.__module__.startswith("raschet.") or model._meta.app_config.name.startswith(
            "raschet."
        ):
            yield model


def test_every_raschet_model_has_the_organization_key():
    missing = []
    checked = 0
    for model in _raschet_models():
        label = f"{model._meta.app_label}.{model.__name__}"
        if label in NOT_TENANT_OWNED or model._meta.auto_created:
            continue
        checked += 1
        try:
            field = model._meta.get_field("organization")
        except Exception:
            missing.append(label)
            continue
        # simple-history copies foreign keys as nullable, unconstrained columns by design
        is_history = hasattr(model, "history_id") or model.__name__.startswith("Historical")
        if field.related_model is not Organization or (field.null and not is_history):
            missing.append(f"{label} (organization is not a required key to Organization)")
    assert checked >= 10, "the walk found too few models: the test lost its subject"
    assert missing == [], f"models without the organization key: {missing}"


def test_the_allow_list_names_existing_models():
    labels = {f"{m._meta.app_label}.{m.__name__}" for m in _raschet_models()}
    assert set(NOT_TENANT_OWNED) <= labels


@pytest.mark.django_db
def test_a_row_cannot_link_to_another_organizations_row():
    from django.core.exceptions import ValidationError

    from raschet.housing.models import Premises
    from raschet.registry.models import Registration
    from tests.factories import AccountFactory, BuildingFactory, PersonFactory

    building = BuildingFactory()
    stranger = BuildingFactory()  # another organization
    flat = Premises(
        organization=stranger.organization,
        building=building,
        number="1",
        area_total_m2=Decimal("40"),
    )
    with pytest.raises(ValidationError) as exc:
        flat.full_clean()
    assert "building" in exc.value.message_dict
    flat.organization = building.organization
    flat.full_clean()

    account = AccountFactory()
    foreign_person = PersonFactory()  # its own organization
    registration = Registration(
        organization=account.organization,
        account=account,
        person=foreign_person,
        valid_from=date(2025, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        registration.full_clean()
    assert list(exc.value.message_dict) == ["person"]
