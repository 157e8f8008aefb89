"""Residents' appeals (issue 8, item 5): filing with files in the portal, the deadlines, the
operators' queue and answers, and a quality report that becomes a draft act, is confirmed by
an operator and reduces the charge in the next billing run — which the resident then sees."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from raschet.appeals.models import Appeal, AppealAttachment, AppealState
from raschet.appeals.services import (
    AppealError,
    QualityReport,
    appeal_file,
    hours_by_month,
)
from raschet.billing.models import ActState, ChargeLine, LineKind, QualityAct
from raschet.billing.services import billing_month_close, billing_run
from raschet.core.calendar import add_working_days
from raschet.core.money import format_rubles
from raschet.organizations.models import Role
from tests.appeals.conftest import operator_client
from tests.portal.conftest import resident

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj\n<<>>\nendobj\n"
JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


def ru(msgid: str) -> str:
    with translation.override("ru"):
        return gettext(msgid)


def text(response) -> str:
    return response.content.decode()


def url(name: str, *args) -> str:
    return reverse(f"portal:{name}", args=args)


def post_appeal(client, account, files=(), **extra):
    data = {"category": "question", "subject": "Счётчик", "text": "Когда поверка?", **extra}
    if files:
        data["attachments"] = list(files)
    return client.post(url("appeal_new", account.pk), data)


def aware(*args) -> datetime:
    return timezone.make_aware(datetime(*args))  # noqa: DTZ001 - local wall time


# --- filing in the portal ---------------------------------------------------------------------


def test_a_resident_files_an_appeal_with_files_and_follows_it(stock, tenant):
    response = post_appeal(
        tenant,
        stock.account,
        files=[
            SimpleUploadedFile("фото.png", PNG, content_type="image/png"),
            SimpleUploadedFile("акт.pdf", PDF, content_type="application/pdf"),
        ],
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("appeal", stock.account.pk, appeal.pk)
    received = timezone.localdate()
    assert appeal.number == f"{received.year}-00001"
    assert appeal.due_on == add_working_days(received, 10)
    assert (appeal.author, appeal.state) == (tenant.user, AppealState.NEW)

    page = text(tenant.get(response["Location"]))
    assert f"№ {appeal.number}" in page and "Когда поверка?" in page
    assert f"{appeal.due_on:%d.%m.%Y}" in page and ru("Appeal received") in page
    listing = text(tenant.get(url("appeals", stock.account.pk)))
    assert appeal.number in listing and ru("Received") in listing

    files = list(AppealAttachment.objects.order_by("pk"))
    assert [(f.name, f.content_type, f.size) for f in files] == [
        ("фото.png", "image/png", len(PNG)),
        ("акт.pdf", "application/pdf", len(PDF)),
    ]
    download = tenant.get(url("appeal_file", stock.account.pk, appeal.pk, files[1].pk))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"


def test_numbers_follow_on_within_the_organization(stock, other_stock, tenant):
    other = resident("petrov@example.ru", other_stock.account)
    post_appeal(tenant, stock.account)
    post_appeal(tenant, stock.account)
    post_appeal(other, other_stock.account)
    year = timezone.localdate().year
    assert sorted(Appeal.objects.values_list("organization__code", "number")) == [
        ("uk-a", f"{year}-00001"),
        ("uk-a", f"{year}-00002"),
        ("uk-b", f"{year}-00001"),
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("заявление.pdf", b"MZ\x90\x00 not a pdf", "cannot be attached"),
        ("фото.pdf", PNG, "cannot be attached"),  # a PNG named .pdf
        ("пусто.png", b"", "is empty"),
    ],
)
def test_a_file_of_a_type_not_accepted_is_refused_and_nothing_is_kept(
    stock, tenant, name, data, message
):
    response = post_appeal(
        tenant, stock.account, files=[SimpleUploadedFile(name, data, content_type="image/png")]
    )
    assert response.status_code == 200
    page = text(response)
    assert name in page and 'id="form-errors"' in page
    assert not Appeal.objects.exists() and not AppealAttachment.objects.exists()
    assert message in str(_error(stock, name, data))


def _error(stock, name, data):
    from raschet.appeals.services import Upload

    with translation.override("en"), pytest.raises(AppealError) as info:
        appeal_file(
            account=stock.account,
            author=None,
            category="question",
            subject="s",
            text="t",
            files=[Upload(name, data)],
        )
    return info.value


def test_a_file_over_the_size_limit_and_too_many_files_are_refused(stock, tenant, settings):
    settings.RASCHET_APPEAL_MAX_FILE_MB = 1
    big = PNG + b"\x00" * (1024 * 1024)
    response = post_appeal(
        tenant, stock.account, files=[SimpleUploadedFile("big.png", big, "image/png")]
    )
    refusal = ru("The file «%(name)s» is larger than %(mb)d MB.") % {"name": "big.png", "mb": 1}
    assert refusal in text(response)
    settings.RASCHET_APPEAL_MAX_FILES = 2
    response = post_appeal(
        tenant,
        stock.account,
        files=[SimpleUploadedFile(f"{k}.png", PNG, "image/png") for k in range(3)],
    )
    assert 'id="form-errors"' in text(response)
    assert not Appeal.objects.exists()


def test_an_appeal_without_subject_or_text_is_refused(stock, tenant):
    response = post_appeal(tenant, stock.account, subject="  ", text="")
    assert response.status_code == 200 and not Appeal.objects.exists()
    assert 'class="error"' in text(response) or 'id="form-errors"' in text(response)


def test_htmx_swaps_in_the_fields_of_a_quality_report(stock, tenant):
    fragment = tenant.get(
        url("appeal_new", stock.account.pk), {"category": "quality"}, HTTP_HX_REQUEST="true"
    )
    body = text(fragment)
    assert body.startswith('<fieldset id="quality-fields"') and 'name="service"' in body
    assert "<html" not in body
    plain = text(tenant.get(url("appeal_new", stock.account.pk)))
    assert "<html" in plain and 'hx-get="' in plain and 'name="service"' not in plain
    # without JavaScript the report link opens the form with the fields
    assert 'name="service"' in text(
        tenant.get(url("appeal_new", stock.account.pk) + "?category=quality")
    )


# --- nobody sees another account's appeals ------------------------------------------------------


def test_another_residents_appeals_and_files_answer_404(stock, other_stock, tenant):
    other = resident("petrov@example.ru", other_stock.account)
    post_appeal(other, other_stock.account, files=[SimpleUploadedFile("a.png", PNG, "image/png")])
    theirs = Appeal.objects.get()
    file = theirs.attachments.get()
    for path in (
        url("appeals", other_stock.account.pk),
        url("appeal_new", other_stock.account.pk),
        url("appeal", other_stock.account.pk, theirs.pk),
        url("appeal_file", other_stock.account.pk, theirs.pk, file.pk),
        # the other appeal's id under one's own account
        url("appeal", stock.account.pk, theirs.pk),
        url("appeal_file", stock.account.pk, theirs.pk, file.pk),
    ):
        assert tenant.get(path).status_code == 404, path
    assert post_appeal(tenant, other_stock.account).status_code == 404
    assert Appeal.objects.count() == 1


def test_a_family_sharing_an_account_shares_its_appeals(stock, tenant):
    post_appeal(tenant, stock.account)
    spouse = resident("ivanov@example.ru", stock.account)
    appeal = Appeal.objects.get()
    assert spouse.get(url("appeal", stock.account.pk, appeal.pk)).status_code == 200


# --- the operators' queue -------------------------------------------------------------------


def test_the_queue_answers_and_mails_the_resident(
    stock, other_stock, tenant, office, django_capture_on_commit_callbacks
):
    post_appeal(tenant, stock.account, subject="Протечка")
    other = resident("petrov@example.ru", other_stock.account)
    post_appeal(other, other_stock.account, subject="Чужое")
    mine = Appeal.objects.get(subject="Протечка")
    theirs = Appeal.objects.get(subject="Чужое")

    queue = text(office.get(reverse("backoffice:appeals")))
    assert "Протечка" in queue and "Чужое" not in queue
    assert office.get(reverse("backoffice:appeal", args=[theirs.pk])).status_code == 404
    assert (
        office.post(reverse("backoffice:appeal", args=[theirs.pk]), {"action": "take"}).status_code
        == 404
    )

    page = reverse("backoffice:appeal", args=[mine.pk])
    office.post(page, {"action": "take"})
    mine.refresh_from_db()
    assert mine.state == AppealState.IN_WORK and mine.taken_by.username == "operator-a"
    with django_capture_on_commit_callbacks(execute=True):
        office.post(page, {"action": "answer", "answer": "Сантехник придёт 10.12."})
    mine.refresh_from_db()
    assert mine.state == AppealState.ANSWERED and mine.answer == "Сантехник придёт 10.12."
    assert [m.to for m in mail.outbox] == [["ivanova@example.ru"]]
    assert mine.number in mail.outbox[0].subject and "Сантехник" in mail.outbox[0].body

    seen = text(tenant.get(url("appeal", stock.account.pk, mine.pk)))
    assert "Сантехник придёт 10.12." in seen and ru("Answered") in seen
    # answered once only
    response = office.post(page, {"action": "answer", "answer": "Ещё раз"}, follow=True)
    assert ru("The appeal is already answered.") in text(response)
    mine.refresh_from_db()
    assert mine.answer == "Сантехник придёт 10.12." and len(mail.outbox) == 1


def test_overdue_appeals_are_marked_and_filtered(stock, tenant, office):
    post_appeal(tenant, stock.account, subject="Старое")
    post_appeal(tenant, stock.account, subject="Новое")
    Appeal.objects.filter(subject="Старое").update(due_on=timezone.localdate() - timedelta(days=1))
    page = text(office.get(reverse("backoffice:appeals"), {"overdue": "on"}))
    assert "Старое" in page and "Новое" not in page and 'class="overdue"' in page


def test_a_user_without_the_permission_cannot_answer(stock, tenant):
    post_appeal(tenant, stock.account)
    appeal = Appeal.objects.get()
    viewer = operator_client(
        stock.organization, [("appeals", "view_appeal")], "viewer", role=Role.CASHIER
    )
    page = reverse("backoffice:appeal", args=[appeal.pk])
    assert viewer.get(page).status_code == 200
    assert viewer.post(page, {"action": "answer", "answer": "x"}).status_code == 403
    appeal.refresh_from_db()
    assert appeal.state == AppealState.NEW


# --- a quality report: draft act → confirmed → reduction ----------------------------------------


def report(stock, start, end, now, kind="interruption", degrees=0):
    return appeal_file(
        account=stock.account,
        author=None,
        category="quality",
        subject="Нет холодной воды",
        text="Не было воды больше суток",
        report=QualityReport(stock.service, kind, start, end, degrees),
        now=now,
    )


def test_hours_are_split_by_month_and_rounded_up():
    assert hours_by_month(aware(2025, 1, 31, 20, 30), aware(2025, 2, 1, 6, 0)) == [
        (date(2025, 1, 1), 4),
        (date(2025, 2, 1), 6),
    ]


def test_a_quality_report_is_due_in_three_working_days_with_a_draft_act_per_month(stock):
    appeal = report(
        stock, aware(2025, 1, 31, 20, 0), aware(2025, 2, 1, 10, 0), now=aware(2025, 2, 3, 9)
    )
    assert appeal.due_on == date(2025, 2, 6)
    acts = list(appeal.acts.order_by("period"))
    assert [(a.period, a.events_hours, a.state, a.account_id) for a in acts] == [
        (JAN, [4], ActState.DRAFT, stock.account.pk),
        (FEB, [10], ActState.DRAFT, stock.account.pk),
    ]


@pytest.mark.parametrize(
    ("start", "end", "kind", "degrees", "message"),
    [
        ((2025, 2, 10), None, "interruption", 0, "cannot be in the future"),
        ((2025, 1, 10), (2025, 1, 9), "interruption", 0, "must be after its start"),
        ((2025, 1, 10), (2025, 1, 11), "temperature", 5, "heating or hot water only"),
        ((2023, 1, 10), (2023, 1, 11), "interruption", 0, "last twelve months"),
    ],
)
def test_a_report_that_cannot_be_true_is_refused(stock, start, end, kind, degrees, message):
    with translation.override("en"), pytest.raises(AppealError, match=message):
        report(
            stock,
            aware(*start),
            aware(*end) if end else None,
            now=aware(2025, 2, 3, 9),
            kind=kind,
            degrees=degrees,
        )
    assert not Appeal.objects.exists() and not QualityAct.objects.exists()


def _reduction(stock, period) -> int:
    return -sum(
        ChargeLine.objects.filter(
            account_id=stock.account.pk, service_id=stock.service.pk, corrects_period=period
        ).values_list("reduction", flat=True)
    )


def test_a_confirmed_report_reduces_the_charge_in_the_next_run(stock, tenant, office):
    org = stock.organization
    appeal = report(
        stock, aware(2025, 1, 10, 8, 0), aware(2025, 1, 11, 10, 0), now=aware(2025, 1, 20, 12)
    )
    act = appeal.acts.get()
    assert act.events_hours == [26]

    # a draft changes nothing
    billing_run(organization=org, period=JAN)
    billing_month_close(organization=org, period=JAN)
    assert _reduction(stock, JAN) == 0
    jan = ChargeLine.objects.get(
        account_id=stock.account.pk, service_id=stock.service.pk, kind=LineKind.CHARGE
    )

    page = reverse("backoffice:appeal", args=[appeal.pk])
    html = text(office.get(page))
    assert f'id="act-{act.pk}"' in html and "26" in html
    refused = office.post(page, {"action": "answer", "answer": "Снизим"}, follow=True)
    assert ru("Confirm or reject the draft acts of this report first.") in text(refused)

    prefix = f"act{act.pk}"
    office.post(
        page,
        {
            "action": "confirm",
            "act": act.pk,
            f"{prefix}-act_number": "15/01",
            f"{prefix}-events_hours": "26",
            f"{prefix}-hours": "0",
            f"{prefix}-degrees": "0",
        },
    )
    act.refresh_from_db()
    assert (act.state, act.act_number, act.events_hours) == (ActState.CONFIRMED, "15/01", [26])
    seen = text(tenant.get(url("appeal", stock.account.pk, appeal.pk)))
    assert ru("The reduction is applied in the next billing run.") in seen

    # January is closed: the February run recalculates it with the reduction
    # (cold water: 8 h a month, 4 h at once → 22 h beyond → 0.15 % × 22 = 3.3 %)
    billing_run(organization=org, period=FEB)
    reduced = _reduction(stock, JAN)
    assert reduced > 0 and abs(reduced - jan.amount * 330 // 10_000) <= 1
    recalculation = ChargeLine.objects.get(
        account_id=stock.account.pk, corrects_period=JAN, kind=LineKind.RECALCULATION
    )
    assert recalculation.reduction == -reduced

    office.post(page, {"action": "answer", "answer": "Плата за январь снижена."})
    seen = text(tenant.get(url("appeal", stock.account.pk, appeal.pk)))
    assert format_rubles(reduced) in seen and "Плата за январь снижена." in seen
    assert "15/01" in seen


def test_reports_confirmed_as_several_acts_give_one_pooled_reduction(stock):
    """Three reports of 3 h of cold water in January, each confirmed as its own act: each is
    within 8 h a month, the month's 9 h are 1 h beyond → 0.15 % (rules.md §14)."""
    from raschet.appeals.services import ActFigures, act_confirm

    org = stock.organization
    for day in (10, 15, 20):
        appeal = report(
            stock, aware(2025, 1, day, 8, 0), aware(2025, 1, day, 11, 0), now=aware(2025, 1, 25)
        )
        act = appeal.acts.get()
        assert act.events_hours == [3]
        act_confirm(appeal, act, None, ActFigures([3], 0, 0, f"{day}/01"))
    events = [e.text for e in appeal.events.all()]
    assert any("0,15 %" in e for e in events)  # the third act: the month's pooled reduction
    billing_run(organization=org, period=JAN)
    line = ChargeLine.objects.get(
        account_id=stock.account.pk, service_id=stock.service.pk, kind=LineKind.CHARGE
    )
    assert line.amount > 0
    assert line.reduction == -((line.amount * 15 + 5_000) // 10_000) < 0


def test_a_rejected_draft_is_never_applied(stock, office):
    org = stock.organization
    appeal = report(
        stock, aware(2025, 1, 10, 8, 0), aware(2025, 1, 11, 10, 0), now=aware(2025, 1, 20, 12)
    )
    act = appeal.acts.get()
    page = reverse("backoffice:appeal", args=[appeal.pk])
    office.post(page, {"action": "reject", "act": act.pk, "reason": ""})
    act.refresh_from_db()
    assert act.state == ActState.DRAFT  # a reason is required
    office.post(page, {"action": "reject", "act": act.pk, "reason": "Перерыв был плановым"})
    act.refresh_from_db()
    assert act.state == ActState.REJECTED
    billing_run(organization=org, period=JAN)
    assert _reduction(stock, JAN) == 0
    assert "Перерыв был плановым" in text(office.get(page))


def test_a_confirmation_that_does_not_fit_the_service_is_refused(stock, office):
    appeal = report(
        stock, aware(2025, 1, 10, 8, 0), aware(2025, 1, 11, 10, 0), now=aware(2025, 1, 20, 12)
    )
    act = appeal.acts.get()
    page = reverse("backoffice:appeal", args=[appeal.pk])
    prefix = f"act{act.pk}"
    response = office.post(
        page,
        {
            "action": "confirm",
            "act": act.pk,
            f"{prefix}-act_number": "",
            f"{prefix}-events_hours": "5, x",
            f"{prefix}-hours": "0",
            f"{prefix}-degrees": "0",
        },
    )
    assert response.status_code == 200
    assert ru("Give whole hours separated by commas.") in text(response)
    act.refresh_from_db()
    assert act.state == ActState.DRAFT


def test_a_dead_end_main_accident_is_confirmed_with_24_hours_permitted(stock, office):
    appeal = report(
        stock, aware(2025, 1, 10, 8, 0), aware(2025, 1, 11, 10, 0), now=aware(2025, 1, 20, 12)
    )
    act = appeal.acts.get()
    page = reverse("backoffice:appeal", args=[appeal.pk])
    html = text(office.get(page))
    assert f"act{act.pk}-dead_end_accident" in html  # cold water: the accident can be given
    assert f"act{act.pk}-temperature_c" not in html  # no temperature for water
    prefix = f"act{act.pk}"
    office.post(
        page,
        {
            "action": "confirm",
            "act": act.pk,
            f"{prefix}-act_number": "16/01",
            f"{prefix}-events_hours": "26",
            f"{prefix}-hours": "0",
            f"{prefix}-degrees": "0",
            f"{prefix}-dead_end_accident": "on",
        },
    )
    act.refresh_from_db()
    assert (act.state, act.dead_end_accident) == (ActState.CONFIRMED, True)
    # 26 h − 24 h in a row permitted = 2 h × 0.15 % = 0.3 % (not 22 h as without the accident)
    assert any("0,30 %" in e.text for e in appeal.events.all())


def test_a_solid_waste_report_needs_the_outdoor_temperature_to_be_confirmed(stock, office):
    from raschet.appeals.services import ActFigures, act_confirm
    from raschet.tariffs.models import Service

    waste = Service.objects.get(organization=stock.organization, code="solid_waste")
    appeal = appeal_file(
        account=stock.account,
        author=None,
        category="quality",
        subject="Не вывозят мусор",
        text="Контейнеры не вывозили трое суток",
        report=QualityReport(waste, "interruption", aware(2025, 1, 10, 8), aware(2025, 1, 13, 16)),
        now=aware(2025, 1, 20, 12),
    )
    act = appeal.acts.get()
    assert act.events_hours == [80]
    figures = ActFigures(events_hours=[80], hours=0, degrees=0, act_number="1-ТКО")
    with translation.override("ru"), pytest.raises(AppealError, match="наружного воздуха"):
        act_confirm(appeal, act, None, figures)
    act.refresh_from_db()
    assert act.state == ActState.DRAFT and act.temperature_c is None
    cold = ActFigures(
        events_hours=[80], hours=0, degrees=0, act_number="1-ТКО", temperature_c=Decimal("-5")
    )
    act_confirm(appeal, act, None, cold)
    act.refresh_from_db()
    assert (act.state, act.temperature_c) == (ActState.CONFIRMED, Decimal("-5"))
    # −5 °C: 72 h permitted; 80 − 72 = 8 h → one started 24 h → 3.3 %
    assert any("3,30 %" in e.text for e in appeal.events.all())
