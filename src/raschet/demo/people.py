"""Households: who lives in (or owns) a flat, with registrations, shares and benefits.

A household is planned as plain values (`Member`); `raschet.demo.stock` turns them into
Person, Ownership, Registration and PersonBenefit rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from raschet.demo.addresses import CITY, OTHER_TOWNS, address_elsewhere
from raschet.demo.legal import snils
from raschet.demo.names import MALE_NAMES, SURNAMES, FullName, first_name, patronymic, surname
from raschet.demo.rates import BENEFIT_DOCUMENTS
from raschet.registry.models import RegistrationKind, Relation

LATEST_MOVE_IN = date(2026, 9, 1)
EARLIEST_MOVE_IN = date(1975, 1, 1)


@dataclass
class Member:
    name: FullName
    birth_date: date
    relation: str
    registered_from: date | None
    registered_to: date | None = None
    registration_kind: str = RegistrationKind.PERMANENT
    arrived_from: str = ""
    departed_to: str = ""
    share: tuple[int, int] | None = None
    benefit: tuple[str, date, str] | None = None
    birth_place: str = ""
    snils: str = ""
    identity_document: str = ""
    phone: str = ""


@dataclass
class Household:
    members: list[Member]
    move_in: date
    social: bool
    owners_only: bool
    title_document: str = ""
    extra: list[Member] = field(default_factory=list)

    @property
    def head(self) -> Member:
        return self.members[0]


def day_between(rng: random.Random, start: date, end: date) -> date:
    """A day in ``[start, end]``; ``start`` when the range is empty."""
    span = (end - start).days
    return start if span <= 0 else start + timedelta(days=rng.randint(0, span))


def _years_after(day: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    return day.replace(year=day.year + years, day=min(day.day, 28) if day.month == 2 else day.day)


def _birth(rng: random.Random, as_of: date, age: int) -> date:
    """A birth date giving ``age`` full years on ``as_of`` (day ≤ 28 keeps it simple)."""
    year = as_of.year - age - 1
    return date(year, rng.randint(1, 12), rng.randint(1, 28)) + timedelta(days=rng.randint(0, 300))


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _phone(rng: random.Random) -> str:
    return (
        f"+7 9{rng.randint(0, 99):02d} {rng.randint(100, 999)}-"
        f"{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    )


def _dress(rng: random.Random, member: Member, as_of: date) -> None:
    """Birth place, passport, СНИЛС and phone: what a passport desk would have on file."""
    age = _age(member.birth_date, as_of)
    member.birth_place = CITY if rng.random() < 0.7 else rng.choice(OTHER_TOWNS)
    if rng.random() < 0.35:
        member.snils = snils(rng)
    if age >= 14:
        passport_age = 45 if age >= 45 else 20 if age >= 20 else 14
        issued = _years_after(member.birth_date, passport_age)
        issued += timedelta(days=rng.randint(3, 40))
        if issued < date(1998, 1, 1):  # today's passports were issued from 1997 on
            issued = day_between(rng, date(1998, 1, 1), date(2004, 12, 31))
        if issued >= as_of:
            issued = as_of - timedelta(days=1)
        member.identity_document = (
            f"Паспорт РФ 28 {issued.year % 100:02d} {rng.randint(100000, 999999)}, "
            f"выдан {issued:%d.%m.%Y}"
        )
        if rng.random() < 0.5:
            member.phone = _phone(rng)


def household_make(
    rng: random.Random,
    *,
    size: int,
    social: bool,
    owners_only: bool,
    earliest: date,
    as_of: date,
) -> Household:
    """A family of ``size`` living in a flat since ``move_in`` (owners or social tenants).

    ``owners_only``: the owners are registered elsewhere and nobody lives in the flat (a
    social tenancy never is). A few households also get a temporary registration or a
    former member whose registration has ended.
    """
    owners_only = owners_only and not social
    if owners_only:
        size = rng.randint(1, 2)
    family = rng.choice(SURNAMES)
    head_female = rng.random() < 0.45
    head_age = rng.randint(22, 88) if size == 1 else rng.randint(26, 70)
    head_birth = _birth(rng, as_of, head_age)
    head_father = rng.choice(MALE_NAMES)
    head_name = FullName(
        surname(family, female=head_female),
        first_name(rng, female=head_female),
        patronymic(head_father, female=head_female),
        head_female,
    )
    start = max(_years_after(head_birth.replace(day=1), 18), EARLIEST_MOVE_IN, earliest)
    move_in = day_between(rng, start, LATEST_MOVE_IN)
    head = Member(head_name, head_birth, Relation.TENANT if social else Relation.OWNER, move_in)
    members = [head]
    spouse: Member | None = None
    slots = size - 1
    if slots and rng.random() < 0.75:
        female = not head_female
        age = min(max(head_age + rng.randint(-6, 6), 20), 95)
        spouse = Member(
            FullName(
                surname(family, female=female),
                first_name(rng, female=female),
                patronymic(rng.choice(MALE_NAMES), female=female),
                female,
            ),
            _birth(rng, as_of, age),
            Relation.SPOUSE,
            move_in if rng.random() < 0.7 else day_between(rng, move_in, LATEST_MOVE_IN),
        )
        members.append(spouse)
        slots -= 1
    if slots and head_age <= 60 and rng.random() < 0.25:
        female = rng.random() < 0.65
        parent_birth = _birth(rng, as_of, head_age + rng.randint(22, 34))
        members.append(
            Member(
                FullName(
                    surname(family, female=female),
                    head_father if not female else first_name(rng, female=True),
                    patronymic(rng.choice(MALE_NAMES), female=female),
                    female,
                ),
                parent_birth,
                Relation.PARENT,
                day_between(rng, move_in, LATEST_MOVE_IN),
                arrived_from=address_elsewhere(rng),
            )
        )
        slots -= 1
    father = (
        head_name.first_name
        if not head_female
        else spouse.name.first_name
        if spouse is not None
        else rng.choice(MALE_NAMES)
    )
    births: list[date] = []
    names_taken = {m.name.first_name for m in members}
    for _ in range(slots):
        female = rng.random() < 0.5
        grandchild = head_age > 58 and rng.random() < 0.4
        lo = _years_after(head_birth, 42 if grandchild else 20)
        hi = min(_years_after(head_birth, 70 if grandchild else 44), as_of - timedelta(days=30))
        # Siblings are at least 14 months apart and never share a first name; a child
        # that does not fit in a few draws is left out (a smaller household).
        for _attempt in range(6):
            birth = day_between(rng, lo, hi)
            name = first_name(rng, female=female)
            if name not in names_taken and all(abs((birth - b).days) >= 425 for b in births):
                break
        else:
            continue
        births.append(birth)
        names_taken.add(name)
        members.append(
            Member(
                FullName(
                    surname(family, female=female),
                    name,
                    patronymic(rng.choice(MALE_NAMES) if grandchild else father, female=female),
                    female,
                ),
                birth,
                Relation.GRANDCHILD if grandchild else Relation.CHILD,
                max(move_in, birth + timedelta(days=rng.randint(7, 40))),
            )
        )
    household = Household(members, move_in, social, owners_only)
    if owners_only:
        for member in members:
            member.registered_from = None
    _shares(rng, household, spouse)
    _extras(rng, household, family, as_of)
    for member in household.members:
        _dress(rng, member, as_of)
    _benefits(rng, household, as_of)
    return household


def _shares(rng: random.Random, household: Household, spouse: Member | None) -> None:
    """1/1, 1/2 + 1/2 with the spouse, or 1/3 each among three adults; none for tenants."""
    if household.social:
        return
    adults = [m for m in household.members if _age(m.birth_date, household.move_in) >= 18]
    if spouse is not None and rng.random() < 0.5:
        household.head.share = (1, 2)
        spouse.share = (1, 2)
    elif len(adults) >= 3 and rng.random() < 0.25:
        for member in adults[:3]:
            member.share = (1, 3)
    else:
        household.head.share = (1, 1)
    when = household.move_in
    household.title_document = (
        f"Выписка из ЕГРН, запись № 69:40:{rng.randint(100000, 999999):07d}:"
        f"{rng.randint(10, 999)}-69/{rng.randint(10, 99):03d}/{when.year}-{rng.randint(1, 9)}"
        if rng.random() < 0.6
        else f"Договор купли-продажи от {when:%d.%m.%Y}"
    )


def _extras(rng: random.Random, household: Household, family: str, as_of: date) -> None:
    """A temporary registration (3 %) or a former member who moved out (6 %)."""
    if household.owners_only:
        return
    if rng.random() < 0.03:
        female = rng.random() < 0.5
        since = day_between(rng, date(2025, 9, 1), LATEST_MOVE_IN)
        household.members.append(
            Member(
                FullName(
                    surname(rng.choice(SURNAMES), female=female),
                    first_name(rng, female=female),
                    patronymic(rng.choice(MALE_NAMES), female=female),
                    female,
                ),
                _birth(rng, as_of, rng.randint(18, 40)),
                rng.choice((Relation.RELATIVE, Relation.OTHER)),
                since,
                registered_to=since + timedelta(days=rng.randint(90, 365)),
                registration_kind=RegistrationKind.TEMPORARY,
                arrived_from=address_elsewhere(rng),
            )
        )
    if rng.random() < 0.06 and household.move_in < date(2024, 1, 1):
        female = rng.random() < 0.5
        birth = _birth(rng, as_of, rng.randint(22, 45))
        since = max(household.move_in, birth + timedelta(days=10))
        until = day_between(rng, since + timedelta(days=365), LATEST_MOVE_IN)
        if until > since:
            household.members.append(
                Member(
                    FullName(
                        surname(family, female=female),
                        first_name(rng, female=female),
                        patronymic(rng.choice(MALE_NAMES), female=female),
                        female,
                    ),
                    birth,
                    Relation.CHILD,
                    since,
                    registered_to=until,
                    departed_to=address_elsewhere(rng),
                )
            )


def _benefits(rng: random.Random, household: Household, as_of: date) -> None:
    """About one person in twenty holds a benefit: labour veterans among the elderly,
    disabled people of any age, some combat veterans, and the parent of a large family."""
    living = [
        m for m in household.members if m.registered_from is not None and m.registered_to is None
    ]
    children = [
        m for m in living if m.relation == Relation.CHILD and _age(m.birth_date, as_of) < 18
    ]
    for member in living:
        age = _age(member.birth_date, as_of)
        code = None
        if age >= 58 and rng.random() < 0.12:
            code = "labour-veterans"
        elif age >= 18 and rng.random() < 0.025:
            code = "disabled"
        elif 25 <= age <= 60 and not member.name.female and rng.random() < 0.015:
            code = "combat-veterans"
        elif member is household.head and len(children) >= 3:
            code = "large-families"
        if code is None:
            continue
        since = day_between(
            rng, max(_years_after(member.birth_date, 18), date(2010, 1, 1)), date(2026, 6, 1)
        )
        document = BENEFIT_DOCUMENTS[code].format(
            year=since.year, number=rng.randint(100000, 999999)
        )
        member.benefit = (code, since, document)
