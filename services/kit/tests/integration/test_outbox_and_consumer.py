"""The outbox relay and the idempotent consumer against the real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
from zhurnal.identity.v1 import events_pb2, identity_pb2
from zhurnal_kit.consumer import IdempotentConsumer
from zhurnal_kit.db import UnitOfWork
from zhurnal_kit.events import HEADER_ERROR, Event, dead_letter_topic, topic_name
from zhurnal_kit.kafka import ensure_topics
from zhurnal_kit.outbox import OutboxRelay
from zhurnal_kit.pytest_plugin import Infra
from zhurnal_kit.settings import ServiceSettings
from zhurnal_kit.tables import kit_metadata, outbox, processed_event

pytestmark = pytest.mark.infra

effects_metadata = MetaData()
effect = Table("effect", effects_metadata, Column("event_id", String(36), primary_key=True))


@pytest.fixture(scope="module")
async def engine(make_database: Callable[[str], str]) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(make_database("kit_outbox"))
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
        await conn.run_sync(effects_metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def settings(infra: Infra) -> ServiceSettings:
    return ServiceSettings(
        kafka_bootstrap=infra.kafka_bootstrap, kafka_topic_namespace=f"k{uuid.uuid4().hex[:8]}"
    )


@pytest.fixture
async def producer(infra: Infra) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, enable_idempotence=True, acks="all"
    )
    await producer.start()
    yield producer
    await producer.stop()


def event(n: int) -> Event:
    return Event(
        aggregate="institution",
        aggregate_id=f"agg-{n % 2}",
        payload=events_pb2.InstitutionCreated(
            institution=identity_pb2.Institution(id=f"i-{n}", code=f"c-{n}")
        ),
    )


async def read_all(infra: Infra, topic: str, expected: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=infra.kafka_bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(30):
            while len(records) < expected:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_unit_of_work_writes_the_outbox_only_when_committed(
    engine: AsyncEngine, settings: ServiceSettings
) -> None:
    sessions = async_sessionmaker(engine)
    marker = f"rolled-back-{uuid.uuid4().hex}"
    async with UnitOfWork(
        sessions, producer="test", namespace=settings.kafka_topic_namespace
    ) as uow:
        uow.publish(Event(aggregate="x", aggregate_id=marker, payload=identity_pb2.Institution()))
        # leaving without commit: nothing may stay
    async with sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.key == marker)
            )
            == 0
        )


async def test_relay_publishes_in_order_and_marks_rows(
    engine: AsyncEngine, settings: ServiceSettings, producer: AIOKafkaProducer, infra: Infra
) -> None:
    sessions = async_sessionmaker(engine)
    for n in range(5):
        async with UnitOfWork(
            sessions, producer="identity", namespace=settings.kafka_topic_namespace
        ) as uow:
            uow.publish(event(n))
            await uow.commit()
    relay = OutboxRelay(
        service="identity", session_factory=sessions, producer=producer, batch_size=3
    )
    assert await relay.publish_batch() == 3
    assert await relay.publish_batch() == 2
    assert await relay.publish_batch() == 0
    topic = topic_name("identity", "institution", namespace=settings.kafka_topic_namespace)
    records = await read_all(infra, topic, 5)
    by_key: dict[bytes, list[str]] = {}
    for r in records:
        env = EventEnvelope.FromString(r.value)
        by_key.setdefault(r.key, []).append(env.aggregate_id)
        assert dict(r.headers)["zhurnal-event-id"] == env.event_id.encode()
    # One aggregate's events keep their order: they share a key, hence a partition.
    assert sorted(by_key) == [b"agg-0", b"agg-1"]
    async with sessions() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.published_at.is_(None), outbox.c.topic == topic)
            )
            == 0
        )


class Recorder:
    """A handler that records the event id as its effect, failing the first ``fail`` times."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.calls = 0

    async def __call__(self, uow: UnitOfWork, env: EventEnvelope) -> None:
        self.calls += 1
        if self.calls <= self.fail:
            raise RuntimeError("transient trouble")
        await uow.session.execute(effect.insert().values(event_id=env.event_id))


async def consumer_for(settings: ServiceSettings, topic: str, group: str) -> AIOKafkaConsumer:
    await ensure_topics(settings, [topic, dead_letter_topic(topic)])
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    return consumer


async def drain(worker: IdempotentConsumer, consumer: AIOKafkaConsumer, count: int) -> list[str]:
    outcomes: list[str] = []
    async with asyncio.timeout(30):
        while len(outcomes) < count:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for record in records:
                    outcomes.append(await worker.handle_record(record))
                    await consumer.commit({tp: record.offset + 1})
    return outcomes


async def test_consumer_applies_once_and_dead_letters_after_retries(
    engine: AsyncEngine, settings: ServiceSettings, producer: AIOKafkaProducer, infra: Infra
) -> None:
    sessions = async_sessionmaker(engine)
    topic = topic_name("identity", "institution", namespace=settings.kafka_topic_namespace)
    consumer = await consumer_for(settings, topic, "test.consumer")
    healthy, doomed = Recorder(fail=2), Recorder(fail=99)
    good = EventEnvelope(event_id=str(uuid.uuid4()), event_type="good")
    bad = EventEnvelope(event_id=str(uuid.uuid4()), event_type="bad")
    for env in (good, good, bad):  # the same event twice: a redelivery
        await producer.send_and_wait(topic, env.SerializeToString(), key=b"k")
    await producer.send_and_wait(topic, b"\xff not an envelope", key=b"k")
    unknown = EventEnvelope(event_id=str(uuid.uuid4()), event_type="unknown")
    # One key, hence one partition: the outcomes come back in the order sent.
    await producer.send_and_wait(topic, unknown.SerializeToString(), key=b"k")
    worker = IdempotentConsumer(
        group_id="test.consumer",
        consumer=consumer,
        dlq_producer=producer,
        uow_factory=lambda: UnitOfWork(sessions, producer="test"),
        handlers={"good": healthy, "bad": doomed},
        max_attempts=3,
        retry_backoff_s=0.01,
    )
    try:
        outcomes = await drain(worker, consumer, 5)
    finally:
        await consumer.stop()
    assert outcomes == ["applied", "duplicate", "dead_lettered", "dead_lettered", "ignored"]
    assert healthy.calls == 3  # two transient failures, then success; the duplicate never runs
    assert doomed.calls == 3  # bounded retries
    async with sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(effect).where(effect.c.event_id == good.event_id)
            )
            == 1
        )
        assert (
            await session.scalar(
                select(func.count()).select_from(effect).where(effect.c.event_id == bad.event_id)
            )
            == 0
        )
        assert (
            await session.scalar(
                select(func.count())
                .select_from(processed_event)
                .where(processed_event.c.event_id == bad.event_id)
            )
            == 0
        )
    dead = await read_all(infra, dead_letter_topic(topic), 2)
    errors = [dict(r.headers)[HEADER_ERROR].decode() for r in dead]
    assert errors[0] == "RuntimeError: transient trouble"
    assert errors[1].startswith("unparseable envelope")
    # Every record's offset is committed, the dead-lettered ones too: nothing redelivers.
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets("test.consumer")
    finally:
        await admin.close()
    assert sum(meta.offset for tp, meta in committed.items() if tp.topic == topic) == 5
