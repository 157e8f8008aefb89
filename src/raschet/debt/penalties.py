"""Monthly penalties (пени) for every account, posted as their own ledger entries.

Recompute-and-diff, like the billing run: for each account × service × payee the whole
penalty accrued up to the last day of the month is computed by `raschet.core.penalties`
from the ledger's history, and the difference from the penalties already posted is posted
as entries of kind ``penalty`` (``penalty = True``) in that month. A second run of the same
month adds nothing; a payment or a recalculation entered late changes the next difference.

Tranches (rules.md §3.1): one per account × service × payee × payment-document month, the
charges billed in that month's document (charges, recalculations, reductions, benefits —
never penalties); their due date by `raschet.core.penalties.due_date` with the
organization's settings (capital repair: the region's day, ``capital_repair_due_day``).
Payments are the ledger's payment entries of that debt month on their payment date; a
reversed payment counts as never made. Write-offs count on the day they were posted. A
tranche whose base is not positive accrues nothing, and payments beyond the base are capped
at it (the rest was an advance). The capital-repair service accrues by ЖК ст.155 ч.14.1
(1/300 from day one).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from raschet.billing.arrays import days_sql, read
from raschet.core import penalties as core
from raschet.core.penalty_data import KeyRate as KeyRateRow
from raschet.core.penalty_data import PenaltyTables, SpecialKind
from raschet.core.penalty_data import SpecialPeriod as SpecialPeriodRow
from raschet.core.periods import Month
from raschet.debt.models import KeyRate, SpecialPeriod
from raschet.housing.models import Account
from raschet.ledger.models import EntryKind, LedgerEntry
from raschet.ledger.readahead import ReadAhead
from raschet.ledger.writes import entries_write
from raschet.organizations.models import ClosedMonth, Organization
from raschet.payments.models import Payment, PaymentState
from raschet.tariffs.models import Service

I64 = npt.NDArray[np.int64]
CAPITAL_REPAIR_CODE = "capital_repair"
EPOCH = date(2000, 1, 1).toordinal()


class PenaltyError(Exception):
    """A penalty run that cannot be made; the message says why, in Russian."""


def penalty_tables() -> PenaltyTables:
    """The key-rate table and special periods as an administrator keeps them."""
    return PenaltyTables(
        key_rates=tuple(
            KeyRateRow(r.effective_from, r.rate_hundredths)
            for r in KeyRate.objects.order_by("effective_from")
        ),
        special_periods=tuple(
            SpecialPeriodRow(
                p.start, p.end, SpecialKind(p.kind), p.rate_hundredths, p.debts_due_before, p.act
            )
            for p in SpecialPeriod.objects.order_by("start")
        ),
    )


def penalty_settings(organization: Organization) -> tuple[core.PenaltySettings, dict[str, Any]]:
    """The organization's penalty settings (``billing_settings``; rules.md §14 defaults)."""
    raw = organization.billing_settings or {}
    settings = core.PenaltySettings(
        payment_day_counted=bool(raw.get("penalty_payment_day_counted", True)),
        rate_strategy=core.RateStrategy(raw.get("penalty_rate_strategy", "payment_day")),
    )
    due = {
        "override_day": raw.get("payment_due_day"),
        "shift_weekends": bool(raw.get("penalty_shift_weekends", False)),
    }
    return settings, due


CAPITAL_REPAIR_DUE_DAY = "capital_repair_due_day"
"""``billing_settings`` key: the capital-repair due day of the next month set by the
region's law (ЖК ст.171 ч.1, rules.md §2.2); empty — the same as for ЖКУ."""


def capital_repair_due_options(organization: Organization) -> dict[str, Any]:
    """`raschet.core.penalties.due_date` options for capital-repair charges: the ЖКУ ones
    plus the regional day (``billing_settings["capital_repair_due_day"]``, 1–31) when set.
    A value that is not a day of a month is a `PenaltyError` naming the setting."""
    _settings, due = penalty_settings(organization)
    raw = (organization.billing_settings or {}).get(CAPITAL_REPAIR_DUE_DAY)
    if raw is None or raw == "":
        return due
    try:
        day = int(raw)
    except (TypeError, ValueError):
        day = 0
    if isinstance(raw, bool) or not 1 <= day <= 31 or str(day) != str(raw).strip():
        raise PenaltyError(
            f"Настройка {CAPITAL_REPAIR_DUE_DAY} (день срока взноса на капремонт): нужно число "
            f"от 1 до 31 или пусто, указано «{raw}»"
        )
    return {**due, "regional_day": day}


