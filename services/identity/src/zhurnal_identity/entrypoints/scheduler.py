"""The identity scheduler process: timed work that must happen without a request.

- temporary access ends on time (R-4.1, R-4.4): every few seconds, well within a minute;
- Keycloak's admin events are reflected (a user disabled in the console loses access);
- a full reconciliation with Keycloak now and then;
- hires that died half-way are undone.
One process runs it (two would only do the same work twice: the expiry locks rows it ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from prometheus_client import Counter

from zhurnal_identity.bootstrap import Identity, bootstrap
from zhurnal_identity.config import IdentitySettings
from zhurnal_identity.service_layer import access, accounts
from zhurnal_kit import runtime

log = logging.getLogger(__name__)

JOB_FAILURES = Counter(
    "zhurnal_identity_job_failures_total", "Scheduler job runs that failed", ["job"]
)


async def every(
    name: str, interval_s: float, job: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> None:
    """Run ``job`` every ``interval_s`` until stopped; a failure is logged and retried."""
    while not stop.is_set():
        try:
            await job()
        except Exception:
            JOB_FAILURES.labels(name).inc()
            log.exception("scheduled job failed", extra={"job": name})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)


async def run(settings: IdentitySettings) -> None:
    """Migrate, then run the jobs until signalled."""
    await runtime.prepare_database(settings, "zhurnal_identity")
    app: Identity = bootstrap(settings)
    stop = asyncio.Event()
    runtime.on_stop_signals(stop.set)
    s = settings
    try:
        await asyncio.gather(
            every(
                "expire_bindings", s.expiry_interval_s, lambda: access.expire_due(app.uow()), stop
            ),
            every(
                "reflect_admin_events",
                s.account_events_interval_s,
                lambda: accounts.reflect_admin_events(app.uow, app.accounts),
                stop,
            ),
            every(
                "reconcile_accounts",
                s.reconcile_interval_s,
                lambda: accounts.reconcile_all(app.uow, app.accounts),
                stop,
            ),
            every(
                "undo_stale_pending",
                60.0,
                lambda: accounts.undo_stale_pending(app.uow, app.accounts),
                stop,
            ),
        )
    finally:
        await app.close()


def main() -> None:
    """Entry point: ``python -m zhurnal_identity.entrypoints.scheduler``."""
    settings = IdentitySettings()
    runtime.run(lambda: run(settings), settings)


if __name__ == "__main__":
    main()
