"""The second half of the file phase: merged entities → ownerships, registrations, services.

Still no database access. Checks here need the whole file: fields required on at least one
row of an entity, duplicate person rows, shares of a premises summing above one, service
codes unknown to the organization.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from raschet.importers.housing.collect import Collected, PersonKey, PremisesKey

OwnershipKey = tuple[PremisesKey, PersonKey, dt.date]
RegistrationKey = tuple[str, PersonKey, dt.date]
AccountServiceKey = tuple[str, str, dt.date]


@dataclass(slots=True)
class LinkRec:
    """A row-level fact (ownership, registration, connected service) with its source row."""

    row: int
    column: str  # the column key errors about this fact point at
    values: dict[str, Any]


@dataclass
class Resolved:
    ownerships: dict[OwnershipKey, LinkRec] = field(default_factory=dict)
    registrations: dict[RegistrationKey, LinkRec] = field(default_factory=dict)
    account_services: dict[AccountServiceKey, LinkRec] = field(default_factory=dict)


_ENTITY_REQUIRED = (
    ("buildings", "building_area_total", "ни в одной строке дома"),
    ("premises", "premises_area_total", "ни в одной строке помещения"),
    ("accounts", "opened_on", "ни в одной строке лицевого счёта"),
    ("accounts", "payer_name", "ни в одной строке лицевого счёта"),
)


def resolve(col: Collected, *, known_services: dict[str, tuple[bool, int]]) -> Resolved:
    out = Resolved()
    for store_name, key, where in _ENTITY_REQUIRED:
        for entity in getattr(col, store_name).values():
            if not entity.bad and key not in entity.values:
                col.error(entity.row, key, "", f"обязательное поле не заполнено {where}")
    for account in col.accounts.values():
        opened, closed = account.values.get("opened_on"), account.values.get("closed_on")
        if opened is not None and closed is not None and closed <= opened:
            col.error(account.rows["closed_on"], "closed_on", closed,
                      "дата закрытия должна быть позже даты открытия")  # fmt: skip
            account.bad = True
    _links(col, out)
    _services(col, out, known_services)
    return out


def _links(col: Collected, out: Resolved) -> None:
    seen: dict[tuple[str, PersonKey, dt.date | None], int] = {}
    share_sum: dict[PremisesKey, Fraction] = {}
    for link in col.links:
        account = col.accounts[link.account]
        opened = account.values.get("opened_on")
        if account.bad or opened is None:
            continue
        dup_key = (link.account, link.person, link.reg_from)
        if dup_key in seen:
            col.error(
                link.row,
                "full_name",
                " ".join(p for p in link.person[:3] if p),
                f"гражданин повторяется в этом лицевом счёте: уже есть в строке {seen[dup_key]}",
            )
            continue
        seen[dup_key] = link.row
        has_registration = link.kind is not None or link.reg_from is not None
        if link.share is None and not has_registration:
            col.error(
                link.row,
                "share",
                "",
                "гражданин не собственник и не зарегистрирован: заполните «Доля» или «Регистрация»",
            )
            continue
        if link.owner_from is not None and link.share is None:
            col.error(link.row, "share", "", "указано «Собственник с», но нет доли")
            continue
        if link.share is not None:
            _ownership(col, out, link, opened, share_sum)
        if has_registration:
            _registration(col, out, link)
        elif link.reg_to is not None or link.relation is not None:
            col.error(link.row, "registration", "", "заполнено «Регистрация до» или «Родство», "
                      "но не указана регистрация")  # fmt: skip


def _ownership(col: Collected, out: Resolved, link: Any, opened: dt.date, sums: dict) -> None:
    pkey = col.account_premises[link.account]
    start = link.owner_from or opened
    okey = (pkey, link.person, start)
    share: Fraction = link.share
    values = {"share_numerator": share.numerator, "share_denominator": share.denominator}
    previous = out.ownerships.get(okey)
    if previous is not None:
        if previous.values != values:
            col.error(
                link.row,
                "share",
                str(share),
                f"доля этого собственника в помещении расходится со строкой {previous.row}",
            )
        return
    out.ownerships[okey] = LinkRec(link.row, "share", values)
    total = sums.get(pkey, Fraction(0)) + share
    sums[pkey] = total
    if total > 1:
        col.error(
            link.row,
            "share",
            str(share),
            f"сумма долей собственников помещения {pkey[1]} превышает 1 (получается {total})",
        )


def _registration(col: Collected, out: Resolved, link: Any) -> None:
    if link.reg_from is None:
        col.error(link.row, "registered_from", "", "нужна дата регистрации")
        return
    kind = link.kind or "permanent"
    if kind == "temporary" and link.reg_to is None:
        col.error(link.row, "registered_to", "", "для временной регистрации нужна дата окончания")
        return
    if link.reg_to is not None and link.reg_to <= link.reg_from:
        col.error(
            link.row,
            "registered_to",
            link.reg_to,
            "дата окончания регистрации должна быть позже даты регистрации",
        )
        return
    birth = link.person[3]
    if birth is not None and link.reg_from < birth:
        col.error(link.row, "registered_from", link.reg_from, "регистрация раньше даты рождения")
        return
    relation = link.relation or ("owner" if link.share is not None else "other")
    out.registrations[(link.account, link.person, link.reg_from)] = LinkRec(
        link.row,
        "registered_from",
        {"kind": kind, "relation": relation, "valid_to": link.reg_to},
    )


def _services(col: Collected, out: Resolved, known: dict[str, tuple[bool, int]]) -> None:
    for number, account in col.accounts.items():
        items = account.values.get("services")
        opened = account.values.get("opened_on")
        if account.bad or not items or opened is None:
            continue
        row = account.rows["services"]
        start = account.values.get("services_from") or opened
        closed = account.values.get("closed_on")
        if start < opened:
            col.error(
                account.rows.get("services_from", row),
                "services_from",
                start,
                "услуги не могут начинаться раньше открытия счёта",
            )
            continue
        if closed is not None and start >= closed:
            col.error(
                account.rows.get("services_from", row),
                "services_from",
                start,
                "услуги начинаются в день закрытия счёта или позже",
            )
            continue
        for code, method, zones in items:
            spec = known.get(code)
            if spec is None:
                col.error(
                    row,
                    "services",
                    code,
                    f"неизвестная услуга «{code}»: её нет в справочнике услуг организации",
                )
                continue
            metered, max_zones = spec
            if method == "meter" and not metered:
                col.error(row, "services", code, f"услуга {code} не учитывается по прибору")
                continue
            if zones > max_zones:
                col.error(row, "services", code, f"у услуги {code} тарифных зон: {max_zones}")
                continue
            out.account_services[(number, code, start)] = LinkRec(
                row, "services", {"method": method, "zones": zones, "valid_to": closed}
            )
