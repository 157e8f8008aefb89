from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from raschet.registry.models import Registration, RegistrationKind
from raschet.registry.selectors import owner_count, resident_count, resident_counts
from tests.factories import (
    AccountFactory,
    OwnershipFactory,
    PersonFactory,
    RegistrationFactory,
    TemporaryResidentActFactory,
)

pytestmark = pytest.mark.django_db


def test_resident_count_on_dates_is_half_open():
    account = AccountFactory()
    RegistrationFactory(account=account, valid_from=date(2020, 1, 1))
    RegistrationFactory(
        account=account,
        valid_from=date(2025, 3, 10),
        valid_to=date(2025, 6, 1),
        kind=RegistrationKind.TEMPORARY,
    )
    TemporaryResidentActFactory(
        account=account, persons=2, valid_from=date(2025, 5, 1), valid_to=date(2025, 5, 20)
    )

    assert resident_count(account, date(2019, 12, 31)) == 0
    assert resident_count(account, date(2025, 3, 9)) == 1
    assert resident_count(account, date(2025, 3, 10)) == 2  # the start day counts
    assert resident_count(account, date(2025, 5, 19)) == 4  # plus two by the act
    assert resident_count(account, date(2025, 5, 20)) == 2  # the act's end day does not
    assert resident_count(account, date(2025, 6, 1)) == 1


def test_resident_counts_in_bulk_match_one_by_one():
    first = AccountFactory()
    accounts = [first] + [
        AccountFactory(premises__building=first.premises.building) for _ in range(2)
    ]
    for i, account in enumerate(accounts):
        for _ in range(i):
            RegistrationFactory(account=account)
    on = date(2025, 1, 1)
    bulk = resident_counts(organization_id=first.organization_id, on=on)
    for i, account in enumerate(accounts):
        assert bulk.get(account.pk, 0) == i == resident_count(account, on)


def test_other_organization_is_not_counted():
    account = AccountFactory()
    RegistrationFactory(account=account)
    assert resident_counts(organization_id=account.organization_id + 999, on=date(2025, 1, 1)) == {}


def test_owner_count_when_nobody_lives_there():
    account = AccountFactory()
    OwnershipFactory(premises=account.premises, share_numerator=1, share_denominator=2)
    OwnershipFactory(
        premises=account.premises, share_numerator=1, share_denominator=2, valid_to=date(2024, 1, 1)
    )
    assert resident_count(account, date(2025, 1, 1)) == 0
    assert owner_count(account, date(2023, 6, 1)) == 2
    assert owner_count(account, date(2025, 1, 1)) == 1


def test_temporary_registration_needs_an_end():
    reg = RegistrationFactory.build(
        account=AccountFactory(), kind=RegistrationKind.TEMPORARY, valid_to=None
    )
    reg.person = PersonFactory(organization=reg.account.organization)
    reg.organization = reg.account.organization
    with pytest.raises(ValidationError) as exc:
        reg.full_clean()
    assert "valid_to" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        reg.save()


def test_overlapping_registration_of_the_same_person_is_refused():
    first = RegistrationFactory(valid_from=date(2020, 1, 1), valid_to=date(2025, 1, 1))
    clash = Registration(
        organization=first.organization,
        account=first.account,
        person=first.person,
        valid_from=date(2024, 6, 1),
    )
    with pytest.raises(ValidationError, match=r"Overlaps|Пересекается"):
        clash.full_clean()
    # back to back is fine: the ranges are half-open
    Registration(
        organization=first.organization,
        account=first.account,
        person=first.person,
        valid_from=date(2025, 1, 1),
    ).full_clean()


def test_database_forbids_overlap_on_postgres(on_postgres):
    if not on_postgres:
        pytest.skip("exclusion constraints exist on PostgreSQL only; SQLite relies on clean()")
    first = RegistrationFactory(valid_from=date(2020, 1, 1), valid_to=date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            organization=first.organization,
            account=first.account,
            person=first.person,
            valid_from=date(2024, 6, 1),
        )
