"""The journal's monitor: the timeliness of the journal (R-3.2) and the chaining of its history
(R-1.6, ADR 15).

Every monitor_interval_s it recounts overdue lessons into the gauges Prometheus scrapes from
this process, and announces the end of period unlocks whose time is up. Every
chain_interval_s it chains the changes use cases staged onto their institutions' history.

Several replicas may run: each exports the same counts (the alerts take the max per
institution), the unlock rows each announces are locked, so no end is announced twice, and an
institution's chain is extended under its head's lock, so two chainers take turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_journal.bootstrap import unit_of_work
from zhurnal_journal.config import JournalSettings
from zhurnal_journal.service_layer import history, timeliness
from zhurnal_kit import runtime
from zhurnal_kit.db import make_engine, make_session_factory

log = logging.getLogger(__name__)

ROUND_FAILURES = Counter(
    "zhurnal_journal_monitor_failures_total",
    "Monitor jobs that failed and will be tried again next interval",
    ["job"],
)


async def attempt(name: str, job: Callable[[], Awaitable[object]]) -> bool:
    """Run one job; a failure (the database away, a bad row) is logged and counted, never
    raised, so the loop goes on and the next interval tries again."""
    try:
        await job()
    except Exception:
        ROUND_FAILURES.labels(name).inc()
        log.exception("monitor job failed; retrying next interval", extra={"job": name})
        return False
    return True


async def monitor_round(
    settings: JournalSettings, sessions: Callable[[], AsyncSession], now: datetime
) -> None:
    """One round: the gauges, then the unlocks; each job fails on its own."""
    await attempt(
        "refresh_gauges", lambda: timeliness.refresh_gauges(unit_of_work(settings, sessions), now)
    )
    await attempt(
        "announce_expired_unlocks",
        lambda: timeliness.announce_expired_unlocks(unit_of_work(settings, sessions), now),
    )


async def every(
    interval_s: float, stop: asyncio.Event, round_: Callable[[], Awaitable[object]]
) -> None:
    """Run ``round_`` every ``interval_s`` until ``stop`` is set."""
    while not stop.is_set():
        await round_()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)


async def run(settings: JournalSettings) -> None:
    """Migrate, then count, announce and chain every interval until signalled."""
    await runtime.prepare_database(settings, "zhurnal_journal")
    # Only the database is needed: no gRPC clients or token verifier as bootstrap() makes.
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    stop = asyncio.Event()
    runtime.on_stop_signals(stop.set)
    log.info(
        "journal monitor running",
        extra={
            "interval_s": settings.monitor_interval_s,
            "chain_interval_s": settings.chain_interval_s,
        },
    )
    try:
        await asyncio.gather(
            every(
                settings.monitor_interval_s,
                stop,
                lambda: monitor_round(settings, sessions, datetime.now(UTC)),
            ),
            every(
                settings.chain_interval_s,
                stop,
                lambda: attempt(
                    "chain_history",
                    lambda: history.chain_pending(lambda: unit_of_work(settings, sessions)),
                ),
            ),
        )
    finally:
        await engine.dispose()


def main() -> None:
    """Entry point: ``python -m zhurnal_journal.entrypoints.monitor``."""
    settings = JournalSettings()
    runtime.run(lambda: run(settings), settings)


if __name__ == "__main__":
    main()
