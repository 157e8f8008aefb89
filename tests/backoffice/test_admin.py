"""The admin of reference data: every page opens, search, tenant scoping, role permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from raschet.core.bankkey import account_key
from raschet.housing.models import Building, Premises
from raschet.organizations.models import Membership, Organization
from raschet.registry.models import Person

from .admin_forms import form_data, form_errors

APPS = ("organizations", "housing", "registry", "tariffs")
REFERENCE_MODELS = sorted(
    (m._meta.app_label, m._meta.model_name)
    for m in admin.site._registry
    if m._meta.app_label in APPS
)


def test_every_reference_model_is_registered() -> None:
    names = {name for _app, name in REFERENCE_MODELS}
    expected = {
        "organization",
        "membership",
        "building",
        "premises",
        "account",
        "person",
        "ownership",
        "registration",
        "temporaryresidentact",
        "benefitcategory",
        "personbenefit",
        "service",
        "servicecontract",
        "tariff",
        "norm",
        "accountservice",
    }
    assert expected <= names


def _any_object(app_label: str, model_name: str, stock):
    model = admin.site._registry and next(
        m for m in admin.site._registry if m._meta.model_name == model_name
    )
    if model is Membership:
        return Membership.objects.first()
    return model._default_manager.filter(
        **({"pk": stock.organization.pk} if model is Organization else {})
    ).first()


@pytest.mark.parametrize(("app_label", "model_name"), REFERENCE_MODELS)
def test_admin_pages_open(client, superuser, stock_a, operator_a, app_label, model_name) -> None:
    client.force_login(superuser)
    obj = _any_object(app_label, model_name, stock_a)
    assert obj is not None, f"fixture has no {model_name}"
    base = f"admin:{app_label}_{model_name}"
    changelist = client.get(reverse(f"{base}_changelist"))
    assert changelist.status_code == 200
    assert str(obj.pk) in changelist.content.decode()  # the row links to its change page
    for name, args in (("change", [obj.pk]), ("history", [obj.pk]), ("add", [])):
        response = client.get(reverse(f"{base}_{name}", args=args))
        assert response.status_code == 200, (name, response.status_code)


def test_site_header_is_the_back_office(client, superuser) -> None:
    client.force_login(superuser)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert str(admin.site.site_header) in response.content.decode()
    assert reverse("backoffice:housing_import") in response.content.decode()


@pytest.mark.parametrize(
    ("url_name", "query", "found", "not_found"),
    [
        ("admin:housing_account_changelist", "A-1", "A-1", "B-1"),
        ("admin:housing_account_changelist", "Гагарина", "B-1", "A-1"),
        ("admin:housing_building_changelist", "Ленина", "Ленина", "Гагарина"),
        ("admin:registry_registration_changelist", "B-1", "B-1", "A-1"),
        ("admin:housing_premises_changelist", "Гагарина, д. 9 12", "Гагарина", "Ленина"),
    ],
)
def test_search(client, superuser, stock_a, stock_b, url_name, query, found, not_found) -> None:
    client.force_login(superuser)
    response = client.get(reverse(url_name), {"q": query})
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    text = " ".join(str(r) for r in rows) + " ".join(str(getattr(r, "account", "")) for r in rows)
    assert found in text
    assert not_found not in text


# --- tenant scoping ------------------------------------------------------------------------


def test_staff_of_a_lists_only_a(client, operator_a, stock_a, stock_b) -> None:
    client.force_login(operator_a)
    for url_name, a_obj, b_obj in (
        ("admin:housing_building_changelist", stock_a.building, stock_b.building),
        ("admin:housing_account_changelist", stock_a.account, stock_b.account),
        ("admin:registry_person_changelist", stock_a.person, stock_b.person),
        ("admin:tariffs_tariff_changelist", stock_a.tariff, stock_b.tariff),
    ):
        response = client.get(reverse(url_name))
        assert response.status_code == 200
        ids = {row.pk for row in response.context["cl"].result_list}
        assert a_obj.pk in ids
        assert b_obj.pk not in ids


def test_staff_of_a_cannot_open_objects_of_b(client, operator_a, stock_a, stock_b) -> None:
    client.force_login(operator_a)
    own = client.get(reverse("admin:housing_building_change", args=[stock_a.building.pk]))
    assert own.status_code == 200
    other = client.get(reverse("admin:housing_building_change", args=[stock_b.building.pk]))
    assert other.status_code == 302  # Django's "no such object" redirect to the index
    assert other.url == reverse("admin:index")
    history = client.get(reverse("admin:housing_building_history", args=[stock_b.building.pk]))
    assert history.status_code == 404
    record = stock_b.building.history.first()
    version = client.get(
        reverse(
            "admin:housing_building_simple_history",
            args=[stock_b.building.pk, record.history_id],
        )
    )
    assert version.status_code == 404


def test_staff_of_a_cannot_pick_objects_of_b(client, operator_a, stock_a, stock_b) -> None:
    client.force_login(operator_a)
    # Autocomplete of premises (the account form's widget) finds nothing of B.
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Гагарина",
            "app_label": "housing",
            "model_name": "account",
            "field_name": "premises",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"] == []
    # Posting B's building for a new flat is refused by the form.
    response = client.post(
        reverse("admin:housing_premises_add"),
        {
            "organization": stock_a.organization.pk,
            "building": stock_b.building.pk,
            "number": "99",
            "kind": "residential",
            "area_total_m2": "40",
            **_empty_inlines(),
        },
    )
    assert response.status_code == 200
    assert "building" in response.context["adminform"].form.errors
    assert not Premises.objects.filter(number="99").exists()
    # The organization choices are only A.
    page = client.get(reverse("admin:housing_building_add"))
    choices = page.context["adminform"].form.fields["organization"].queryset
    assert list(choices) == [stock_a.organization]


def _empty_inlines() -> dict[str, str]:
    data = {}
    for prefix in ("accounts", "ownerships"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def _building_post(building: Building, **changes: str) -> dict[str, str]:
    data = {
        "organization": str(building.organization_id),
        "address": building.address,
        "area_total_m2": str(building.area_total_m2),
        "area_residential_m2": "0",
        "area_non_residential_m2": "0",
        "area_common_m2": "0",
        "heating_mode": building.heating_mode,
        "heating_season_months": "7",
        "common_property_mode": building.common_property_mode,
        # the inline of the building's works (none)
        "works-TOTAL_FORMS": "0",
        "works-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_operator_changes_a_building_and_cashier_cannot(
    client, operator_a, cashier_a, stock_a
) -> None:
    url = reverse("admin:housing_building_change", args=[stock_a.building.pk])
    client.force_login(operator_a)
    response = client.post(url, _building_post(stock_a.building, floors="9"))
    assert response.status_code == 302, response.context and response.context["errors"]
    stock_a.building.refresh_from_db()
    assert stock_a.building.floors == 9

    client.force_login(cashier_a)
    assert client.get(url).status_code == 200  # may look
    response = client.post(url, _building_post(stock_a.building, floors="12"))
    assert response.status_code == 403
    stock_a.building.refresh_from_db()
    assert stock_a.building.floors == 9
    assert client.get(reverse("admin:housing_building_add")).status_code == 403


def test_inline_rows_take_the_parent_organization(client, operator_a, stock_a) -> None:
    """A registration added in the account's inline gets the account's organization."""
    client.force_login(operator_a)
    account = stock_a.account
    newcomer = Person.objects.create(
        organization=stock_a.organization, last_name="Петров", first_name="Пётр"
    )
    url = reverse("admin:housing_account_change", args=[account.pk])
    page = client.get(url)
    data = form_data(page)
    data.update(
        {
            "registrations-TOTAL_FORMS": str(int(data["registrations-TOTAL_FORMS"]) + 1),
            f"registrations-{data['registrations-TOTAL_FORMS']}-person": str(newcomer.pk),
            f"registrations-{data['registrations-TOTAL_FORMS']}-kind": "permanent",
            f"registrations-{data['registrations-TOTAL_FORMS']}-relation": "spouse",
            f"registrations-{data['registrations-TOTAL_FORMS']}-valid_from": "2024-03-01",
            f"registrations-{data['registrations-TOTAL_FORMS']}-account": str(account.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    registration = newcomer.registrations.get()
    assert registration.organization_id == stock_a.organization.pk
    assert registration.history.first().history_user == operator_a


# --- organization validation -------------------------------------------------------------


def _organization_post(**changes: str) -> dict[str, str]:
    data = {
        "code": "uk-new",
        "kind": "management_company",
        "name": "ООО «Новая»",
        "inn": "7702070139",
        "kpp": "770201001",
        "color_primary": "#1f5f99",
        "color_accent": "#f0a020",
        "reading_cutoff_day": "25",
    }
    data.update(changes)
    return data


def test_organization_form_shows_inn_error(client, superuser) -> None:
    client.force_login(superuser)
    response = client.post(
        reverse("admin:organizations_organization_add"), _organization_post(inn="7702070138")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "ИНН 7702070138 неверен" in " ".join(errors["inn"])
    assert not Organization.objects.filter(code="uk-new").exists()


def test_organization_form_runs_clean_for_bank_key(client, superuser) -> None:
    client.force_login(superuser)
    bic = "044525225"
    good = "40702810" + "0" + "38000000001"
    good = good[:8] + str(account_key(bic, good)) + good[9:]
    bad = good[:8] + str((int(good[8]) + 1) % 10) + good[9:]
    url = reverse("admin:organizations_organization_add")
    response = client.post(url, _organization_post(bic=bic, settlement_account=bad))
    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.errors["settlement_account"])
    assert "контрольного ключа" in message
    response = client.post(url, _organization_post(bic=bic, settlement_account=good))
    assert response.status_code == 302
    created = Organization.objects.get(code="uk-new")
    assert created.history.first().history_user == superuser


def test_membership_added_in_admin_grants_the_role_group(client, superuser, stock_a) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="newbie", password="pw-for-tests")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:organizations_membership_add"),
        {"user": user.pk, "organization": stock_a.organization.pk, "role": "operator"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff
    assert user.has_perm("housing.change_building")
    assert Membership.objects.filter(user=user, role="operator").count() == 1


def test_area_check_of_the_model_shows_on_the_form(client, operator_a, stock_a) -> None:
    """Model.clean() runs in the admin form: residential area above the total is refused."""
    client.force_login(operator_a)
    url = reverse("admin:housing_building_change", args=[stock_a.building.pk])
    response = client.post(url, _building_post(stock_a.building, area_residential_m2="6000"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    stock_a.building.refresh_from_db()
    assert stock_a.building.area_residential_m2 == Decimal(0)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:housing_account_changelist",
        "admin:housing_premises_changelist",
        "admin:registry_registration_changelist",
        "admin:registry_ownership_changelist",
        "admin:tariffs_accountservice_changelist",
        "admin:tariffs_servicecontract_changelist",
    ],
)
def test_changelist_queries_do_not_grow_with_rows(client, operator_a, stock_a, url_name) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import make_stock

    client.force_login(operator_a)
    client.get(reverse(url_name))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse(url_name)).status_code == 200
    for i in range(3):
        make_stock(stock_a.organization, f"г. Тверь, ул. Мира, д. {i + 1}", f"M-{i}")
    with CaptureQueriesContext(connection) as four:
        response = client.get(reverse(url_name))
    assert len(response.context["cl"].result_list) >= 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_a_user_seeing_both_cannot_link_across_organizations(
    client, superuser, stock_a, stock_b
) -> None:
    client.force_login(superuser)
    response = client.post(
        reverse("admin:housing_premises_add"),
        {
            "organization": stock_a.organization.pk,
            "building": stock_b.building.pk,
            "number": "98",
            "kind": "residential",
            "area_total_m2": "40",
            **_empty_inlines(),
        },
    )
    assert response.status_code == 200
    assert "building" in response.context["adminform"].form.errors
    assert not Premises.objects.filter(number="98").exists()