def due_options_for(organization: Organization, *, capital_repair: bool) -> dict[str, Any]:
    """The due-date options of a service: capital repair (`capital_repair_due_options`) or
    everything else (`penalty_settings`)."""
    if capital_repair:
        return capital_repair_due_options(organization)
    return penalty_settings(organization)[1]


@dataclass(frozen=True)
class PenaltyResult:
    period: date
    tranches: int
    entries: int
    total_kopecks: int


def _read_history(
    organization_id: int, until: date, lo: int, hi: int
) -> tuple[dict[str, I64], dict[str, I64]]:
    """The tranches of the accounts ``lo``…``hi`` that can carry a penalty, and their
    settlements — in one round trip.

    Tranche: the entries that create debt (``debt_period`` NULL, no penalties) of an account
    × service × payee × month, with a positive sum. Settlements: payment and write-off entries
    of that debt month by payment date (posting date for write-offs), reversed payments left
    out. A tranche settled in full by entries all posted no later than the month after its
    own is skipped: it was paid before its due date + 30 days, so it never carries a penalty
    (this keeps the history read to the late ones).
    """
    table = LedgerEntry._meta.db_table
    payments = Payment._meta.db_table
    pg = connection.vendor == "postgresql"
    m = "COALESCE(debt_period, period)"
    next_month = f"({m} + INTERVAL '1 month')" if pg else f"date({m}, '+1 month')"
    kept = (
        f"SELECT account_id AS a, service_id AS s, COALESCE(payee_id, -1) AS y, {m} AS m, "  # noqa: S608
        "SUM(CASE WHEN debt_period IS NULL THEN amount_kopecks ELSE 0 END) AS base "
        f"FROM {table} WHERE organization_id = %s AND account_id BETWEEN %s AND %s "
        "AND penalty = %s AND service_id IS NOT NULL AND period <= %s "
        f"GROUP BY account_id, service_id, payee_id, {m} "
        "HAVING SUM(CASE WHEN debt_period IS NULL THEN amount_kopecks ELSE 0 END) > 0 AND ("
        "SUM(amount_kopecks) > 0 OR "
        f"MAX(CASE WHEN debt_period IS NOT NULL AND period > {next_month} THEN 1 ELSE 0 END) = 1)"
    )
    day = days_sql("COALESCE(p.paid_on, CAST(e.posted_at AS date))")
    sql = (
        f"WITH kept AS {'MATERIALIZED ' if pg else ''}({kept}) "  # noqa: S608
        f"SELECT 0, a, s, y, {days_sql('m')}, 0, base FROM kept "
        f"UNION ALL SELECT 1, e.account_id, e.service_id, COALESCE(e.payee_id, -1), "
        f"{days_sql('e.debt_period')}, {day}, -SUM(e.amount_kopecks) "
        f"FROM {table} e JOIN kept k ON k.a = e.account_id AND k.s = e.service_id "
        "AND k.y = COALESCE(e.payee_id, -1) AND k.m = e.debt_period "
        f"LEFT JOIN {payments} p ON p.id = e.payment_id "
        "WHERE e.organization_id = %s AND e.account_id BETWEEN %s AND %s AND e.penalty = %s "
        "AND e.kind IN (%s, %s) AND (p.id IS NULL OR p.state <> %s) AND e.period <= %s "
        f"GROUP BY e.account_id, e.service_id, e.payee_id, e.debt_period, {day}"
    )
    rows = read(
        sql,
        [
            organization_id, lo, hi, False, until,
            organization_id, lo, hi, False, EntryKind.PAYMENT, EntryKind.WRITE_OFF,
            PaymentState.REVERSED, until,
        ],
        ["kind", "account", "service", "payee", "month", "day", "amount"],
    )  # fmt: skip
    is_tranche = rows.pop("kind") == 0
    tranches = {k: v[is_tranche] for k, v in rows.items() if k != "day"}
    settlements = {k: v[~is_tranche] for k, v in rows.items()}
    return tranches, settlements


