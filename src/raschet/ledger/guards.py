"""The one way past the append-only guards: wiping a disposable (demo) organization."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from raschet.ledger.models import PurgeFlag


@contextmanager
def purge(reason: str) -> Iterator[None]:
    """Inside this block (one transaction) the ledger, posted lines and closed months of
    the organizations being wiped may be deleted. Nothing else may use it."""
    with transaction.atomic():
        flag = PurgeFlag.objects.create(reason=reason)
        yield
        PurgeFlag.objects.filter(pk=flag.pk).delete()
