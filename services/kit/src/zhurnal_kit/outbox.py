"""The transactional outbox: event rows written with the state change, published by a relay.

A relay publishes pending rows in id order with an idempotent producer (acks=all) and marks
them published afterwards. If it dies in between, the rows are published again on restart:
delivery is at-least-once and consumers deduplicate on the event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
from zhurnal_kit.events import Event, envelope, kafka_headers, topic_name
from zhurnal_kit.sql import Prepared
from zhurnal_kit.tables import outbox

log = logging.getLogger(__name__)

OUTBOX_PUBLISHED = Counter(
    "zhurnal_outbox_published_total", "Outbox events published to Kafka", ["service"]
)
OUTBOX_PENDING = Gauge(
    "zhurnal_outbox_pending", "Outbox events not yet published (seen by the relay)", ["service"]
)
OUTBOX_RELAY_ERRORS = Counter(
    "zhurnal_outbox_relay_errors_total",
    "Relay batches that failed and will be retried",
    ["service"],
)


@dataclass(frozen=True)
class OutboxMessage:
    """An enveloped event bound for a topic, ready to be stored in the outbox."""

    topic: str
    key: str
    envelope: EventEnvelope

    @classmethod
    def of(
        cls, event: Event, *, service: str, namespace: str = "", traceparent: str = ""
    ) -> OutboxMessage:
        """Envelope ``event`` for ``zhurnal.<service>.<aggregate>.v<schema>``."""
        env = envelope(event, producer=service, traceparent=traceparent)
        topic = topic_name(
            service, event.aggregate, version=event.schema_version, namespace=namespace
        )
        return cls(topic=topic, key=event.aggregate_id, envelope=env)


_INSERT = Prepared(
    outbox.insert()
    .values(
        {
            name: bindparam(name)
            for name in ("event_id", "topic", "key", "event_type", "envelope", "headers")
        }
    )
    .inline()
)


async def write_outbox(session: AsyncSession, messages: list[OutboxMessage]) -> None:
    """Insert the outbox rows in ``session``'s transaction."""
    await _INSERT.executemany(
        session,
        (
            {
                "event_id": uuid.UUID(m.envelope.event_id),
                "topic": m.topic,
                "key": m.key,
                "event_type": m.envelope.event_type,
                "envelope": m.envelope.SerializeToString(),
                "headers": json.dumps({k: v.decode() for k, v in kafka_headers(m.envelope)}),
            }
            for m in messages
        ),
    )


class OutboxRelay:
    """Publishes pending outbox rows to Kafka, in id order, then marks them published."""

    def __init__(
        self,
        *,
        service: str,
        session_factory: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        batch_size: int = 200,
        poll_interval_s: float = 0.2,
        retention: timedelta = timedelta(days=7),
        fault_pause_s: float = 0.0,
    ) -> None:
        self._service = service
        self._sessions = session_factory
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._retention = retention
        self._fault_pause_s = fault_pause_s
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the current batch and return from run()."""
        self._stopping.set()

    async def publish_batch(self) -> int:
        """Publish one batch; returns how many rows were published."""
        async with self._sessions() as session, session.begin():
            # SKIP LOCKED lets a second relay replica take other rows instead of waiting; the
            # row lock is held until the rows are marked, so no row is sent by two relays at once.
            rows = (
                await session.execute(
                    select(
                        outbox.c.id,
                        outbox.c.topic,
                        outbox.c.key,
                        outbox.c.envelope,
                        outbox.c.headers,
                    )
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            sends = [
                await self._producer.send(
                    row.topic,
                    value=row.envelope,
                    key=row.key.encode(),
                    headers=[(k, v.encode()) for k, v in row.headers.items()],
                )
                for row in rows
            ]
            # Every record acknowledged by all in-sync replicas before any row is marked.
            await asyncio.gather(*sends)
            if self._fault_pause_s:
                log.warning(
                    "fault drill: published, pausing before marking rows",
                    extra={"rows": len(rows), "pause_s": self._fault_pause_s},
                )
                await asyncio.sleep(self._fault_pause_s)
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(published_at=func.now())
            )
        OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
        return len(rows)

    async def prune(self) -> None:
        """Delete published rows older than the retention (they stay for investigation)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                outbox.delete().where(outbox.c.published_at < func.now() - self._retention)
            )

    async def _pending(self) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        return int(count or 0)

    async def run(self) -> None:
        """Publish until stopped; a failed batch is retried with backoff, never skipped."""
        backoff = self._poll_interval_s
        batches = 0
        while not self._stopping.is_set():
            try:
                published = await self.publish_batch()
                batches += 1
                if batches % 500 == 1:
                    await self.prune()
                OUTBOX_PENDING.labels(self._service).set(await self._pending())
                backoff = self._poll_interval_s
            except Exception:
                OUTBOX_RELAY_ERRORS.labels(self._service).inc()
                log.exception("outbox relay batch failed; retrying", extra={"backoff_s": backoff})
                published = 0
                backoff = min(backoff * 2, 10.0)
            if published < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
