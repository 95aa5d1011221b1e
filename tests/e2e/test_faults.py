"""Crashes lose nothing and apply nothing twice (outbox relay and idempotent consumer).

Each drill replaces a running process with one that pauses at the dangerous point
(``FAULT_PAUSE_S``), SIGKILLs it there, starts a normal one, and checks the event reached
curriculum's table exactly once.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from e2e.kafka_probe import envelopes
from e2e.test_institution_slice import create, institution_body, topic, wait_for

from zhurnal_kit.pytest_plugin import Person, Stack

pytestmark = pytest.mark.infra


async def projected_once(stack: Stack, pg: Any, institution_id: str, event_id: str) -> None:
    curriculum = await pg(stack.database_urls["curriculum"])
    assert (
        await curriculum.fetchval(
            "SELECT count(*) FROM institution_calendar WHERE institution_id = $1", institution_id
        )
        == 1
    )
    assert (
        await curriculum.fetchval(
            "SELECT count(*) FROM processed_event WHERE event_id = $1", event_id
        )
        == 1
    )


async def test_relay_killed_after_publishing_before_marking(
    stack: Stack, district_admin: Person, pg: Any
) -> None:
    stack.stop("identity-relay")
    stack.start("identity-relay", ZHURNAL_IDENTITY_FAULT_PAUSE_S="60")
    try:
        reply = await create(stack, district_admin, institution_body())
        assert reply.status_code == 201
        institution_id = reply.json()["id"]
        identity = await pg(stack.database_urls["identity"])
        event_id = str(
            await identity.fetchval("SELECT event_id FROM outbox WHERE key = $1", institution_id)
        )

        async def on_kafka() -> list[Any]:
            return await envelopes(stack.infra.kafka_bootstrap, topic(stack), key=institution_id)

        await wait_for(on_kafka, what="the paused relay to publish the event")
        stack.kill("identity-relay")
    finally:
        if "identity-relay" in stack.procs:
            stack.kill("identity-relay")
    assert (
        await identity.fetchval("SELECT published_at FROM outbox WHERE key = $1", institution_id)
        is None
    )

    stack.start("identity-relay")

    async def marked() -> bool:
        return bool(
            await identity.fetchval(
                "SELECT published_at IS NOT NULL FROM outbox WHERE key = $1", institution_id
            )
        )

    await wait_for(marked, what="the restarted relay to publish the event again and mark it")
    published = await envelopes(stack.infra.kafka_bootstrap, topic(stack), key=institution_id)
    # At-least-once delivery: Kafka holds the event twice, with the same event id ...
    assert [e.event_id for e in published] == [event_id, event_id]

    async def consumed_both() -> bool:
        return (
            stack.metric(
                "curriculum-consumers", "zhurnal_events_consumed_total", outcome="duplicate"
            )
            >= 1
        )

    await wait_for(consumed_both, what="the consumer to see the redelivered copy")
    # ... and the consumer applied it exactly once.
    await projected_once(stack, pg, institution_id, event_id)


async def committed_offsets(stack: Stack) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.infra.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets("curriculum.projections")
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items() if tp.topic == topic(stack)}


async def test_consumer_killed_after_applying_before_committing_its_offset(
    stack: Stack, district_admin: Person, pg: Any
) -> None:
    stack.stop("curriculum-consumers")
    stack.start("curriculum-consumers", ZHURNAL_CURRICULUM_FAULT_PAUSE_S="60")
    try:
        before = await committed_offsets(stack)
        reply = await create(stack, district_admin, institution_body())
        assert reply.status_code == 201
        institution_id = reply.json()["id"]
        identity = await pg(stack.database_urls["identity"])
        event_id = str(
            await identity.fetchval("SELECT event_id FROM outbox WHERE key = $1", institution_id)
        )
        curriculum = await pg(stack.database_urls["curriculum"])

        async def applied() -> bool:
            return bool(
                await curriculum.fetchval(
                    "SELECT count(*) FROM institution_calendar WHERE institution_id = $1",
                    institution_id,
                )
            )

        await wait_for(applied, what="the paused consumer to apply the event")
        stack.kill("curriculum-consumers")
    finally:
        if "curriculum-consumers" in stack.procs:
            stack.kill("curriculum-consumers")
    # The effect is committed, the offset is not: Kafka will deliver the event again.
    assert await committed_offsets(stack) == before

    stack.start("curriculum-consumers")

    async def redelivered_and_committed() -> bool:
        duplicates = stack.metric(
            "curriculum-consumers", "zhurnal_events_consumed_total", outcome="duplicate"
        )
        return duplicates >= 1 and await committed_offsets(stack) != before

    await wait_for(
        redelivered_and_committed,
        timeout=90,
        what="the restarted consumer to skip the redelivery and commit",
    )
    await projected_once(stack, pg, institution_id, event_id)
