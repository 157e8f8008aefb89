"""Who counts as a resident for norms and per-person charges (rules.md §1.3, ПП 354 п.56(1),
п.56(2)): permanent and temporary registrations, persons established by an act, the owners
when nobody lives there — on both snapshot paths."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from raschet.billing.models import ChargeLine
from raschet.billing.services import billing_run
from raschet.billing.snapshot import load_batch
from raschet.core.periods import Month
from tests.factories import (
    AccountFactory,
    AccountServiceFactory,
    NormFactory,
    OwnershipFactory,
    RegistrationFactory,
    ServiceFactory,
    TariffFactory,
    TemporaryResidentActFactory,
)

pytestmark = pytest.mark.django_db

JAN = date(2025, 1, 1)


@pytest.fixture
def water():
    first = AccountFactory()
    org = first.organization
    service = ServiceFactory(organization=org)
    TariffFactory(service=service, rate=Decimal("50.93"))
    NormFactory(service=service, value=Decimal("4.9"))
    return first, service


def _connect(account, service):
    AccountServiceFactory(account=account, service=service, method="norm", meter_possible=False)


def test_temporary_registrations_and_an_act_count_ended_ones_do_not(water):
    account, service = water
    _connect(account, service)
    RegistrationFactory(account=account)  # permanent, since 2020
    RegistrationFactory(
        account=account, kind="temporary", valid_from=date(2024, 12, 1), valid_to=date(2025, 6, 1)
    )
    RegistrationFactory(account=account, valid_to=date(2024, 12, 1))  # left before January
    TemporaryResidentActFactory(account=account, persons=2, valid_from=JAN)
    OwnershipFactory(premises=account.premises)  # not counted: somebody lives there
    run = billing_run(organization=account.organization, period=JAN)
    line = ChargeLine.objects.get(run_id=run.pk, account_id=account.pk)
    # 1 permanent + 1 temporary + 2 by the act = 4 persons × 4.9 m³ = 19.6 m³ × 50.93
    # = 998.228 → 998.23
    assert line.persons == 4
    assert line.amount == 99823


def test_an_act_alone_counts_instead_of_the_owners(water):
    account, service = water
    _connect(account, service)
    OwnershipFactory(premises=account.premises)
    OwnershipFactory(premises=account.premises)
    OwnershipFactory(premises=account.premises)
    TemporaryResidentActFactory(account=account, persons=1, valid_from=JAN)
    run = billing_run(organization=account.organization, period=JAN)
    line = ChargeLine.objects.get(run_id=run.pk, account_id=account.pk)
    # nobody registered but one person established by the act: 1, not the 3 owners;
    # 4.9 m³ × 50.93 = 249.557 → 249.56
    assert (line.persons, line.amount) == (1, 24956)


def test_both_snapshot_paths_count_the_same_persons(water):
    account, service = water
    _connect(account, service)
    RegistrationFactory(
        account=account, kind="temporary", valid_from=date(2024, 12, 1), valid_to=date(2025, 3, 1)
    )
    TemporaryResidentActFactory(account=account, persons=3, valid_from=JAN)
    nobody = AccountFactory(premises__building=account.premises.building)
    _connect(nobody, service)
    OwnershipFactory(premises=nobody.premises)
    OwnershipFactory(premises=nobody.premises)
    ids = [account.premises.building_id]
    month = Month.of(JAN)
    fast = load_batch(organization=account.organization, month=month, building_ids=ids)
    general = load_batch(
        organization=account.organization, month=month, building_ids=ids, fast=False
    )

    def persons(batch) -> dict[int, list[int]]:
        """The persons of each account's segments (segments belong to parts of lines)."""
        line_of_segment = batch.parts.line[batch.segments.part]
        return {
            int(acc): sorted(int(p) for p in batch.segments.persons[line_of_segment == k])
            for k, acc in enumerate(batch.lines.account)
        }

    assert persons(fast) == persons(general)
    assert sorted(max(v) for v in persons(general).values()) == [2, 4]
