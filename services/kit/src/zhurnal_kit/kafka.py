"""aiokafka clients configured the one way every service uses them."""

from __future__ import annotations

import contextlib

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from zhurnal_kit.settings import ServiceSettings


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """An idempotent producer: acks from all in-sync replicas, no duplicates on its retries."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=f"zhurnal-{settings.service_name}",
        enable_idempotence=True,
        acks="all",  # explicit although idempotence implies it: the outbox relies on it
        linger_ms=5,
        request_timeout_ms=15000,
    )


def make_consumer(settings: ServiceSettings, *topics: str, group_id: str) -> AIOKafkaConsumer:
    """A consumer that commits offsets only when told (after the effect is committed)."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=f"zhurnal-{settings.service_name}",
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_interval_ms=300000,
    )


async def ensure_topics(
    settings: ServiceSettings, topics: list[str], *, partitions: int = 3
) -> None:
    """Create ``topics`` if missing, so a consumer can subscribe before any producer wrote."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            # Another process may create one between our look-up and create: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
    finally:
        await admin.close()
