"""What goes on an account's ЕПД for a closed month, read in bulk (rules.md §5.1).

`documents_data` reads everything for a chunk of accounts with a fixed number of queries —
accounts and premises, the month's posted charge lines, the balance snapshot of the closed
month, the last payments, meter readings and the building volumes — and returns one
`Epd` per account: the data the template lays out (every figure already formatted in
Russian typography, ``1 234,56``), the QR payloads per payee and the amount due.

The amounts come from the month's balance snapshot (written when the month was closed), so
the document shows exactly what the ledger holds: per payee the debt or advance at the start
of the month, charged (with recalculations, reductions and benefits), penalties, paid and the
total due. A payee's QR code carries exactly that payee's amount due (ГОСТ Р 56042, §6).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.db import connection
from django.db.models import Q, Sum

from raschet.billing.explain import explain_line
from raschet.billing.models import ChargeLine, LineKind
from raschet.billing.selectors import posted_run_ids
from raschet.capitalrepair.models import CapitalRepairFund, FundModel
from raschet.core.bankkey import BankDetailsError, validate_bank_account
from raschet.core.billing import Method
from raschet.core.fixedpoint import NORM_SCALE, RATE_SCALE, VOLUME_SCALE
from raschet.core.money import format_rubles
from raschet.core.periods import Month
from raschet.core.qr import QrPayee, QrPayloadError, qr_payload
from raschet.debt.models import Instalment, PlanState
from raschet.housing.models import Account
from raschet.ledger.models import BalanceSnapshot, EntryKind, LedgerEntry
from raschet.metering.models import Meter, Reading
from raschet.organizations.models import Organization
from raschet.payments.models import Payment
from raschet.registry.selectors import resident_counts
from raschet.tariffs.models import ChargeBasis, Service

from .gis import ipd_by_account

MONTHS_NOMINATIVE = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip

NORM_METHODS = frozenset(
    (Method.NORM, Method.NORM_COEFFICIENT, Method.NORM_AREA, Method.HEATING_NORM)
)


class DocumentDataError(ValueError):
    """A document cannot be made; the message names the account or payee and the field."""


@dataclass(slots=True)
class PayeeQr:
    payee_id: int
    payload: str


@dataclass(slots=True)
class Epd:
    """One account's document: ``content`` for the template and, for each payee block in
    the same order, its QR payload ("" when nothing is due)."""

    account_id: int
    account_number: str
    building_id: int
    premises_number: str
    email: str
    paperless: bool
    amount_due: int
    content: dict[str, Any]
    qr: list[PayeeQr] = field(default_factory=list)

    def content_sha256(self) -> str:
        """SHA-256 of what the page shows (the content and the QR payloads)."""
        blob = json.dumps(
            {"content": self.content, "qr": [q.payload for q in self.qr]},
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def period_name(period: date) -> str:
    return f"{MONTHS_NOMINATIVE[period.month - 1]} {period.year}"


def rub(kopecks: int) -> str:
    """``1 234,56`` — or empty for zero, as a blank cell reads better than 0,00."""
    return format_rubles(kopecks) if kopecks else ""


def rub0(kopecks: int) -> str:
    return format_rubles(kopecks)


def _num(value: int | Decimal, scale: int, *, places: int) -> str:
    """A volume, rate or norm with at least ``places`` decimals and no trailing noise."""
    number = Decimal(value) / scale if scale != 1 else Decimal(value)
    text = f"{number:,.6f}".replace(",", "\u00a0")
    whole, frac = text.split(".")
    frac = frac.rstrip("0").ljust(places, "0")
    return f"{whole},{frac}" if frac else whole


def _address(building_address: str, premises_number: str, kind: str) -> str:
    if not premises_number:
        return building_address
    label = "кв." if kind == "residential" else "пом."
    return f"{building_address}, {label} {premises_number}"


def payee_requisites_check(payees: Iterable[Organization]) -> None:
    """Refuse to print when a payee's bank details are missing or fail their checksum
    (rules.md §8.3): the QR code would send the money nowhere."""
    for org in payees:
        missing = [
            label
            for label, value in (
                ("БИК", org.bic),
                ("расчётный счёт", org.settlement_account),
                ("банк", org.bank_name),
                ("ИНН", org.inn),
            )
            if not value
        ]
        if missing:
            raise DocumentDataError(
                f"Получатель платежа «{org.short_name or org.name}» (код {org.code}): "
                f"не заполнены реквизиты: {', '.join(missing)}"
            )
        try:
            validate_bank_account(org.bic, org.settlement_account)
            if org.correspondent_account:
                validate_bank_account(org.bic, org.correspondent_account, correspondent=True)
        except BankDetailsError as exc:
            raise DocumentDataError(
                f"Получатель платежа «{org.short_name or org.name}» (код {org.code}): {exc}"
            ) from exc


LOGO_SUFFIXES = frozenset((".png", ".jpg", ".jpeg", ".svg"))


def _logo_path(org: Organization) -> str:
    """The logo file of the organization when it has one typst can draw, else ""."""
    if not org.logo:
        return ""
    try:
        path = Path(org.logo.path)
    except (ValueError, NotImplementedError):  # no file, or storage without local paths
        return ""
    return str(path) if path.suffix.lower() in LOGO_SUFFIXES and path.is_file() else ""


def _notice(org: Organization) -> str:
    cutoff = org.reading_cutoff_day or 25
    contacts = ", ".join(x for x in (org.phone and f"по телефону {org.phone}",) if x)
    ways = "в личном кабинете жильца" + (f", {contacts}" if contacts else "") + " или в офисе"
    return (
        f"Показания индивидуальных приборов учёта передавайте ежемесячно до {cutoff} числа "
        f"({ways}). Если показания не переданы, плата рассчитывается по среднемесячному объёму "
        "не более 3 месяцев подряд, затем по нормативу (ПП 354 п.59 «б», п.60). Если прибор "
        "неисправен или истёк срок его поверки, плата рассчитывается по среднему, затем по "
        "нормативу с повышающим коэффициентом (п.59 «а», п.60). При недопуске исполнителя для "
        "проверки прибора учёта плата рассчитывается по среднему, затем по нормативу с "
        "повышающим коэффициентом (п.59 «в», п.85(1)). Неоплата в срок влечёт начисление пеней "
        "(ЖК РФ ст.155 ч.14). Плату вносите до 10 числа месяца, следующего за расчётным."
    )


def _brand(org: Organization) -> dict[str, Any]:
    lines = [x for x in (org.legal_address,) if x]
    contacts = "; ".join(
        x
        for x in (
            org.phone and f"тел. {org.phone}",
            org.email and f"e-mail: {org.email}",
            org.website,
        )
        if x
    )
    if contacts:
        lines.append(contacts)
    if org.office_hours:
        lines.append(f"Приём: {org.office_hours}")
    return {
        "name": org.brand_name or org.short_name or org.name,
        "color": org.color_primary or "#1f4e79",
        "lines": lines,
        "logo": _logo_path(org),
    }


def _short_how(text: str) -> str:
    """The derivation of `explain_line` on one line, without the repeated service name."""
    parts = text.split("\n")
    if parts and ": " in parts[0]:
        parts[0] = parts[0].split(": ", 1)[1]
    return "; ".join(parts)


def documents_data(
    *, organization: Organization, period: date, account_ids: Sequence[int]
) -> list[Epd]:
    """The ЕПД data for ``account_ids`` (in that order) for the closed month ``period``.

    A fixed number of queries for any number of accounts; call it in chunks of a few
    thousand. Accounts without a snapshot row in the month (opened later, nothing charged)
    get a document with zero amounts.
    """
    month = Month.of(period)
    ids = list(account_ids)
    accounts: dict[int, dict[str, Any]] = {
        row["pk"]: dict(row)
        for row in Account.objects.filter(organization=organization, pk__in=ids).values(
            "pk",
            "number",
            "payer_name",
            "gis_account_id",
            "email",
            "paperless",
            "area_m2",
            "premises_id",
            "premises__number",
            "premises__kind",
            "premises__area_total_m2",
            "premises__building_id",
            "premises__building__address",
        )
    }
    unknown = [i for i in ids if i not in accounts]
    if unknown:
        raise DocumentDataError(f"Лицевые счета не найдены в организации: {unknown[:10]}")

    services = {s.pk: s for s in Service.objects.filter(organization=organization)}
    units = {pk: str(s.get_unit_display()) for pk, s in services.items()}
    run_ids = posted_run_ids(organization.pk)
    lines_by_account: dict[int, list[ChargeLine]] = defaultdict(list)
    for line in ChargeLine.objects.filter(
        run_id__in=run_ids, period=month.start, account_id__in=ids
    ).order_by("account_id", "corrects_period", "service_id", "pk"):
        lines_by_account[line.account_id].append(line)

    # A service's payee is the organization itself unless a contract names a supplier
    # (payee NULL); a row without a service is an advance not yet assigned to a service.
    snapshots: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    sums = {
        name: Sum(name)
        for name in (
            "opening", "charged", "recalculated", "reductions", "benefits", "paid",
            "penalties", "other", "closing",
        )
    }  # fmt: skip
    snapshot_rows = BalanceSnapshot.objects.filter(
        organization=organization, period=month.start, account_id__in=ids
    )
    special = _special_accounts(
        organization, month, {a["premises__building_id"] for a in accounts.values()}
    )

    def block_of(account_id: int, payee_id: int | None, service_id: int | None) -> int:
        """The payee block an amount belongs to: its payee (NULL is the organization itself),
        or −fund id for the contributions of a building whose fund is a special account."""
        fund = special.get(accounts[account_id]["premises__building_id"])
        if fund is not None and service_id == fund.service_id:
            return -fund.pk
        return payee_id or organization.pk

    rows = cast(
        Iterable[dict[str, Any]],
        snapshot_rows.filter(service_id__isnull=False)
        .values("account_id", "payee_id", "service_id")
        .annotate(**sums),
    )
    for row in rows:
        key_ = block_of(row["account_id"], row["payee_id"], row["service_id"])
        into = snapshots[row["account_id"]]
        if key_ in into:  # NULL and the organization's own id: one payee
            for key in sums:
                into[key_][key] += row[key]
        else:
            into[key_] = dict(row)
    unassigned = dict(
        snapshot_rows.filter(service_id__isnull=True)
        .values("account_id")
        .annotate(closing=Sum("closing"))
        .values_list("account_id", "closing")
    )

    ipds = ipd_by_account(ids, month.start)
    last_payments = _last_payments(ids, month.start, block_of)
    instalments = _instalment_notes(ids, month.end)
    residents = resident_counts(
        organization_id=organization.pk, on=month.end - timedelta(days=1), account_ids=ids
    )
    readings = _readings(organization, [a["premises_id"] for a in accounts.values()], month.start)
    building_ids = sorted({a["premises__building_id"] for a in accounts.values()})
    building_volumes = _building_volumes(run_ids, month.start, building_ids)

    payee_ids = {p for snap in snapshots.values() for p in snap if p > 0}
    payees = {o.pk: o for o in Organization.objects.filter(pk__in=payee_ids)}
    payee_requisites_check(payees.values())
    payees.update({-fund.pk: _special_payee(fund) for fund in special.values()})

    brand = _brand(organization)
    notice = _notice(organization)
    name = period_name(month.start)
    out: list[Epd] = []
    for account_id in ids:
        acc = accounts[account_id]
        acc["period"] = month.start
        acc["ipd"] = ipds.get(account_id, "")
        acc["address"] = _address(
            acc["premises__building__address"], acc["premises__number"], acc["premises__kind"]
        )
        lines = lines_by_account.get(account_id, [])
        table, totals, recalcs, norms, fines, cash = _lines(lines, services, units, month.start)
        for n in norms:
            n["building"] = building_volumes.get(
                (acc["premises__building_id"], n.pop("service_id")), ""
            )
        area = acc["area_m2"] if acc["area_m2"] is not None else acc["premises__area_total_m2"]
        persons = max((ln.persons for ln in lines if ln.corrects_period == month.start), default=0)
        snap = snapshots.get(account_id, {})
        payee_blocks: list[dict[str, Any]] = []
        qrs: list[PayeeQr] = []
        due_total = 0
        # the organization first, then the other payees, the special account last
        order = sorted(snap, key=lambda p: (p != organization.pk, p < 0, abs(p)))
        for payee_id in order:
            s = snap[payee_id]
            org = payees[payee_id]
            due = max(int(s["closing"]), 0)
            due_total += due
            last = last_payments.get((account_id, payee_id))
            block = {
                "name": org.short_name or org.name,
                "inn": org.inn,
                "kpp": org.kpp,
                "account": org.settlement_account,
                "bank": org.bank_name,
                "bic": org.bic,
                "corr": org.correspondent_account or "0",
                "opening": rub0(int(s["opening"])),
                "charged": rub0(
                    int(s["charged"] + s["recalculated"] + s["reductions"] + s["benefits"])
                ),
                "penalties": rub0(int(s["penalties"])),
                "paid": rub0(-int(s["paid"])),
                "other": rub(int(s["other"])),
                "last_payment": (
                    f"{last[0]:%d.%m.%Y}, {format_rubles(last[1])} ₽" if last else "—"
                ),
                "due": rub0(due),
                "advance": rub0(-int(s["closing"])) if s["closing"] < 0 else "",
                "qr": "",
            }
            payload = ""
            if due > 0:
                try:
                    purpose = "Взнос на капремонт" if payee_id < 0 else "Оплата ЖКУ"
                    payload = _payload(org, due, name, acc, purpose=purpose)
                except QrPayloadError as exc:
                    raise DocumentDataError(
                        f"Лицевой счёт {acc['number']}, получатель «{block['name']}»: {exc}"
                    ) from exc
            qrs.append(PayeeQr(payee_id, payload))
            payee_blocks.append(block)
        advance_unassigned = int(unassigned.get(account_id) or 0)
        content = {
            "period_name": name,
            "brand": brand,
            "account": {
                "number": acc["number"],
                "gis_id": acc["gis_account_id"],
                "ipd": acc["ipd"],
                "payer": acc["payer_name"],
                "address": acc["address"],
                "area": _num(area, 1, places=2) if area is not None else "",
                "residing": str(persons),
                "registered": str(residents.get(account_id, 0)),
            },
            "payees": payee_blocks,
            "due_total": rub0(due_total),
            "lines": table,
            "totals": totals,
            "recalculations": recalcs,
            "fines": fines,
            "readings": readings.get(acc["premises_id"], []),
            "norms": norms,
            "penalty_note": _penalty_note(snap),
            "instalment_note": instalments.get(account_id, ""),
            "advance_note": (
                f"Нераспределённый аванс: {format_rubles(-advance_unassigned)} ₽"
                if advance_unassigned < 0
                else ""
            ),
            "notice": notice,
        }
        if cash:
            # only when there is one: the content (and its hash, `PaymentDocument`) of every
            # other document stays as it was
            content["cash_benefits"] = [
                {k: r[k] for k in ("service", "month", "amount")} for r in cash
            ]
            content["cash_benefit_note"] = _cash_note(cash, name)
        out.append(
            Epd(
                account_id=account_id,
                account_number=acc["number"],
                building_id=acc["premises__building_id"],
                premises_number=acc["premises__number"],
                email=acc["email"],
                paperless=acc["paperless"],
                amount_due=due_total,
                content=content,
                qr=qrs,
            )
        )
    return out


def _special_accounts(
    organization: Organization, month: Month, building_ids: set[int]
) -> dict[int, CapitalRepairFund]:
    """Building → its capital repair fund kept on a special account on the month's last day
    (ЖК ст.170 ч.3 п.1, ст.175): its contributions are paid to the special account itself."""
    last_day = month.end - timedelta(days=1)
    funds = (
        CapitalRepairFund.objects.filter(
            organization=organization,
            building_id__in=building_ids,
            fund_model=FundModel.SPECIAL_ACCOUNT,
            valid_from__lte=last_day,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=last_day))
        .select_related("account_owner", "payee")
    )
    return {fund.building_id: fund for fund in funds}


def _special_payee(fund: CapitalRepairFund) -> Organization:
    """The special account as a payee block: the account owner's name, ИНН and КПП with the
    special account's bank details (never saved; the fund's settings checked them)."""
    owner = fund.account_owner or fund.payee
    name = owner.short_name or owner.name
    return Organization(
        pk=-fund.pk,
        code=owner.code,
        name=owner.name,
        short_name=f"{name}, специальный счёт капремонта",
        inn=owner.inn,
        kpp=owner.kpp,
        settlement_account=fund.special_account,
        bank_name=fund.bank_name,
        bic=fund.bic,
        correspondent_account=fund.correspondent_account,
    )


def _payload(
    org: Organization, due: int, name: str, acc: dict[str, Any], *, purpose: str = "Оплата ЖКУ"
) -> str:
    """The payee's QR payload in UTF-8, or in windows-1251 when a long Cyrillic name and bank
    would not fit the 300-byte mandatory block in UTF-8 (rules.md §6.1; both are read by
    bank apps)."""
    payee = QrPayee(
        name=org.name[:160],
        personal_acc=org.settlement_account,
        bank_name=org.bank_name[:45],
        bic=org.bic,
        corresp_acc=org.correspondent_account or "0",
        inn=org.inn,
        kpp=org.kpp,
    )
    fields: dict[str, Any] = {
        "sum_kopecks": due,
        "purpose": f"{purpose} за {name}, л/с {acc['number']}"[:210],
        "pers_acc": acc["number"],
        "paym_period": acc["period"],
        "last_name": (acc["payer_name"].split() or [""])[0],
        "payer_address": acc["address"],
    }
    if acc["ipd"]:  # rules.md §6.2, §8.1: the ГИС ЖКХ document identifier goes into DocIdx
        fields["extra"] = {"DocIdx": acc["ipd"]}
    try:
        return qr_payload(payee, **fields)
    except QrPayloadError as exc:
        if "байт" not in str(exc):
            raise
        return qr_payload(payee, encoding="cp1251", **fields)


def _instalment_notes(account_ids: list[int], after: date) -> dict[int, str]:
    """Account → the line on its instalment plan (ПП 354 п.69 «и», п.72): the agreement, the
    next instalment due from ``after`` (the day after the month) and what remains. Kept
    plans only; one query."""
    rows = (
        Instalment.objects.filter(
            plan__account_id__in=account_ids,
            plan__state=PlanState.ACTIVE,
            plan__agreed_on__lt=after,
            due_on__gte=after,
        )
        .order_by("plan__account_id", "plan_id", "due_on")
        .values_list(
            "plan__account_id", "plan_id", "plan__agreed_on", "plan__debt_kopecks",
            "due_on", "amount_kopecks",
        )
    )  # fmt: skip
    plans: dict[int, list[tuple[int, date, int, date, int]]] = defaultdict(list)
    for account_id, plan_id, agreed, debt, due, amount in rows:
        plans[account_id].append((plan_id, agreed, debt, due, amount))
    notes: dict[int, str] = {}
    for account_id, items in plans.items():
        plan_id, agreed, debt, due, amount = items[0]
        rest = [x for x in items if x[0] == plan_id]
        notes[account_id] = (
            f"Рассрочка по соглашению от {agreed:%d.%m.%Y} на {format_rubles(debt)} ₽: "
            f"очередной платёж {format_rubles(amount)} ₽ до {due:%d.%m.%Y}; осталось платежей "
            f"{len(rest)} на {format_rubles(sum(x[4] for x in rest))} ₽. Сумма к оплате "
            "включает весь долг по соглашению."
        )
    return notes


def _penalty_note(snap: dict[int, dict[str, Any]]) -> str:
    penalties = sum(int(s["penalties"]) for s in snap.values())
    if not penalties:
        return ""
    return (
        f"Пени за несвоевременную оплату (ЖК РФ ст.155 ч.14), начислено в месяце: "
        f"{format_rubles(penalties)} ₽. Расчёт пеней — в личном кабинете и в офисе."
    )


def _lines(
    lines: list[ChargeLine], services: dict[int, Service], units: dict[int, str], period: date
) -> tuple[
    list[dict[str, str]],
    dict[str, str],
    list[dict[str, str]],
    list[dict[str, Any]],
    list[dict[str, str]],
    list[dict[str, Any]],
]:
    """The table rows per service (the month's charge plus the recalculations posted in
    the month), the totals, the recalculation list with reasons, the norms, the
    contractor's fines (ПП 354 п.155(1): a separate line of the document; the fine is also
    inside the service's «Снижение») and the cash compensations (ЕДК) — the month's per
    service and the recalculated ones of earlier months — which no column of the table
    holds (`_cash_note`)."""
    by_service: dict[int, dict[str, Any]] = {}
    recalcs: list[dict[str, str]] = []
    fines: list[dict[str, str]] = []
    norms: dict[int, dict[str, Any]] = {}
    cash: dict[tuple[int, date], int] = defaultdict(int)

    def row_for(service_id: int) -> dict[str, Any]:
        if service_id not in by_service:
            by_service[service_id] = {
                "volume": 0,
                "rate": None,
                "charged": 0,
                "coefficient": 0,
                "recalculation": 0,
                "benefit": 0,
                "reduction": 0,
                "how": [],
            }
        return by_service[service_id]

    for line in lines:
        service = services.get(line.service_id)
        unit = units.get(line.service_id, "")
        row = row_for(line.service_id)
        if line.benefit_cash:
            cash[(line.service_id, line.corrects_period)] += line.benefit_cash
        if line.kind == LineKind.RECALCULATION or line.corrects_period != period:
            total = line.amount + line.reduction + line.benefit
            row["recalculation"] += total
            if total:
                recalcs.append(
                    {
                        "service": service.name if service else str(line.service_id),
                        "month": f"{line.corrects_period:%m.%Y}",
                        "amount": format_rubles(total),
                        "reason": line.reason or "перерасчёт",
                    }
                )
            continue
        row["volume"] += line.volume
        row["rate"] = line.rate if line.segments == 1 else None
        row["charged"] += line.amount - line.coefficient_amount
        row["coefficient"] += line.coefficient_amount
        row["benefit"] += line.benefit
        row["reduction"] += line.reduction
        if line.fine:
            fines.append(
                {
                    "service": service.name if service else str(line.service_id),
                    "amount": format_rubles(line.fine),
                }
            )
        row["how"].append(_short_how(explain_line(line, unit=unit)))
        if line.method in NORM_METHODS and line.norm is not None and service is not None:
            norms[line.service_id] = {
                "service": service.name,
                "service_id": line.service_id,
                "norm": f"{_num(line.norm, NORM_SCALE, places=2)} {unit}",
            }

    def order(service_id: int) -> tuple[int, str]:
        s = services.get(service_id)
        return (s.sort_order, s.name) if s else (10**6, str(service_id))

    table: list[dict[str, str]] = []
    sums = dict.fromkeys(("charged", "coefficient", "recalculation", "benefit", "reduction"), 0)
    for service_id in sorted(by_service, key=order):
        row = by_service[service_id]
        service = services.get(service_id)
        common = service is not None and service.basis == ChargeBasis.COMMON
        unit = units.get(service_id, "")
        volume = _num(row["volume"], VOLUME_SCALE, places=3) if row["volume"] else ""
        total = (row["charged"] + row["coefficient"] + row["recalculation"] + row["benefit"]) + row[
            "reduction"
        ]
        for key in sums:
            sums[key] += row[key]
        table.append(
            {
                "service": service.name if service else str(service_id),
                "unit": unit,
                "volume": "" if common else volume,
                "common_volume": volume if common else "",
                "tariff": _num(row["rate"], RATE_SCALE, places=2) if row["rate"] else "",
                "charged": rub(row["charged"]),
                "coefficient": rub(row["coefficient"]),
                "recalculation": rub(row["recalculation"]),
                "benefit": rub(row["benefit"]),
                "reduction": rub(row["reduction"]),
                "total": rub0(total),
                "how": " | ".join(row["how"]),
            }
        )
    grand = sum(sums.values())
    totals = {key: rub(value) for key, value in sums.items()}
    totals["charged"] = rub0(sums["charged"])
    totals["total"] = rub0(grand)
    cash_rows = [
        {
            "service": services[sid].name if sid in services else str(sid),
            "month": f"{month:%m.%Y}",
            "own": month == period,
            "kopecks": -kopecks,  # the compensation paid to the citizen, > 0
            "amount": format_rubles(-kopecks),
        }
        for (sid, month), kopecks in sorted(cash.items(), key=lambda i: (i[0][1], order(i[0][0])))
        if kopecks
    ]
    return (
        table,
        totals,
        recalcs,
        sorted(norms.values(), key=lambda n: n["service"]),
        fines,
        cash_rows,
    )


def _cash_note(rows: list[dict[str, Any]], period_title: str) -> str:
    """ПП 354 п.69 «з»: benefits paid in cash (ЕДК, rules.md §4.2) shown for information.

    They are not a column of the table and never change what is due: the social protection
    body pays them to the citizen. One paragraph: the month's compensation with its services,
    then the compensation recalculated for earlier months.
    """
    own = [r for r in rows if r["own"]]
    earlier = [r for r in rows if not r["own"]]
    parts = []
    if own:
        total = sum(r["kopecks"] for r in own)
        services = "; ".join(f"{r['service']} {r['amount']}" for r in own)
        parts.append(
            f"Справочно: компенсация (ЕДК) за {period_title}: {format_rubles(total)} ₽ ({services})"
        )
    if earlier:
        recalculated = "; ".join(
            f"{r['month']} {r['service']} {'+' if r['kopecks'] > 0 else ''}{r['amount']} ₽"
            for r in earlier
        )
        parts.append(f"{'п' if own else 'Справочно: п'}ерерасчёт компенсации (ЕДК): {recalculated}")
    if not parts:
        return ""
    return ", ".join(parts) + " — выплачивается органом соцзащиты, к оплате не уменьшает."


def _last_payments(
    account_ids: list[int], period: date, block_of: Callable[[int, int | None, int | None], int]
) -> dict[tuple[int, int], tuple[date, int]]:
    """(account, payee block) → (date, amount to that block) of the latest payment (by
    payment date) posted in the twelve months up to ``period``."""
    since = Month.of(period)
    for _ in range(11):
        since = since.previous()
    amounts: dict[tuple[int, int, int | None], int] = defaultdict(int)
    for account_id, payee_id, service_id, payment_id, amount in LedgerEntry.objects.filter(
        account_id__in=account_ids,
        kind=EntryKind.PAYMENT,
        period__lte=period,
        period__gte=since.start,
        payment_id__isnull=False,
    ).values_list("account_id", "payee_id", "service_id", "payment_id", "amount_kopecks"):
        amounts[(account_id, block_of(account_id, payee_id, service_id), payment_id)] -= amount
    if not amounts:
        return {}
    days = dict(Payment.objects.filter(pk__in={k[2] for k in amounts}).values_list("pk", "paid_on"))
    last: dict[tuple[int, int], tuple[date, int, int | None]] = {}
    for (acc, payee, pid), paid in amounts.items():
        day = days.get(pid or 0)
        if day is None:
            continue
        key = (acc, payee)
        if key not in last or (day, pid or 0) > (last[key][0], last[key][2] or 0):
            last[key] = (day, paid, pid)
    return {key: (day, amount) for key, (day, amount, _pid) in last.items()}


def _readings(
    organization: Organization, premises_ids: list[int], period: date
) -> dict[int, list[dict[str, str]]]:
    """Premises → the meter readings used for the month: previous, current, volume."""
    meters = {
        m.pk: m
        for m in Meter.objects.filter(premises_id__in=premises_ids).select_related("service")
    }
    if not meters:
        return {}
    earliest = Month.of(period)
    for _ in range(12):
        earliest = earliest.previous()
    rows = (
        Reading.objects.filter(
            meter_id__in=list(meters),
            is_current=True,
            period__lte=period,
            period__gte=earliest.start,
        )
        .order_by("meter_id", "zone", "period")
        .values_list("meter_id", "zone", "period", "value", "volume")
    )
    latest: dict[tuple[int, str], list[tuple[date, Decimal, Decimal | None]]] = defaultdict(list)
    for meter_id, zone, when, value, volume in rows:
        latest[(meter_id, zone)].append((when, value, volume))
    out: dict[int, list[dict[str, str]]] = defaultdict(list)
    for (meter_id, zone), values in sorted(latest.items()):
        meter = meters[meter_id]
        current = values[-1] if values[-1][0] == period else None
        previous = [v for v in values if v[0] < period]
        before = previous[-1] if previous else None
        zone_label = "" if zone == "single" else f" ({zone})"
        out[meter.premises_id].append(
            {
                "name": f"{meter.service.name} №{meter.serial_number}{zone_label}",
                "previous": _num(before[1], 1, places=3) if before else "—",
                "current": _num(current[1], 1, places=3) if current else "не передано",
                "volume": (
                    _num(current[2], 1, places=3)
                    if current is not None and current[2] is not None
                    else "—"
                ),
            }
        )
    return out


def _building_volumes(
    run_ids: list[int], period: date, building_ids: list[int]
) -> dict[tuple[int, int], str]:
    """(building, service) → the month's total volume charged in the building's premises."""
    if not building_ids or not run_ids:
        return {}
    line = ChargeLine._meta.db_table
    account = Account._meta.db_table
    premises = Account._meta.get_field("premises").related_model._meta.db_table  # type: ignore[union-attr]
    run_marks = ",".join(["%s"] * len(run_ids))
    building_marks = ",".join(["%s"] * len(building_ids))
    sql = (
        f"SELECT p.building_id, l.service_id, SUM(l.volume) FROM {line} l "  # noqa: S608
        f"JOIN {account} a ON a.id = l.account_id JOIN {premises} p ON p.id = a.premises_id "
        f"WHERE l.run_id IN ({run_marks}) AND l.period = %s AND l.corrects_period = %s "
        f"AND p.building_id IN ({building_marks}) GROUP BY p.building_id, l.service_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*run_ids, period, period, *building_ids])
        return {
            (int(b), int(s)): _num(int(v), VOLUME_SCALE, places=3)
            for b, s, v in cursor.fetchall()
            if v
        }
