"""Reading the next chunks of a large job on other database connections while this one
writes the current chunk (PostgreSQL: the server groups rows on another core).

Safe only under the rule the callers keep: they hold the organization lock, so no other
transaction changes the rows read, and the chunks share no account, so what this
transaction has written and not committed (invisible to the other connections) never
belongs to a chunk read ahead. Each call runs on a worker thread with a connection of its
own, closed after the call. With ``enabled`` false the calls run in line, on this
connection — as they must in tests that keep their data in an uncommitted transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from django.db import connections

T = TypeVar("T")


def _on_own_connection(call: Callable[[], T]) -> T:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SET work_mem = '256MB'")  # group in memory, not on disk
        return call()
    finally:
        connections["default"].close()


class ReadAhead(Generic[T]):
    """``results(i)`` is ``calls[i]()``; up to ``workers`` later calls run meanwhile."""

    def __init__(
        self, calls: Sequence[Callable[[], T]], *, enabled: bool, workers: int = 1
    ) -> None:
        self.calls = calls
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers) if enabled else None
        self.futures: dict[int, Future[T]] = {}

    def __enter__(self) -> ReadAhead[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            for future in self.futures.values():
                future.cancel()
            self.pool.shutdown(wait=True)

    def _submit(self, index: int) -> None:
        if self.pool is not None and index < len(self.calls) and index not in self.futures:
            self.futures[index] = self.pool.submit(_on_own_connection, self.calls[index])

    def result(self, index: int) -> T:
        if self.pool is None:
            return self.calls[index]()
        for ahead in range(index, index + self.workers + 1):
            self._submit(ahead)
        return self.futures.pop(index).result()
