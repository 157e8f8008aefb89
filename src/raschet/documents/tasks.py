"""Background entry points of printing (Django tasks API; one line each into a service)."""

from __future__ import annotations

from django_tasks import task


@task()
def print_batch_task(batch_id: int) -> None:
    from raschet.documents.services import print_batch

    print_batch(batch_id=batch_id)
