"""Writes of the passport desk (паспортный стол): register, deregister, temporary residents.

Every change is an ordinary save of an effective-dated row, so django-simple-history writes a
history record: that record, written after a month was closed and valid during it, is what
makes the next billing run recompute the month (`raschet.billing.changes`), and the diff
against what is posted becomes a recalculation line (перерасчёт) in the open month. A date in
a closed month is therefore allowed; the result carries a warning naming the months that the
next run will recalculate.

Rules checked here, with Russian messages (rules.md §10; ПП 354 п.56(1)):
- a person has at most one permanent registration (по месту жительства) at a time, in any
  premises of the organization;
- a person is not registered twice at one account over overlapping dates (any kind);
- a temporary registration (по месту пребывания) has an end date after its start;
- a deregistration date is after the registration date and not after a planned end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from raschet.housing.models import Account
from raschet.organizations.selectors import closed_months_between
from raschet.registry.models import (
    Person,
    Registration,
    RegistrationKind,
    Relation,
    TemporaryResidentAct,
)

_TEXT_MAX = 300


class RegistrationError(Exception):
    """A passport-desk change was refused; the message says why, in Russian."""


@dataclass(frozen=True)
class Outcome:
    """A saved row and the warnings the operator should see (closed months touched)."""

    obj: Any
    closed_months: list[date] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        if not self.closed_months:
            return []
        names = ", ".join(f"{m:%m.%Y}" for m in self.closed_months)
        return [
            f"Дата приходится на закрытый месяц ({names}): начисления за него будут "
            "пересчитаны при следующем расчёте строкой перерасчёта в открытом месяце."
        ]


def _day(value: date) -> str:
    return f"{value:%d.%m.%Y}"


def closed_months_touched(organization_id: int, start: date, end: date | None) -> list[date]:
    """Closed months of the organization that meet ``[start, end)`` (end open: up to now)."""
    last = end - timedelta(days=1) if end is not None else None
    return closed_months_between(organization_id, start, last)


def _text(value: str, label: str) -> str:
    value = (value or "").strip()
    if len(value) > _TEXT_MAX:
        raise RegistrationError(f"Поле «{label}» длиннее {_TEXT_MAX} символов")
    return value


def _full_clean(obj: Any) -> None:
    """Model validation (same organization, overlaps) as a `RegistrationError`."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        messages = []
        for name, errors in exc.message_dict.items():
            if name == "__all__":
                messages.extend(errors)
            else:
                label = obj._meta.get_field(name).verbose_name
                messages.extend(f"{label}: {e}" for e in errors)
        raise RegistrationError("; ".join(messages)) from exc


def _save(obj: Any, user: Any, reason: str = "") -> None:
    if getattr(user, "pk", None):
        obj._history_user = user
    if reason:
        obj._change_reason = reason[:100]
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # PostgreSQL's exclusion constraints: a race lost
        raise RegistrationError(
            "Запись пересекается по датам с другой записью этого человека"
        ) from exc


