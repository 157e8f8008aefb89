"""What can happen to an appeal: filed, taken, answered; a quality report's draft acts
confirmed or rejected. Each is one transaction, recorded in the appeal's history.

Refusals raise `AppealError` with the message for the person who asked (resident or
operator), in the active language.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from raschet.appeals.models import (
    Appeal,
    AppealAct,
    AppealAttachment,
    AppealCategory,
    AppealChannel,
    AppealEvent,
    AppealState,
)
from raschet.billing.models import RESIDENT_QUALITY_KINDS, ActState, QualityAct, QualityKind
from raschet.billing.selectors import line_quality_units
from raschet.core.billing import INTERRUPTION_SERVICES
from raschet.core.calendar import add_working_days
from raschet.core.periods import Month
from raschet.housing.models import Account
from raschet.tariffs.models import Service

#: Services a resident can report as missing or poor (those ПП 354 Приложение 1 gives limits,
#: solid waste removal — a deviation from the schedule — included).
QUALITY_SERVICES = INTERRUPTION_SERVICES
#: What a temperature report can concern (the heating and hot-water rows of Приложение 1).
TEMPERATURE_SERVICES = ("heating", "hot_water")


class AppealError(Exception):
    """A request about an appeal that is refused, with the reason for the person asking."""


# --- settings ---------------------------------------------------------------------------------


def answer_days(category: str) -> int:
    """Working days to answer: 3 for a quality complaint (ПП 354 п.31 «к»), 10 otherwise
    (ПП 416 п.36). ``RASCHET_APPEAL_DAYS`` overrides per category (key ``default`` for the
    rest)."""
    days: dict[str, int] = {"quality": 3, "default": 10}
    days.update(getattr(settings, "RASCHET_APPEAL_DAYS", {}) or {})
    return int(days.get(category, days["default"]))


def holidays() -> frozenset[date]:
    return frozenset(getattr(settings, "RASCHET_HOLIDAYS", ()) or ())


@dataclass(frozen=True)
class Limits:
    files: int
    file_bytes: int


def attachment_limits() -> Limits:
    """At most ``RASCHET_APPEAL_MAX_FILES`` files (5) of ``RASCHET_APPEAL_MAX_FILE_MB`` (10 MB)
    each: a phone photo fits, a video does not."""
    return Limits(
        files=int(getattr(settings, "RASCHET_APPEAL_MAX_FILES", 5)),
        file_bytes=int(getattr(settings, "RASCHET_APPEAL_MAX_FILE_MB", 10)) * 1024 * 1024,
    )


# --- attachments ------------------------------------------------------------------------------

#: The file types accepted, recognised by their first bytes (never by the name alone).
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/heic": (".heic", ".heif"),
}


def sniff(head: bytes) -> str | None:
    """The content type of a file by its signature, or None when it is not one we accept."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "image/heic"
    return None


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: its name and bytes (views read Django's UploadedFile into it)."""

    name: str
    data: bytes


def _checked(files: Sequence[Upload]) -> list[tuple[Upload, str]]:
    limits = attachment_limits()
    if len(files) > limits.files:
        raise AppealError(
            _("At most %(n)d files can be attached to an appeal.") % {"n": limits.files}
        )
    out = []
    for f in files:
        name = (f.name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "file"
        if len(f.data) > limits.file_bytes:
            raise AppealError(
                _("The file «%(name)s» is larger than %(mb)d MB.")
                % {"name": name, "mb": limits.file_bytes // (1024 * 1024)}
            )
        if not f.data:
            raise AppealError(_("The file «%(name)s» is empty.") % {"name": name})
        kind = sniff(f.data[:16])
        if kind is None or not name.lower().endswith(FILE_TYPES[kind]):
            raise AppealError(
                _(
                    "The file «%(name)s» cannot be attached: only PDF documents and JPEG, PNG or "
                    "HEIC photos are accepted."
                )
                % {"name": name}
            )
        out.append((Upload(name, f.data), kind))
    return out


# --- filing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityReport:
    """What a resident says about a poor or missing service."""

    service: Service
    kind: str
    started_at: datetime
    ended_at: datetime | None
    degrees: int = 0


def _next_number(organization_id: int, year: int) -> str:
    prefix = f"{year}-"
    last = (
        Appeal.objects.filter(organization_id=organization_id, number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def _event(appeal: Appeal, text: str, *, user: Any = None, at: datetime | None = None) -> None:
    AppealEvent.objects.create(
        organization_id=appeal.organization_id,
        appeal=appeal,
        at=at or timezone.now(),
        user=user if user is not None and user.is_authenticated else None,
        text=text[:300],
    )


def _report_checked(account: Account, report: QualityReport, now: datetime) -> None:
    if report.service.organization_id != account.organization_id:
        raise AppealError(_("Choose a service of your account."))
    if report.service.code not in QUALITY_SERVICES:
        raise AppealError(
            _("A report on «%(service)s» cannot be accepted here: write an ordinary appeal.")
            % {"service": report.service.name}
        )
    if report.kind not in dict(RESIDENT_QUALITY_KINDS):
        raise AppealError(_("Choose what was wrong with the service."))
    if report.kind == QualityKind.TEMPERATURE:
        if report.service.code not in TEMPERATURE_SERVICES:
            raise AppealError(_("A temperature deviation concerns heating or hot water only."))
        if report.degrees <= 0:
            raise AppealError(_("Give by how many degrees the temperature was off."))
    if report.started_at > now:
        raise AppealError(_("The start of the problem cannot be in the future."))
    if report.ended_at is not None:
        if report.ended_at <= report.started_at:
            raise AppealError(_("The end of the problem must be after its start."))
        if report.ended_at > now:
            raise AppealError(_("The end of the problem cannot be in the future."))
    if report.started_at < now - timedelta(days=366):
        raise AppealError(_("A report can concern the last twelve months only."))


def hours_by_month(start: datetime, end: datetime) -> list[tuple[date, int]]:
    """The hours of ``start``–``end`` falling in each calendar month (local time), each
    rounded up: a started hour of a missing service counts (ПП 354 Приложение 1 counts hours
    of interruption; the act may correct them)."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    out = []
    cursor = start
    while cursor < end:
        month = Month.of(cursor.date())
        boundary = timezone.make_aware(datetime.combine(month.end, datetime.min.time()))
        stop = min(end, boundary)
        out.append((month.start, math.ceil((stop - cursor).total_seconds() / 3600)))
        cursor = stop
    return out


def _draft_acts(appeal: Appeal, report: QualityReport, account: Account) -> list[QualityAct]:
    """A draft act per month the report covers, with the hours the resident gave; an open
    report (no end yet) gets a draft for the month it began with no hours."""
    if report.ended_at is None:
        months = [(Month.of(timezone.localtime(report.started_at).date()).start, 0)]
    else:
        months = hours_by_month(report.started_at, report.ended_at)
    acts = []
    for period, hours in months:
        interruption = report.kind == QualityKind.INTERRUPTION
        acts.append(
            QualityAct.objects.create(
                organization_id=account.organization_id,
                building_id=account.premises.building_id,
                account=account,
                service=report.service,
                period=period,
                kind=report.kind,
                events_hours=[hours] if interruption and hours else [],
                hours=0 if interruption else hours,
                degrees=0 if interruption else report.degrees,
                state=ActState.DRAFT,
            )
        )
    AppealAct.objects.bulk_create(
        AppealAct(organization_id=appeal.organization_id, appeal=appeal, act=act) for act in acts
    )
    return acts


def appeal_file(
    *,
    account: Account,
    author: Any,
    category: str,
    subject: str,
    text: str,
    files: Sequence[Upload] = (),
    report: QualityReport | None = None,
    channel: str = AppealChannel.PORTAL,
    now: datetime | None = None,
) -> Appeal:
    """File an appeal; a quality report also writes its draft acts. All or nothing."""
    now = now or timezone.now()
    if category not in AppealCategory.values:
        raise AppealError(_("Choose the category of the appeal."))
    subject, text = subject.strip(), text.strip()
    if not subject or not text:
        raise AppealError(_("Write the subject and the text of the appeal."))
    if account.closed_on is not None and account.closed_on <= now.date():
        raise AppealError(_("The account is closed: appeals on it are not accepted."))
    if category == AppealCategory.QUALITY:
        if report is None:
            raise AppealError(_("Tell which service was poor or missing, and when."))
        _report_checked(account, report, now)
    checked = _checked(files)
    received = timezone.localtime(now).date()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    organization_id=account.organization_id,
                    number=_next_number(account.organization_id, received.year),
                    account=account,
                    author=author if author is not None and author.is_authenticated else None,
                    channel=channel,
                    category=category,
                    subject=subject[:200],
                    text=text,
                    created_at=now,
                    due_on=add_working_days(received, answer_days(category), holidays()),
                    service=report.service if report else None,
                    quality_kind=report.kind if report else "",
                    started_at=report.started_at if report else None,
                    ended_at=report.ended_at if report else None,
                    degrees=report.degrees if report else 0,
                )
                for upload, kind in checked:
                    attachment = AppealAttachment(
                        organization_id=appeal.organization_id,
                        appeal=appeal,
                        name=upload.name,
                        content_type=kind,
                        size=len(upload.data),
                        sha256=hashlib.sha256(upload.data).hexdigest(),
                    )
                    suffix = FILE_TYPES[kind][0]
                    attachment.file.save(
                        f"{appeal.number}-{attachment.sha256[:16]}{suffix}",
                        ContentFile(upload.data),
                        save=False,
                    )
                    attachment.save()
                _event(appeal, _("Appeal received"), user=author, at=now)
                if report is not None:
                    acts = _draft_acts(appeal, report, account)
                    _event(
                        appeal,
                        _("Draft act written for %(months)s: awaiting an operator's check")
                        % {"months": ", ".join(f"{a.period:%m.%Y}" for a in acts)},
                        at=now,
                    )
                return appeal
        except IntegrityError:
            # two appeals took the same number at once: take the next one
            continue
    raise AppealError(_("The appeal could not be registered, try again."))


# --- the operator's work ----------------------------------------------------------------------


def appeal_take(appeal: Appeal, user: Any) -> Appeal:
    if appeal.state == AppealState.ANSWERED:
        raise AppealError(_("The appeal is already answered."))
    with transaction.atomic():
        appeal.state = AppealState.IN_WORK
        appeal.taken_by = user
        appeal.save(update_fields=["state", "taken_by"])
        _event(
            appeal,
            _("Taken into work by %(name)s") % {"name": user.get_full_name() or user.username},
            user=user,
        )
    return appeal


def appeal_answer(appeal: Appeal, user: Any, answer: str, *, now: datetime | None = None) -> Appeal:
    """Answer an appeal: the resident sees the answer in the portal and gets it by e-mail.

    A quality report is answered only once none of its acts is still a draft: the answer
    tells the resident whether the payment is reduced."""
    answer = answer.strip()
    if not answer:
        raise AppealError(_("Write the answer."))
    if appeal.state == AppealState.ANSWERED:
        raise AppealError(_("The appeal is already answered."))
    if appeal.acts.filter(state=ActState.DRAFT).exists():
        raise AppealError(_("Confirm or reject the draft acts of this report first."))
    now = now or timezone.now()
    with transaction.atomic():
        appeal.state = AppealState.ANSWERED
        appeal.answer = answer
        appeal.answered_at = now
        appeal.answered_by = user
        if appeal.taken_by_id is None:
            appeal.taken_by = user
        appeal.save(update_fields=["state", "answer", "answered_at", "answered_by", "taken_by"])
        _event(appeal, _("Answered"), user=user, at=now)
        author = appeal.author
        if author is not None and author.email:
            transaction.on_commit(lambda: _mail_answer(appeal, author.email))
    return appeal


def _mail_answer(appeal: Appeal, email: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Answer to your appeal № %(number)s") % {"number": appeal.number}
        body = "\n\n".join(
            [
                _("Account %(account)s, appeal «%(subject)s» of %(date)s.")
                % {
                    "account": appeal.account.number,
                    "subject": appeal.subject,
                    "date": f"{timezone.localtime(appeal.created_at):%d.%m.%Y}",
                },
                appeal.answer,
                appeal.organization.display_name,
            ]
        )
    EmailMessage(subject, body, to=[email]).send(fail_silently=True)


@dataclass(frozen=True)
class ActFigures:
    """What the operator establishes when checking a draft act."""

    events_hours: list[int]
    hours: int
    degrees: int
    act_number: str
    #: the rooms' air (heating) or the outdoor air (solid waste) during an interruption
    temperature_c: Decimal | None = None
    #: cold or hot water: an accident on a dead-end main (24 h in a row permitted)
    dead_end_accident: bool = False


def act_confirm(
    appeal: Appeal, act: QualityAct, user: Any, figures: ActFigures, *, now: datetime | None = None
) -> QualityAct:
    """Confirm a draft act with the figures found: the next billing run reduces the charge of
    its month — a closed month is recalculated then (ПП 354 раздел IX; rules.md §1.8)."""
    if act.state != ActState.DRAFT:
        raise AppealError(_("The act is no longer a draft."))
    if not figures.act_number.strip():
        raise AppealError(_("Give the number of the act."))
    if any(h < 0 or h > 744 for h in figures.events_hours) or not 0 <= figures.hours <= 744:
        raise AppealError(_("Hours must be from 0 to 744."))
    act.events_hours = figures.events_hours
    act.hours = figures.hours
    act.degrees = figures.degrees
    if act.kind == QualityKind.INTERRUPTION:
        act.temperature_c = figures.temperature_c
        act.dead_end_accident = figures.dead_end_accident
    try:
        act.clean()  # what the billing run could not use is refused here
        act.units()
    except ValidationError as exc:
        act.refresh_from_db()
        raise AppealError(" ".join(exc.messages)) from exc
    except ValueError as exc:
        act.refresh_from_db()
        raise AppealError(str(exc)) from exc
    now = now or timezone.now()
    with transaction.atomic():
        act.act_number = figures.act_number.strip()[:40]
        act.state = ActState.CONFIRMED
        act.confirmed_at = now
        act.save()
        # the month's reduction of the line: its interruption acts are pooled (rules.md §14)
        units = line_quality_units(act)
        _event(
            appeal,
            _(
                "Act № %(number)s for %(month)s confirmed: the charge for the month is reduced "
                "by %(percent)s %% in the next billing run"
            )
            % {
                "number": act.act_number,
                "month": f"{act.period:%m.%Y}",
                "percent": f"{min(units, 10_000) // 100},{min(units, 10_000) % 100:02d}",
            },
            user=user,
            at=now,
        )
    return act


def act_reject(appeal: Appeal, act: QualityAct, user: Any, reason: str) -> QualityAct:
    """Reject a draft act (the service was in order, or the deviation within the limits)."""
    if act.state != ActState.DRAFT:
        raise AppealError(_("The act is no longer a draft."))
    reason = reason.strip()
    if not reason:
        raise AppealError(_("Give the reason for rejecting the act."))
    with transaction.atomic():
        act.state = ActState.REJECTED
        act.save(update_fields=["state"])
        _event(
            appeal,
            _("Draft act for %(month)s rejected: %(reason)s")
            % {"month": f"{act.period:%m.%Y}", "reason": reason},
            user=user,
        )
    return act
