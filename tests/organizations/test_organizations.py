import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from raschet.organizations.models import Membership, OrganizationKind, Role
from raschet.organizations.selectors import organizations_for_user
from raschet.organizations.services import membership_grant, role_group_name
from raschet.organizations.validators import (
    validate_inn,
    validate_kpp,
    validate_ogrn,
    validate_snils,
)
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_valid_organization_passes_full_clean():
    OrganizationFactory().full_clean()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("inn", "7707083894", "ИНН 7707083894 неверен"),
        ("inn", "12345", "ИНН 12345 неверен"),
        ("kpp", "77070100", "КПП 77070100 неверен"),
        ("ogrn", "1027700132196", "ОГРН 1027700132196 неверен"),
        ("settlement_account", "40702810138000000001", "контрольного ключа"),
        ("correspondent_account", "30101810500000000225", "контрольного ключа"),
        ("bic", "04452522", "БИК 04452522 неверен"),
        ("color_primary", "red", "#RRGGBB"),
    ],
)
def test_bad_legal_details_are_named(field, value, message):
    org = OrganizationFactory.build(**{field: value})
    with pytest.raises(ValidationError) as exc:
        org.full_clean()
    assert field in exc.value.message_dict
    assert any(message in m for m in exc.value.message_dict[field])


def test_legal_entity_needs_kpp():
    org = OrganizationFactory.build(kpp="")
    with pytest.raises(ValidationError) as exc:
        org.full_clean()
    assert "kpp" in exc.value.message_dict


def test_billing_centre_cannot_be_served_by_another():
    centre = OrganizationFactory(kind=OrganizationKind.BILLING_CENTRE)
    other = OrganizationFactory.build(kind=OrganizationKind.BILLING_CENTRE, served_by=centre)
    with pytest.raises(ValidationError) as exc:
        other.full_clean()
    assert "served_by" in exc.value.message_dict


@pytest.mark.parametrize("good", ["112-233-445 95", "11223344595"])
def test_snils_checksum_accepts(good):
    validate_snils(good)


@pytest.mark.parametrize("bad", ["112-233-445 96", "1122334459", "abc"])
def test_snils_checksum_rejects(bad):
    with pytest.raises(ValidationError, match="СНИЛС"):
        validate_snils(bad)


def test_identifier_validators_from_rules_examples():
    # rules.md §8.2 self-checked examples
    validate_inn("7707083893")
    validate_inn("500100732259")
    validate_ogrn("1027700132195")
    validate_kpp("7707AB001")


def test_membership_grant_puts_user_in_role_group_and_makes_staff():
    org = OrganizationFactory()
    user = User.objects.create_user("op", password="x-secret-123")
    membership_grant(user=user, organization=org, role=Role.OPERATOR)
    user.refresh_from_db()
    assert user.is_staff
    assert user.groups.filter(name=role_group_name(Role.OPERATOR)).exists()
    assert user.has_perm("housing.change_building")
    assert not user.has_perm("housing.delete_building")
    # granting again adds nothing
    membership_grant(user=user, organization=org, role=Role.OPERATOR)
    assert Membership.objects.filter(user=user).count() == 1


def test_cashier_cannot_change_reference_data():
    org = OrganizationFactory()
    user = User.objects.create_user("cash", password="x-secret-123")
    membership_grant(user=user, organization=org, role=Role.CASHIER)
    user = User.objects.get(pk=user.pk)  # drop the permission cache
    assert user.has_perm("housing.view_account")
    assert not user.has_perm("housing.change_account")


def test_unknown_role_is_refused():
    org = OrganizationFactory()
    user = User.objects.create_user("x", password="x-secret-123")
    with pytest.raises(ValueError, match="неизвестная роль"):
        membership_grant(user=user, organization=org, role="janitor")


def test_billing_centre_staff_see_served_organizations_only():
    centre = OrganizationFactory(kind=OrganizationKind.BILLING_CENTRE)
    served = OrganizationFactory(served_by=centre)
    stranger = OrganizationFactory()
    own = OrganizationFactory()
    centre_user = User.objects.create_user("c", password="x-secret-123")
    membership_grant(user=centre_user, organization=centre, role=Role.OPERATOR)
    uk_user = User.objects.create_user("u", password="x-secret-123")
    membership_grant(user=uk_user, organization=own, role=Role.OPERATOR)

    assert set(organizations_for_user(centre_user)) == {centre, served}
    assert set(organizations_for_user(uk_user)) == {own}
    assert stranger not in organizations_for_user(centre_user)


def test_revoking_the_last_membership_of_a_role_drops_the_group():
    from raschet.organizations.services import membership_revoke

    first, second = OrganizationFactory(), OrganizationFactory()
    user = User.objects.create_user("twice", password="x-secret-123")
    one = membership_grant(user=user, organization=first, role=Role.OPERATOR)
    two = membership_grant(user=user, organization=second, role=Role.OPERATOR)
    membership_revoke(membership=one)
    assert user.groups.filter(name=role_group_name(Role.OPERATOR)).exists()
    membership_revoke(membership=two)
    assert not user.groups.filter(name=role_group_name(Role.OPERATOR)).exists()
    assert not User.objects.get(pk=user.pk).has_perm("housing.change_building")


def test_deleting_a_membership_in_the_admin_revokes_the_role(admin_client):
    from django.urls import reverse

    org = OrganizationFactory()
    user = User.objects.create_user("gone", password="x-secret-123")
    membership = membership_grant(user=user, organization=org, role=Role.CASHIER)
    url = reverse("admin:organizations_membership_delete", args=[membership.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not user.groups.filter(name=role_group_name(Role.CASHIER)).exists()
