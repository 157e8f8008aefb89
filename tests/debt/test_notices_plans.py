"""Debtor notices by rules (e-mail through a real local SMTP server, PDF letters) and
instalment plans."""

from __future__ import annotations

from datetime import date
from email.header import decode_header, make_header

import pytest

from raschet.debt.models import (
    DebtorNotice,
    Dispute,
    InstalmentPlan,
    NoticeChannel,
    NoticeState,
    PlanState,
)
from raschet.debt.services import (
    DebtError,
    debtors,
    instalment_plan_create,
    instalment_plans_check,
    notices_send,
)
from raschet.payments.services import payment_create

pytestmark = pytest.mark.django_db

ON = date(2025, 6, 1)


def test_due_dates_follow_the_law():
    from raschet.debt.ageing import due_date

    assert due_date(date(2025, 1, 1)) == date(2025, 2, 10)
    assert due_date(date(2026, 2, 1)) == date(2026, 3, 10)
    assert due_date(date(2026, 3, 1)) == date(2026, 4, 15)


def test_debtors_are_found_with_their_oldest_unpaid_month(books):
    found = debtors(organization=books.org, on=ON)
    assert [(d.account_id, d.debt_kopecks, d.oldest_month) for d in found] == [
        (books.account.pk, 8000_00, date(2025, 1, 1))
    ]
    assert found[0].months_overdue == 4  # due 10.02.2025 → 01.06.2025: the 4th month began
    assert debtors(organization=books.org, on=date(2025, 2, 10)) == []  # not yet overdue


def test_an_email_notice_goes_through_smtp(books, smtp, django_capture_on_commit_callbacks):
    books.account.email = "payer@example.org"
    books.account.save()
    with django_capture_on_commit_callbacks(execute=True):
        report = notices_send(
            organization=books.org, on=ON, threshold_kopecks=1000_00, min_months=2
        )
    assert report.sent == 1 and report.letters == 0
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "payer@example.org"
    assert "100001" in str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode("utf-8")
    assert "8\u00a0000,00" in body
    notice = DebtorNotice.objects.get()
    assert (notice.channel, notice.state, notice.debt_kopecks) == (
        NoticeChannel.EMAIL, NoticeState.SENT, 8000_00,
    )  # fmt: skip
    # a second run inside the quiet period sends nothing
    again = notices_send(organization=books.org, on=ON, threshold_kopecks=0, min_months=0)
    assert again.skipped_recent == 1 and DebtorNotice.objects.count() == 1


def test_an_unreachable_mail_server_marks_the_notice_failed(
    books, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    books.account.email = "payer@example.org"
    books.account.save()
    with django_capture_on_commit_callbacks(execute=True):
        notices_send(organization=books.org, on=ON, threshold_kopecks=0, min_months=0)
    notice = DebtorNotice.objects.get()
    assert notice.state == NoticeState.FAILED and notice.error


def test_without_email_a_pdf_letter_is_prepared(books):
    from io import BytesIO

    from pypdf import PdfReader

    report = notices_send(organization=books.org, on=ON, threshold_kopecks=0, min_months=0)
    assert report.letters == 1
    notice = DebtorNotice.objects.get()
    assert notice.channel == NoticeChannel.LETTER
    text = PdfReader(BytesIO(bytes(notice.pdf))).pages[0].extract_text()
    assert "Уведомление о задолженности" in text and "100001" in text


def test_thresholds_plans_and_disputes_hold_notices_back(books):
    assert (
        notices_send(organization=books.org, on=ON, threshold_kopecks=9000_00, min_months=0).letters
        == 0
    )
    assert (
        notices_send(organization=books.org, on=ON, threshold_kopecks=0, min_months=5).letters == 0
    )
    dispute = Dispute.objects.create(
        organization=books.org, account=books.account, opened_on=date(2025, 5, 1), subject="спор"
    )
    assert (
        notices_send(
            organization=books.org, on=ON, threshold_kopecks=0, min_months=0
        ).skipped_dispute
        == 1
    )
    dispute.closed_on = date(2025, 5, 20)
    dispute.save()
    instalment_plan_create(
        account=books.account,
        agreed_on=date(2025, 5, 25),
        schedule=[(date(2025, 6, 10), 4000_00), (date(2025, 7, 10), 4000_00)],
    )
    assert (
        notices_send(organization=books.org, on=ON, threshold_kopecks=0, min_months=0).skipped_plan
        == 1
    )
    with pytest.raises(DebtError, match="отрицательными"):
        notices_send(organization=books.org, on=ON, threshold_kopecks=-1, min_months=0)


def _pay(books, kopecks, day, op):
    payment_create(
        organization=books.org, source=books.bank, account=books.account,
        amount_kopecks=kopecks, paid_on=day, operation_id=op, today=date(2025, 12, 31),
    )  # fmt: skip


def test_a_plan_is_kept_broken_or_completed(books):
    plan = instalment_plan_create(
        account=books.account, agreed_on=date(2025, 5, 25),
        schedule=[(date(2025, 6, 10), 4000_00), (date(2025, 7, 10), 4000_00)],
    )  # fmt: skip
    assert plan.debt_kopecks == 8000_00
    _pay(books, 4000_00, date(2025, 6, 9), "p1")
    assert instalment_plans_check(organization=books.org, on=date(2025, 6, 20)).kept == 1
    check = instalment_plans_check(organization=books.org, on=date(2025, 7, 15))
    assert check.broken == 1
    plan.refresh_from_db()
    assert plan.state == PlanState.BROKEN
    notice = DebtorNotice.objects.get()
    assert notice.reason == "Пропущен платёж по рассрочке" and notice.debt_kopecks == 4000_00
    second = instalment_plan_create(
        account=books.account, agreed_on=date(2025, 7, 16), schedule=[(date(2025, 8, 1), 4000_00)]
    )
    _pay(books, 4000_00, date(2025, 7, 30), "p2")
    assert instalment_plans_check(organization=books.org, on=date(2025, 8, 5)).completed == 1
    second.refresh_from_db()
    assert second.state == PlanState.COMPLETED


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ([], "нет ни одного"),
        ([(date(2025, 6, 1), 0)], "больше нуля"),
        ([(date(2025, 6, 1), 1), (date(2025, 6, 1), 2)], "в один день"),
        ([(date(2025, 4, 1), 100)], "раньше даты"),
    ],
)
def test_bad_plans_are_refused(books, schedule, message):
    with pytest.raises(DebtError, match=message):
        instalment_plan_create(account=books.account, agreed_on=date(2025, 5, 1), schedule=schedule)
    assert not InstalmentPlan.objects.exists()


def test_one_active_plan_per_account(books):
    instalment_plan_create(
        account=books.account, agreed_on=date(2025, 5, 1), schedule=[(date(2025, 6, 1), 100)]
    )
    with pytest.raises(DebtError, match="уже действует"):
        instalment_plan_create(
            account=books.account, agreed_on=date(2025, 5, 2), schedule=[(date(2025, 6, 2), 100)]
        )
