"""Writes of the capital repair fund: the fund settings of a building from a date, the
payments from the fund for capital works, and the building's exempt periods.

Each service is atomic, takes keyword arguments and runs ``full_clean()`` (the organization
of every linked row, the special account's bank key, overlaps on SQLite); its `FundError`
messages name the field and are shown to the operator as they are.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from raschet.capitalrepair.models import (
    CapitalRepairExemption,
    CapitalRepairFund,
    FundModel,
    FundSpending,
)
from raschet.capitalrepair.selectors import FundError, special_account_rest
from raschet.core.money import format_rubles
from raschet.housing.models import Building, BuildingWork
from raschet.organizations.models import Organization
from raschet.tariffs.models import Service

__all__ = ["FundError", "exemption_record", "fund_set", "spending_delete", "spending_record"]


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for name, errors in exc.message_dict.items():
            label = name if name != "__all__" else ""
            parts.append(f"{label}: {'; '.join(errors)}" if label else "; ".join(errors))
        return "; ".join(parts)
    return "; ".join(exc.messages)


@transaction.atomic
def fund_set(
    *,
    building: Building,
    fund_model: str,
    service: Service,
    payee: Organization,
    valid_from: date,
    account_owner: Organization | None = None,
    bank_name: str = "",
    bic: str = "",
    special_account: str = "",
    correspondent_account: str = "",
    decision: str = "",
) -> CapitalRepairFund:
    """The building's fund is kept this way from ``valid_from`` on (an owners' decision).

    The fund row in force on that day is closed the day before (``valid_to = valid_from``);
    a row starting on the same day or later is not overwritten — it is corrected in the
    admin, with its history.
    """
    Building.objects.select_for_update().filter(pk=building.pk).first()  # one writer a building
    funds = CapitalRepairFund.objects.filter(
        organization_id=building.organization_id, building_id=building.pk
    )
    later = funds.filter(valid_from__gte=valid_from).order_by("valid_from").first()
    if later is not None:
        raise FundError(
            f"valid_from: у дома уже есть настройки фонда с {later.valid_from:%d.%m.%Y}; "
            "новые настройки начинаются позже последних"
        )
    current = funds.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from)).first()
    if current is not None:  # it starts before valid_from: later rows were refused above
        current.valid_to = valid_from
        current.save(update_fields=["valid_to"])
    fund = CapitalRepairFund(
        organization_id=building.organization_id,
        building=building,
        fund_model=fund_model,
        service=service,
        payee=payee,
        valid_from=valid_from,
        account_owner=account_owner,
        bank_name=bank_name.strip(),
        bic=bic.strip(),
        special_account=special_account.strip(),
        correspondent_account=correspondent_account.strip(),
        decision=decision.strip(),
    )
    try:
        fund.full_clean()
    except ValidationError as exc:
        raise FundError(_messages(exc)) from exc
    fund.save()
    return fund


@transaction.atomic
def spending_record(
    *,
    work: BuildingWork,
    paid_on: date,
    amount_kopecks: int,
    document: str = "",
    note: str = "",
    beyond_collected: bool = False,
) -> FundSpending:
    """Record a payment from the building's fund for a capital ``work``.

    Refused when the building has no fund on ``paid_on`` or the work is not a capital one;
    from a special account, also when it is more than the account holds
    (`special_account_rest`, ЖК ст.177: the bank pays only from the account's money) unless
    the payment is marked ``beyond_collected`` (a loan, ЖК ст.174 ч.2, or the regional
    operator's transfer) with a note saying where the money comes from. A regional pool
    is not checked: the operator pays from the common account of all its buildings.
    """
    if isinstance(amount_kopecks, bool) or not isinstance(amount_kopecks, int):
        raise FundError("amount_kopecks: сумма — целое число копеек")
    fund = (
        CapitalRepairFund.objects.filter(
            organization_id=work.organization_id, building_id=work.building_id,
            valid_from__lte=paid_on,
        )
        .exclude(valid_to__lte=paid_on)
        .first()
    )  # fmt: skip
    if fund is None:
        raise FundError(
            f"paid_on: у дома {work.building} нет фонда капремонта на {paid_on:%d.%m.%Y}"
        )
    if beyond_collected and not note.strip():
        raise FundError(
            "note: для оплаты сверх собранных взносов укажите источник (кредит, заём, "
            "средства регионального оператора)"
        )
    if fund.fund_model == FundModel.SPECIAL_ACCOUNT and not beyond_collected:
        # one spending at a time per fund: the rest is read and spent under the fund's lock
        CapitalRepairFund.objects.select_for_update().filter(pk=fund.pk).first()
        rest = special_account_rest(fund=fund, on=paid_on)
        if isinstance(amount_kopecks, int) and amount_kopecks > rest:
            raise FundError(
                f"amount_kopecks: на спецсчёте дома {work.building} на {paid_on:%d.%m.%Y} "
                f"остаток собранных взносов {format_rubles(max(rest, 0))} ₽, платёж "
                f"{format_rubles(amount_kopecks)} ₽ больше; если он оплачивается из кредита, "
                "займа или средств регионального оператора, отметьте это и укажите источник"
            )
    spending = FundSpending(
        organization_id=work.organization_id,
        work=work,
        paid_on=paid_on,
        amount_kopecks=amount_kopecks,
        document=document.strip(),
        note=note.strip(),
        beyond_collected=beyond_collected,
    )
    try:
        spending.full_clean()
    except ValidationError as exc:
        raise FundError(_messages(exc)) from exc
    spending.save()
    return spending


@transaction.atomic
def spending_delete(*, spending: FundSpending) -> None:
    """Remove a mistaken spending (its history keeps what it was)."""
    spending.delete()


@transaction.atomic
def exemption_record(
    *,
    building: Building,
    reason: str,
    valid_from: date,
    valid_to: date | None = None,
    document: str = "",
    document_date: date | None = None,
    note: str = "",
) -> CapitalRepairExemption:
    """The owners of ``building`` owe no capital-repair contribution on ``[valid_from,
    valid_to)`` for ``reason`` (ЖК ст.169 ч.2, ч.3, ст.170 ч.5.1; rules.md §2.2).

    Refused when it overlaps another exempt period of the building, when a waiting-time
    reason has no end or is longer than the law allows. A period reaching back into a
    closed month is accepted: the next billing run posts the difference as a
    recalculation naming it (`raschet.billing.changes`).
    """
    Building.objects.select_for_update().filter(pk=building.pk).first()  # one writer a building
    exemption = CapitalRepairExemption(
        organization_id=building.organization_id,
        building=building,
        reason=reason,
        valid_from=valid_from,
        valid_to=valid_to,
        document=document.strip(),
        document_date=document_date,
        note=note.strip(),
    )
    try:
        exemption.full_clean()
    except ValidationError as exc:
        raise FundError(_messages(exc)) from exc
    exemption.save()
    return exemption
