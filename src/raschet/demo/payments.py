"""Demo payments: a Sberbank-style registry per manager and month, and a few cash-desk
payments, so balances, the unidentified queue, settlements and the turnover sheet have
something to show.

The registry goes through the real import (`registry_import`): it is written as the bank
would send it (cp1251, «;», a trailer with the count and the total) and parsed back.
Most accounts pay the month's payment document in full, some pay part of it, a few pay
with a mistyped account number and wait in the unidentified queue.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db.models import Sum

from raschet.core.periods import Month
from raschet.demo.stock import Manager
from raschet.housing.models import Account
from raschet.ledger.models import LedgerEntry
from raschet.organizations.models import Organization, OrganizationKind
from raschet.payments.models import Channel, PayeeCommission, PaymentSource
from raschet.payments.services import payment_create, payment_source_default, registry_import

SHARE_PAID_IN_FULL = 0.72
SHARE_PAID_IN_PART = 0.12
SHARE_MISTYPED = 0.01
COMMISSION_BASIS_POINTS = 120  # 1.20 % of the money collected, per supplier contract


def demo_payment_setup(managers: list[Manager], since: date) -> None:
    """Bank sources of the managers and commission contracts of the suppliers."""
    for manager in managers:
        PaymentSource.objects.get_or_create(
            organization=manager.organization,
            code="sber",
            defaults={
                "name": "ПАО Сбербанк, договор приёма платежей",
                "channel": Channel.BANK,
                "layout": "sberbank",
                "agent_inn": "7707083893",
            },
        )
        for supplier in Organization.objects.filter(kind=OrganizationKind.SUPPLIER):
            PayeeCommission.objects.get_or_create(
                organization=manager.organization,
                payee=supplier,
                defaults={
                    "valid_from": since,
                    "commission_basis_points": COMMISSION_BASIS_POINTS,
                    "contract_number": f"АГ-{supplier.pk:03d}",
                },
            )


def _line(day: date, op: str, number: str, payer: str, period: date, kopecks: int) -> str:
    rubles = f"{kopecks // 100}.{kopecks % 100:02d}"
    n = int(op)
    return (
        f"{day:%d-%m-%Y};{8 + n % 10:02d}-{n % 60:02d}-00;8607;8607/0{n % 90:03d};"
        f"{n % 40};{op};{number};{payer.upper()};;{period:%m%Y};{rubles};{rubles};0.00"
    )


def demo_payments(
    managers: list[Manager], rng: random.Random, *, charged: date, paid_in: date, today: date
) -> int:
    """Payments made during the month ``paid_in`` for the charges of ``charged``.

    Only days before ``today`` are used. Returns how many payments were accepted.
    """
    month = Month.of(paid_in)
    last_day = min(month.end - timedelta(days=1), today - timedelta(days=1))
    if last_day < month.start:
        return 0
    accepted = 0
    for manager in managers:
        organization = manager.organization
        dues = dict(
            LedgerEntry.objects.filter(organization=organization, period=charged)
            .values("account_id")
            .annotate(total=Sum("amount_kopecks"))
            .values_list("account_id", "total")
        )
        accounts = Account.objects.filter(organization=organization, pk__in=list(dues)).order_by(
            "pk"
        )
        lines: list[str] = []
        cash: list[tuple[Account, int, date]] = []
        total = 0
        for account in accounts.only("pk", "number", "payer_name"):
            due = int(dues[account.pk] or 0)
            if due <= 0:
                continue
            draw = rng.random()
            if draw < SHARE_PAID_IN_FULL:
                amount = due
            elif draw < SHARE_PAID_IN_FULL + SHARE_PAID_IN_PART:
                amount = max(100, due * rng.randint(20, 80) // 100)
            else:
                continue
            day = month.start + timedelta(days=rng.randint(0, (last_day - month.start).days))
            if rng.random() < 0.05:
                cash.append((account, amount, day))
                continue
            number = account.number
            if rng.random() < SHARE_MISTYPED:
                number = number[:-1] + str((int(number[-1]) + 1) % 10) + "0"
            op = f"{paid_in:%y%m}{len(lines) + 1:07d}"
            lines.append(_line(day, op, number, account.payer_name, charged, amount))
            total += amount
        if lines:
            trailer = (
                f"={len(lines)};{total // 100}.{total % 100:02d};{total // 100}.{total % 100:02d};"
                f"0.00;{rng.randint(100, 999)};{last_day:%d-%m-%Y}"
            )
            data = ("\r\n".join([*lines, trailer]) + "\r\n").encode("cp1251")
            source = PaymentSource.objects.get(organization=organization, code="sber")
            report = registry_import(
                organization=organization,
                source=source,
                data=data,
                filename=f"{organization.inn}_{paid_in:%m%y}_001.txt",
                today=today,
            )
            accepted += report.accepted
        desk = payment_source_default(organization=organization, channel=Channel.CASH_DESK)
        for k, (account, amount, day) in enumerate(cash):
            payment_create(
                organization=organization,
                source=desk,
                account=account,
                amount_kopecks=amount,
                paid_on=day,
                operation_id=f"demo-{paid_in:%y%m}-{k + 1}",
                method="cash",
                today=today,
            )
            accepted += 1
    return accepted
