"""Monthly penalties from the ledger's history, posted as a difference (recompute-and-diff)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum

from raschet.debt.penalties import PenaltyError, penalties_post
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.organizations.models import ClosedMonth
from raschet.payments.services import payment_create, payment_reverse

pytestmark = pytest.mark.django_db

MAY = date(2025, 5, 1)
JUNE = date(2025, 6, 1)


def penalties(books, service=None):
    entries = LedgerEntry.objects.filter(organization=books.org, kind=EntryKind.PENALTY)
    if service is not None:
        entries = entries.filter(service=service)
    return entries.aggregate(t=Sum("amount_kopecks"))["t"] or 0


def pay(books, kopecks, day, op):
    payment, _ = payment_create(
        organization=books.org, source=books.bank, account=books.account,
        amount_kopecks=kopecks, paid_on=day, operation_id=op, today=date(2025, 12, 31),
    )  # fmt: skip
    return payment


def test_penalties_of_a_month_by_hand(books):
    # January (1 000 + 3 000, due 10.02.2025) paid 20.05.2025: like rules.md P1 at 9.5 %;
    # February (due 10.03.2025) unpaid on 31.05.2025: days 31…82 at 1/300.
    pay(books, 4000_00, date(2025, 5, 20), "p1")
    result = penalties_post(organization=books.org, period=MAY)
    assert penalties(books, books.water) == 25_58 + 16_47
    assert penalties(books, books.heat) == 76_73 + 49_40
    assert result.total_kopecks == 168_18
    entry = LedgerEntry.objects.filter(kind=EntryKind.PENALTY).first()
    assert entry.penalty and entry.period == MAY and entry.payee_id is not None


def test_a_second_run_adds_nothing_and_the_next_month_adds_the_difference(books):
    penalties_post(organization=books.org, period=MAY)
    may = penalties(books)
    again = penalties_post(organization=books.org, period=MAY)
    assert again.entries == 0 and penalties(books) == may
    penalties_post(organization=books.org, period=JUNE)
    assert penalties(books) > may
    assert LedgerEntry.objects.filter(kind=EntryKind.PENALTY, period=JUNE).exists()


def test_a_reversed_payment_counts_as_never_made(books):
    penalties_post(organization=books.org, period=MAY)
    unpaid = penalties(books)
    payment = pay(books, 4000_00, date(2025, 4, 1), "early")
    payment_reverse(payment=payment, reason="не тот счёт")
    assert penalties_post(organization=books.org, period=MAY).entries == 0
    assert penalties(books) == unpaid


def test_payments_in_time_leave_no_penalty(books):
    pay(books, 8000_00, date(2025, 2, 5), "in-time")
    assert penalties_post(organization=books.org, period=MAY).total_kopecks == 0
    assert penalties(books) == 0


def test_capital_repair_accrues_from_the_first_day(books):
    from tests.factories import ServiceFactory

    fund = ServiceFactory(organization=books.org, code="capital_repair", name="Взнос на капремонт")
    books.charge(books.account, fund, date(2025, 4, 1), 1000_00)  # due 10.05.2025
    penalties_post(organization=books.org, period=MAY)
    # days 11.05…31.05 = 21 days at 1/300 of 9.5 %: 1000 × 0.095 × 21 / 300 = 6.65
    assert penalties(books, fund) == 6_65


def test_capital_repair_regional_due_day_moves_only_the_contribution(books):
    """Красноярский край: the contribution is due the 20th of the next month (rules.md §2.2),
    the ЖКУ keep the 10th; the statement of the account shows the same due date."""
    from raschet.debt import penalties as run
    from raschet.debt.claim import account_penalty
    from tests.factories import ServiceFactory

    fund = ServiceFactory(organization=books.org, code="capital_repair", name="Взнос на капремонт")
    books.charge(books.account, fund, date(2025, 4, 1), 1000_00)

    def by_service():
        got = run.compute_penalties(books.org, date(2025, 5, 31))
        return {
            s: int(got["penalty"][got["service"] == s].sum())
            for s in (fund.pk, books.water.pk, books.heat.pk)
        }

    without = by_service()
    assert without[fund.pk] == 6_65  # due 10.05.2025 like the ЖКУ
    books.org.billing_settings = {**books.org.billing_settings, "capital_repair_due_day": 20}
    books.org.save()
    penalties_post(organization=books.org, period=MAY)
    # due 20.05.2025: days 21.05…31.05 = 11 days at 1/300 of 9.5 %:
    # 1000 × 0.095 × 11 / 300 = 3.483… → 3.48
    assert penalties(books, fund) == 3_48
    # the ЖКУ keep their due date
    assert penalties(books, books.water) == without[books.water.pk] > 0
    assert penalties(books, books.heat) == without[books.heat.pk] > 0
    statement = account_penalty(account=books.account, until=date(2025, 5, 31))
    (april,) = [t for t in statement.tranches if t.month == date(2025, 4, 1)]
    assert april.due == date(2025, 5, 20) and april.calculation.penalty_kopecks == 3_48


@pytest.mark.parametrize("bad", [0, 32, "двадцатое", 20.5, True])
def test_a_bad_capital_repair_due_day_is_refused_by_name(books, bad):
    from tests.factories import ServiceFactory

    books.org.billing_settings = {"capital_repair_due_day": bad}
    books.org.save()
    fund = ServiceFactory(organization=books.org, code="capital_repair", name="Взнос на капремонт")
    books.charge(books.account, fund, date(2025, 4, 1), 1000_00)
    with pytest.raises(PenaltyError, match="capital_repair_due_day"):
        penalties_post(organization=books.org, period=MAY)


def test_a_closed_month_is_refused(books):
    ClosedMonth.objects.create(organization=books.org, month=MAY)
    with pytest.raises(PenaltyError, match="закрыт"):
        penalties_post(organization=books.org, period=MAY)


def test_compound_keys_are_equal_exactly_when_all_columns_are():
    import numpy as np
    from hypothesis import given
    from hypothesis import strategies as st

    from raschet.debt.penalties import compound_keys

    rows = st.lists(st.tuples(*(st.integers(-3, 2**40) for _ in range(3))), max_size=40)

    @given(rows, rows)
    def check(a, b):
        cols = [
            [np.asarray([r[c] for r in part], dtype=np.int64) for c in range(3)] for part in (a, b)
        ]
        ka, kb = compound_keys(*cols)
        for i, ra in enumerate(a):
            for j, rb in enumerate(b):
                assert (ka[i] == kb[j]) == (ra == rb)

    check()


@pytest.mark.skipif(
    "postgresql" not in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="the read-ahead on other connections runs on PostgreSQL only",
)
@pytest.mark.django_db(transaction=True)
def test_history_read_ahead_gives_the_same_penalties(books, monkeypatch):
    from raschet.debt import penalties as run
    from tests.factories import AccountFactory, PremisesFactory

    others = [
        AccountFactory(
            premises=PremisesFactory(building=books.account.premises.building),
            number=f"20000{k}",
        )
        for k in range(3)
    ]
    for account in others:
        books.charge(account, books.water, date(2025, 1, 1), 1000_00)
    in_line = sum(
        int(run.compute_penalties(books.org, date(2025, 5, 31))["penalty"].sum()) for _ in [0]
    )
    monkeypatch.setattr(run, "CHUNK_ACCOUNTS", 1)  # one account a range: read ahead
    result = penalties_post(organization=books.org, period=MAY)
    assert result.total_kopecks == in_line == penalties(books) > 0


def test_the_account_statement_agrees_with_the_posted_penalties_and_prints(books):
    from io import BytesIO

    from pypdf import PdfReader

    from raschet.debt.claim import account_penalty, account_penalty_pdf

    pay(books, 4000_00, date(2025, 5, 20), "p1")
    penalties_post(organization=books.org, period=MAY)
    statement = account_penalty(account=books.account, until=date(2025, 5, 31))
    assert statement.total_kopecks == penalties(books) == 168_18
    january = [t for t in statement.tranches if t.month == date(2025, 1, 1)]
    assert {t.calculation.penalty_kopecks for t in january} == {25_58, 76_73}
    segments = january[0].calculation.segments
    assert [s.days for s in segments if s.fraction.endswith("300")] == [60]
    text = "".join(
        p.extract_text() for p in PdfReader(BytesIO(account_penalty_pdf(statement))).pages
    )
    assert "Расчёт пени" in text and "168,18" in text.replace("\u00a0", " ")
