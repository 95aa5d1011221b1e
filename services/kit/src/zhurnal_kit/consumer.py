"""The idempotent consumer: effect and processed-event row in one transaction, then the offset.

A record is handled at most once per consumer group however often Kafka delivers it: the
processed_event primary key (consumer group, event id) is inserted in the same transaction as
the handler's effect. Offsets are committed only after that transaction commits, so a crash
before the commit redelivers the record, and the redelivery is recognised and skipped.
A record that fails ``max_attempts`` times goes to ``<topic>.dlq`` with the error, and only
then is its offset committed: nothing is acknowledged silently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from google.protobuf.message import DecodeError
from prometheus_client import Counter
from sqlalchemy.dialects.postgresql import insert

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
from zhurnal_kit.db import UnitOfWork
from zhurnal_kit.events import HEADER_ERROR, HEADER_ORIGINAL_TOPIC, dead_letter_topic
from zhurnal_kit.logging import trace_id_from_traceparent, trace_id_var
from zhurnal_kit.tables import processed_event

log = logging.getLogger(__name__)

EVENTS_CONSUMED = Counter(
    "zhurnal_events_consumed_total",
    "Events handled by a consumer, by outcome (applied, duplicate, ignored, dead_lettered)",
    ["group", "topic", "outcome"],
)

Handler = Callable[[UnitOfWork, EventEnvelope], Awaitable[None]]


class IdempotentConsumer:
    """Consumes topics for one consumer group, dispatching on the envelope's event type."""

    def __init__(
        self,
        *,
        group_id: str,
        consumer: AIOKafkaConsumer,
        dlq_producer: AIOKafkaProducer,
        uow_factory: Callable[[], UnitOfWork],
        handlers: Mapping[str, Handler],
        max_attempts: int = 5,
        retry_backoff_s: float = 0.5,
        fault_pause_s: float = 0.0,
    ) -> None:
        self._group_id = group_id
        self._consumer = consumer
        self._dlq = dlq_producer
        self._uow_factory = uow_factory
        self._handlers = handlers
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._fault_pause_s = fault_pause_s
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the current record and return from run()."""
        self._stopping.set()

    async def run(self) -> None:
        """Handle records until stopped."""
        while not self._stopping.is_set():
            batches = await self._consumer.getmany(timeout_ms=500, max_records=100)
            for tp, records in batches.items():
                for record in records:
                    await self.handle_record(record)
                    if self._fault_pause_s:
                        log.warning(
                            "fault drill: applied, pausing before committing the offset",
                            extra={"pause_s": self._fault_pause_s},
                        )
                        await asyncio.sleep(self._fault_pause_s)
                    await self._consumer.commit({tp: record.offset + 1})

    async def handle_record(self, record: ConsumerRecord[Any, Any]) -> str:
        """Apply one record exactly once; returns the outcome."""
        try:
            env = EventEnvelope.FromString(record.value)
            if not env.event_id:
                raise ValueError("envelope has no event_id")
        except (DecodeError, ValueError) as exc:
            # A record that cannot be parsed will never succeed: straight to the dead letters.
            await self._dead_letter(record, f"unparseable envelope: {exc}")
            return self._count(record, "dead_lettered")
        token = trace_id_var.set(trace_id_from_traceparent(env.traceparent))
        try:
            handler = self._handlers.get(env.event_type)
            if handler is None:
                return self._count(record, "ignored")
            error = ""
            for attempt in range(1, self._max_attempts + 1):
                try:
                    return self._count(record, await self._apply(record, env, handler))
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "handler failed",
                        exc_info=True,
                        extra={
                            "event_id": env.event_id,
                            "event_type": env.event_type,
                            "attempt": attempt,
                            "max_attempts": self._max_attempts,
                        },
                    )
                    if attempt < self._max_attempts:
                        await asyncio.sleep(self._retry_backoff_s * 2 ** (attempt - 1))
            await self._dead_letter(record, error)
            return self._count(record, "dead_lettered")
        finally:
            trace_id_var.reset(token)

    async def _apply(
        self, record: ConsumerRecord[Any, Any], env: EventEnvelope, handler: Handler
    ) -> str:
        async with self._uow_factory() as uow:
            # The primary key decides: a redelivered event inserts nothing and is skipped.
            claimed = await uow.session.scalar(
                insert(processed_event)
                .values(
                    consumer_group=self._group_id,
                    event_id=env.event_id,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                )
                .on_conflict_do_nothing()
                .returning(processed_event.c.event_id)
            )
            if claimed is None:
                return "duplicate"
            await handler(uow, env)
            await uow.commit()
        return "applied"

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], error: str) -> None:
        headers = [
            *list(record.headers or ()),
            (HEADER_ERROR, error[:1000].encode()),
            (HEADER_ORIGINAL_TOPIC, record.topic.encode()),
        ]
        await self._dlq.send_and_wait(
            dead_letter_topic(record.topic), value=record.value, key=record.key, headers=headers
        )
        log.error(
            "event dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": error,
            },
        )

    def _count(self, record: ConsumerRecord[Any, Any], outcome: str) -> str:
        EVENTS_CONSUMED.labels(self._group_id, record.topic, outcome).inc()
        return outcome
