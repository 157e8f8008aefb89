"""Appeals tests: a management company with a little stock (the back office's), a resident
linked to its account, an operator with the appeals and billing permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from raschet.organizations.models import Role
from tests.backoffice.conftest import make_organization, make_staff, make_stock
from tests.portal.conftest import resident

APPEAL_PERMS = [
    ("appeals", "view_appeal"),
    ("appeals", "change_appeal"),
    ("billing", "view_qualityact"),
    ("billing", "change_qualityact"),
]


@pytest.fixture
def stock(db):
    return make_stock(make_organization("uk-a", "7707083893"), "г. Тверь, ул. Ленина, д. 5", "A-1")


@pytest.fixture
def other_stock(db):
    return make_stock(
        make_organization("uk-b", "7736207543"), "г. Тверь, ул. Гагарина, д. 9", "B-1"
    )


@pytest.fixture
def tenant(stock):
    return resident("ivanova@example.ru", stock.account)


def operator_client(
    organization, perms=APPEAL_PERMS, name="operator-a", role=Role.OPERATOR
) -> Client:
    user = make_staff(name, organization, role)
    for app_label, codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(type(user).objects.get(pk=user.pk))
    return client


@pytest.fixture
def office(stock):
    return operator_client(stock.organization)