def compute_penalties(
    organization: Organization,
    until: date,
    lo: int = 0,
    hi: int = 2**62,
    tables: PenaltyTables | None = None,
    history: tuple[dict[str, I64], dict[str, I64]] | None = None,
) -> dict[str, I64]:
    """The penalty accrued up to ``until`` per account × service × payee (kopecks), for the
    accounts with ids ``lo``…``hi`` (or for the ``history`` already read)."""
    t, s = history if history is not None else _read_history(organization.pk, until, lo, hi)
    n = len(t["amount"])
    if n == 0:
        return {k: np.zeros(0, dtype=np.int64) for k in ("account", "service", "payee", "penalty")}
    # find each settlement's tranche: one int64 key each, sorted once, searched
    t_key, s_key = compound_keys(
        [t["account"], t["service"], t["payee"], t["month"]],
        [s["account"], s["service"], s["payee"], s["month"]],
    )
    order = np.argsort(t_key, kind="stable")
    sorted_keys = t_key[order]
    pos = np.searchsorted(sorted_keys, s_key)
    found = pos < n
    found[found] = sorted_keys[pos[found]] == s_key[found]
    tranche = order[pos[found]]
    pay_day = s["day"][found] + EPOCH
    pay_amount = s["amount"][found]
    keep = pay_amount > 0
    tranche, pay_day, pay_amount = tranche[keep], pay_day[keep], pay_amount[keep]
    # cap payments at the base, in date order (what is beyond was an advance)
    by = np.lexsort((pay_day, tranche))
    tranche, pay_day, pay_amount = tranche[by], pay_day[by], pay_amount[by]
    cumulative = np.cumsum(pay_amount)
    start = np.searchsorted(tranche, tranche, side="left")
    before = cumulative - pay_amount - np.r_[0, cumulative][start]
    room = np.maximum(t["amount"][tranche] - before, 0)
    pay_amount = np.minimum(pay_amount, room)
    keep = pay_amount > 0
    settings, due_options = penalty_settings(organization)
    services = dict(Service.objects.filter(organization=organization).values_list("pk", "code"))
    capital = np.isin(
        t["service"], [pk for pk, code in services.items() if code == CAPITAL_REPAIR_CODE]
    )
    month_ordinals = (np.datetime64("2000-01-01", "D") + t["month"]).astype("datetime64[M]").astype(
        np.int64
    ) + 1970 * 12
    due = core.due_days(month_ordinals, **due_options)
    if capital.any():  # the regional capital-repair day (rules.md §2.2), if the region sets one
        capital_options = capital_repair_due_options(organization)
        if capital_options != due_options:
            due = np.where(capital, core.due_days(month_ordinals, **capital_options), due)
    accrued = core.accrue_penalties(
        core.Tranches(
            amount=t["amount"],
            due=due,
            regime=np.where(capital, core.Regime.CAPITAL_REPAIR, core.Regime.HOUSING).astype(
                np.int64
            ),
        ),
        core.TranchePayments(tranche=tranche[keep], day=pay_day[keep], amount=pay_amount[keep]),
        until=until,
        tables=tables or penalty_tables(),
        settings=settings,
    )
    # sum per account × service × payee
    (key,) = compound_keys([t["account"], t["service"], t["payee"]])
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    total = np.zeros(len(unique), dtype=np.int64)
    np.add.at(total, inverse.reshape(-1), accrued)
    return {
        "account": t["account"][first],
        "service": t["service"][first],
        "payee": t["payee"][first],
        "penalty": total,
    }


def compound_keys(*groups: list[I64]) -> list[I64]:
    """One int64 key per row for rows given as columns, equal exactly when all columns are
    equal, across every group of columns given (each column coded by its rank among the
    values of all groups — a mixed-radix number, far below 2⁶³ for one chunk)."""
    width = len(groups[0])
    keys = [np.zeros(len(g[0]), dtype=np.int64) for g in groups]
    for c in range(width):
        values = np.concatenate([g[c] for g in groups])
        unique, inverse = np.unique(values, return_inverse=True)
        inverse = inverse.reshape(-1)
        radix = max(len(unique), 1)
        at = 0
        for k, g in enumerate(groups):
            size = len(g[c])
            keys[k] = keys[k] * radix + inverse[at : at + size]
            at += size
    return keys


