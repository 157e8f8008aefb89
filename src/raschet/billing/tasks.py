"""Background entry points of billing (Django tasks API; one line each into a service)."""

from __future__ import annotations

from django_tasks import task


@task()
def billing_batch_task(batch_id: int) -> None:
    from raschet.billing.services import billing_batch_compute

    billing_batch_compute(batch_id=batch_id)
