"""Reads what really reached a Kafka topic (no consumer group, from the beginning)."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from zhurnal.common.v1.envelope_pb2 import EventEnvelope


async def envelopes(bootstrap: str, topic: str, *, key: str) -> list[EventEnvelope]:
    """Every envelope on ``topic`` whose record key is ``key``, in partition order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        found: list[EventEnvelope] = []
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                found += [
                    EventEnvelope.FromString(r.value) for r in records if r.key == key.encode()
                ]
        return found
    finally:
        await consumer.stop()
