"""The roles carry the billing permissions the back office checks."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from raschet.organizations.models import Role
from raschet.organizations.services import membership_grant, roles_sync
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            Role.OPERATOR,
            ["billing.add_billingrun", "billing.change_billingrun"],
            ["organizations.add_closedmonth"],
        ),
        (
            Role.ACCOUNTANT,
            ["organizations.add_closedmonth", "billing.add_billingrun"],
            ["organizations.add_organization"],
        ),
        (
            Role.CASHIER,
            ["billing.view_chargeline", "ledger.view_ledgerentry"],
            ["billing.add_billingrun", "billing.view_billingrun"],
        ),
        (Role.PASSPORT_OFFICER, [], ["billing.view_billingrun", "billing.view_chargeline"]),
    ],
)
def test_role_billing_permissions(role, allowed, refused):
    roles_sync()
    user = get_user_model().objects.create_user(username=f"u-{role}", password="x")
    membership_grant(user=user, organization=OrganizationFactory(), role=role)
    user = get_user_model().objects.get(pk=user.pk)  # fresh permission cache
    for perm in allowed:
        assert user.has_perm(perm), perm
    for perm in refused:
        assert not user.has_perm(perm), perm
