"""The write phase of a readings import, inside the caller's transaction.

Superseded readings lose ``is_current`` with one UPDATE per chunk of ids, then the new rows
go in: PostgreSQL gets `COPY` (architecture.md §1: ~40× faster than `bulk_create`), SQLite
gets `bulk_create`. Nothing is updated in place except the ``is_current`` flag, so a
correction keeps the old row and points at it (``supersedes``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal

import numpy as np
from django.db import connection

from raschet.core.readings import READING_SCALE, ReadingStatus
from raschet.importers import pgcopy
from raschet.metering.import_check import Plan
from raschet.metering.import_parse import ZONE_CODES, month_from_ordinal
from raschet.metering.models import Reading, ReadingKind, ReadingSource, ReadingState
from raschet.organizations.models import Organization

Progress = Callable[[int], None]
_COPY_CHUNK = 50_000
_STATE = {
    int(ReadingStatus.OK): ReadingState.OK.value,
    int(ReadingStatus.ROLLOVER): ReadingState.ROLLOVER.value,
    int(ReadingStatus.HIGH): ReadingState.FLAGGED.value,
}
ORIGIN_MAX = Reading._meta.get_field("origin").max_length or 200


class ReadingsChanged(Exception):
    """Another writer changed the same readings while the file was being checked."""


def origin_prefix(file_name: str) -> str:
    """``<file name>:`` cut so that ``<name>:<row>`` fits the origin column."""
    return file_name[: ORIGIN_MAX - 12] + ":"


def plan_write(
    *,
    plan: Plan,
    organization: Organization,
    user_id: int | None,
    file_name: str,
    now: datetime,
    progress: Progress,
) -> None:
    _unset_current(plan.superseded_ids)
    if connection.vendor == "postgresql":
        _copy(plan, organization, user_id, origin_prefix(file_name), now, progress)
    else:
        _bulk_create(plan, organization, user_id, origin_prefix(file_name), now, progress)


def _unset_current(ids: np.ndarray) -> None:
    table = connection.ops.quote_name(Reading._meta.db_table)
    chunk = 10_000 if connection.vendor == "postgresql" else 500
    with connection.cursor() as cursor:
        for start in range(0, len(ids), chunk):
            part = [int(i) for i in ids[start : start + chunk]]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"UPDATE {table} SET is_current = %s WHERE is_current = %s AND id IN ({marks})",  # noqa: S608
                [False, True, *part],
            )
            if cursor.rowcount != len(part):
                raise ReadingsChanged


def _months(plan: Plan) -> dict[int, date]:
    return {int(m): month_from_ordinal(int(m)) for m in np.unique(plan.period)}


def _copy(
    plan: Plan, org: Organization, user_id: int | None, origin: str, now: datetime,
    progress: Progress,
) -> None:  # fmt: skip
    """Text `COPY`: the lines are formatted here, a chunk at a time, to keep memory flat."""
    columns = (
        "organization_id", "meter_id", "zone", "period", "kind", "value", "volume", "taken_on",
        "source", "state", "is_current", "supersedes_id", "entered_at", "entered_by_id", "origin",
    )  # fmt: skip
    origin_text = pgcopy.escape(origin)
    head = f"{org.pk}\t"
    tail_common = f"\t{ReadingSource.FILE.value}\t"
    after_state = "\tt\t"
    stamp = f"\t{now.isoformat()}\t{user_id if user_id is not None else chr(92) + 'N'}\t"
    months = {m: d.isoformat() for m, d in _months(plan).items()}
    days = {int(t): date.fromordinal(int(t)).isoformat() for t in np.unique(plan.taken)}
    kind = ReadingKind.REGULAR.value
    zone_codes = ZONE_CODES
    n = len(plan.row)

    def chunks() -> Iterator[str]:
        # Sent from a thread (pgcopy): formatting the next chunk overlaps with the server
        # taking the previous one.
        for start in range(0, n, _COPY_CHUNK):
            end = min(start + _COPY_CHUNK, n)
            lines = []
            for meter, zone, period, value, volume, taken, status, sup, row in zip(
                plan.meter_id[start:end].tolist(),
                plan.zone[start:end].tolist(),
                plan.period[start:end].tolist(),
                plan.value[start:end].tolist(),
                plan.volume[start:end].tolist(),
                plan.taken[start:end].tolist(),
                plan.status[start:end].tolist(),
                plan.supersedes[start:end].tolist(),
                plan.row[start:end].tolist(),
                strict=True,
            ):
                vol = f"{volume // 1000}.{volume % 1000:03d}" if volume >= 0 else "\\N"
                lines.append(
                    f"{head}{meter}\t{zone_codes[zone]}\t{months[period]}\t{kind}\t"
                    f"{value // 1000}.{value % 1000:03d}\t{vol}\t"
                    f"{days[taken]}{tail_common}{_STATE[status]}"
                    f"{after_state}{sup if sup else chr(92) + 'N'}{stamp}{origin_text}{row}\n"
                )
            yield "".join(lines)
            progress(end)

    pgcopy.copy_chunks(Reading._meta.db_table, columns, chunks())


def _bulk_create(
    plan: Plan, org: Organization, user_id: int | None, origin: str, now: datetime,
    progress: Progress,
) -> None:  # fmt: skip
    months = _months(plan)
    objs = [
        Reading(
            organization_id=org.pk,
            meter_id=meter,
            zone=ZONE_CODES[zone],
            period=months[period],
            kind=ReadingKind.REGULAR,
            value=Decimal(value) / READING_SCALE,
            volume=Decimal(volume) / READING_SCALE if volume >= 0 else None,
            taken_on=date.fromordinal(taken),
            source=ReadingSource.FILE,
            state=_STATE[status],
            is_current=True,
            supersedes_id=sup or None,
            entered_at=now,
            entered_by_id=user_id,
            origin=f"{origin}{row}",
        )
        for meter, zone, period, value, volume, taken, status, sup, row in zip(
            plan.meter_id.tolist(),
            plan.zone.tolist(),
            plan.period.tolist(),
            plan.value.tolist(),
            plan.volume.tolist(),
            plan.taken.tolist(),
            plan.status.tolist(),
            plan.supersedes.tolist(),
            plan.row.tolist(),
            strict=True,
        )
    ]
    Reading.objects.bulk_create(objs, batch_size=500)
    progress(len(objs))