def _posted(organization_id: int, lo: int, hi: int) -> dict[str, I64]:
    table = LedgerEntry._meta.db_table
    sql = (
        f"SELECT account_id, COALESCE(service_id, -1), COALESCE(payee_id, -1), "  # noqa: S608
        f"SUM(amount_kopecks) FROM {table} WHERE organization_id = %s "
        "AND account_id BETWEEN %s AND %s AND penalty = %s AND kind = %s "
        "GROUP BY account_id, service_id, payee_id"
    )
    return read(
        sql,
        [organization_id, lo, hi, True, EntryKind.PENALTY],
        ["account", "service", "payee", "penalty"],
    )


CHUNK_ACCOUNTS = 50_000


def penalties_post(*, organization: Organization, period: date, user: Any = None) -> PenaltyResult:
    """Post the penalties accrued up to the last day of ``period`` (an open month).

    Accounts are taken in ranges of ids (`CHUNK_ACCOUNTS`), each range read, computed and
    written before the next, so memory stays bounded for a million accounts.
    """
    month = Month.of(period)
    until = month.end - timedelta(days=1)
    tranches = entries = total = 0
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if ClosedMonth.objects.filter(organization=organization, month=month.start).exists():
            raise PenaltyError(f"Месяц {month} закрыт: пени за него не начислить")
        tables = penalty_tables()
        ids = Account.objects.filter(organization=organization).aggregate(
            lo=Min("pk"), hi=Max("pk")
        )
        if ids["lo"] is None:
            return PenaltyResult(month.start, 0, 0, 0)
        now = timezone.now()
        ordinal = month.start.year * 12 + month.start.month - 1
        ranges = [
            (lo, lo + CHUNK_ACCOUNTS - 1) for lo in range(ids["lo"], ids["hi"] + 1, CHUNK_ACCOUNTS)
        ]
        # the history of the next ranges is grouped by the server on two other connections
        calls = [
            functools.partial(_read_history, organization.pk, until, lo, hi) for lo, hi in ranges
        ]
        ahead = connection.vendor == "postgresql" and len(ranges) > 1
        with ReadAhead(calls, enabled=ahead, workers=2) as history:
            for index, (lo, hi) in enumerate(ranges):
                t, s = history.result(index)
                accrued = compute_penalties(organization, until, tables=tables, history=(t, s))
                posted = _posted(organization.pk, lo, hi)
                delta = _difference(accrued, posted)
                tranches += len(accrued["penalty"])
                entries += entries_write(
                    organization_id=organization.pk,
                    kind=EntryKind.PENALTY,
                    account=delta["account"],
                    service=delta["service"],
                    payee=delta["payee"],
                    month=np.full(len(delta["amount"]), ordinal, dtype=np.int64),
                    amount=delta["amount"],
                    penalty=np.ones(len(delta["amount"]), dtype=np.int64),
                    posted_at=now,
                    posted_by_id=getattr(user, "pk", None),
                    note="пени по ч. 14 ст. 155 ЖК РФ",
                )
                total += int(delta["amount"].sum())
    return PenaltyResult(month.start, tranches, entries, total)


def _difference(accrued: dict[str, I64], posted: dict[str, I64]) -> dict[str, I64]:
    """accrued − posted per account × service × payee, the non-zero ones."""
    keys = ("account", "service", "payee")
    account = np.r_[accrued["account"], posted["account"]]
    service = np.r_[accrued["service"], posted["service"]]
    payee = np.r_[accrued["payee"], posted["payee"]]
    amount = np.r_[accrued["penalty"], -posted["penalty"]]
    if len(amount) == 0:
        return {**{k: np.zeros(0, dtype=np.int64) for k in keys}, "amount": amount}
    (key,) = compound_keys([account, service, payee])
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    sums = np.zeros(len(unique), dtype=np.int64)
    np.add.at(sums, inverse.reshape(-1), amount)
    nonzero = sums != 0
    return {
        "account": account[first][nonzero],
        "service": service[first][nonzero],
        "payee": payee[first][nonzero],
        "amount": sums[nonzero],
    }