def _permanent_clash(
    person: Person, start: date, end: date | None, exclude_pk: int | None
) -> Registration | None:
    qs = Registration.objects.filter(
        organization_id=person.organization_id,
        person=person,
        kind=RegistrationKind.PERMANENT,
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
    if end is not None:
        qs = qs.filter(valid_from__lt=end)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.select_related("account__premises__building").first()


def _lock_account(account: Account) -> Account:
    """Lock the account's row: two clerks registering the same person serialize here."""
    return Account.objects.select_for_update().get(pk=account.pk)


@transaction.atomic
def person_create(
    *,
    organization_id: int,
    last_name: str,
    first_name: str,
    middle_name: str = "",
    birth_date: date | None = None,
    birth_place: str = "",
    identity_document: str = "",
    snils: str = "",
    user: Any = None,
) -> Person:
    """A new person of the organization (validated: СНИЛС check digits and so on)."""
    if not (last_name or "").strip() or not (first_name or "").strip():
        raise RegistrationError("Укажите фамилию и имя")
    person = Person(
        organization_id=organization_id,
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        middle_name=(middle_name or "").strip(),
        birth_date=birth_date,
        birth_place=_text(birth_place, "место рождения"),
        identity_document=_text(identity_document, "документ"),
        snils=(snils or "").strip(),
    )
    _full_clean(person)
    _save(person, user)
    return person


@transaction.atomic
def person_register(
    *,
    account: Account,
    person: Person,
    kind: str,
    valid_from: date,
    valid_to: date | None = None,
    relation: str = Relation.OWNER,
    arrived_from: str = "",
    reason: str = "",
    document: str = "",
    user: Any = None,
) -> Outcome:
    """Register ``person`` at ``account`` from ``valid_from`` (permanent, or temporary until
    ``valid_to`` exclusive: the first day the person no longer counts)."""
    if kind not in RegistrationKind.values:
        raise RegistrationError(f"Неизвестный вид регистрации: {kind}")
    if relation not in Relation.values:
        raise RegistrationError(f"Неизвестное отношение к собственнику: {relation}")
    if person.organization_id != account.organization_id:
        raise RegistrationError("Человек и лицевой счёт принадлежат разным организациям")
    if kind == RegistrationKind.TEMPORARY and valid_to is None:
        raise RegistrationError("Для регистрации по месту пребывания укажите дату окончания")
    if valid_to is not None and valid_to <= valid_from:
        raise RegistrationError(
            f"Дата окончания {_day(valid_to)} должна быть позже даты регистрации {_day(valid_from)}"
        )
    account = _lock_account(account)
    if account.closed_on is not None and valid_from >= account.closed_on:
        raise RegistrationError(f"Лицевой счёт {account.number} закрыт с {_day(account.closed_on)}")
    if kind == RegistrationKind.PERMANENT:
        clash = _permanent_clash(person, valid_from, valid_to, None)
        if clash is not None:
            until = _day(clash.valid_to) if clash.valid_to else "по настоящее время"
            raise RegistrationError(
                f"{person.full_name} уже зарегистрирован(а) по месту жительства: "
                f"{clash.account.premises}, л/с {clash.account.number}, "
                f"с {_day(clash.valid_from)} {'по ' + until if clash.valid_to else until}. "
                "Сначала снимите с регистрационного учёта."
            )
    registration = Registration(
        organization_id=account.organization_id,
        account=account,
        person=person,
        kind=kind,
        relation=relation,
        valid_from=valid_from,
        valid_to=valid_to,
        arrived_from=_text(arrived_from, "откуда прибыл"),
        reason=_text(reason, "основание"),
        document=_text(document, "документ"),
    )
    _full_clean(registration)
    _save(registration, user, "регистрация")
    months = closed_months_touched(account.organization_id, valid_from, valid_to)
    return Outcome(obj=registration, closed_months=months)


@transaction.atomic
def person_deregister(
    *,
    registration: Registration,
    on: date,
    departed_to: str = "",
    reason: str = "",
    user: Any = None,
) -> Outcome:
    """Deregister from ``on`` (снятие с регистрационного учёта): the person counts up to the
    day before. A temporary registration may end earlier than planned, not later."""
    account = _lock_account(registration.account)
    current = Registration.objects.select_for_update().get(pk=registration.pk)
    if current.account_id != account.pk:  # pragma: no cover - defensive
        raise RegistrationError("Регистрация не относится к этому лицевому счёту")
    if on <= current.valid_from:
        raise RegistrationError(
            f"Дата снятия с учёта {_day(on)} должна быть позже даты регистрации "
            f"{_day(current.valid_from)}"
        )
    if current.valid_to is not None and on > current.valid_to:
        what = (
            "окончания пребывания"
            if current.kind == RegistrationKind.TEMPORARY
            else "снятия с учёта"
        )
        raise RegistrationError(
            f"{current.person.full_name}: дата {what} уже {_day(current.valid_to)}; "
            f"снять с учёта позже ({_day(on)}) нельзя"
        )
    previous_end = current.valid_to
    current.valid_to = on
    current.departed_to = _text(departed_to, "куда убыл")
    current.departure_reason = _text(reason, "основание снятия")
    _full_clean(current)
    _save(current, user, "снятие с учёта")
    # the months that change are those between the new end and the old one
    months = closed_months_touched(account.organization_id, on, previous_end)
    return Outcome(obj=current, closed_months=months)


@transaction.atomic
def resident_act_register(
    *,
    account: Account,
    persons: int,
    valid_from: date,
    valid_to: date | None = None,
    act_number: str = "",
    act_date: date | None = None,
    user: Any = None,
) -> Outcome:
    """An act establishing ``persons`` living without registration (ПП 354 п.56(1)): they
    count among the residents for norm-based charges from ``valid_from`` to ``valid_to``."""
    if persons < 1:
        raise RegistrationError("Количество проживающих по акту должно быть не меньше 1")
    if persons > 100:
        raise RegistrationError(f"Слишком много проживающих по одному акту: {persons}")
    if valid_to is not None and valid_to <= valid_from:
        raise RegistrationError(
            f"Дата окончания {_day(valid_to)} должна быть позже даты начала {_day(valid_from)}"
        )
    account = _lock_account(account)
    act = TemporaryResidentAct(
        organization_id=account.organization_id,
        account=account,
        persons=persons,
        valid_from=valid_from,
        valid_to=valid_to,
        act_number=_text(act_number, "номер акта")[:40],
        act_date=act_date,
    )
    _full_clean(act)
    _save(act, user, "акт о проживающих")
    months = closed_months_touched(account.organization_id, valid_from, valid_to)
    return Outcome(obj=act, closed_months=months)
