"""The envelope and topic naming."""

import pytest

from zhurnal.identity.v1 import events_pb2, identity_pb2
from zhurnal_kit.events import (
    HEADER_EVENT_ID,
    HEADER_EVENT_TYPE,
    HEADER_SCHEMA_VERSION,
    Event,
    dead_letter_topic,
    envelope,
    kafka_headers,
    topic_name,
    unpack,
)
from zhurnal_kit.outbox import OutboxMessage


def test_topic_names_follow_the_convention() -> None:
    assert topic_name("identity", "institution") == "zhurnal.identity.institution.v1"
    assert topic_name("journal", "lesson", version=2, namespace="t1") == (
        "t1.zhurnal.journal.lesson.v2"
    )
    assert dead_letter_topic("zhurnal.identity.institution.v1") == (
        "zhurnal.identity.institution.v1.dlq"
    )


def created() -> Event:
    return Event(
        aggregate="institution",
        aggregate_id="i-1",
        institution_id="i-1",
        payload=events_pb2.InstitutionCreated(institution=identity_pb2.Institution(id="i-1")),
    )


def test_envelope_carries_identity_type_and_payload() -> None:
    env = envelope(created(), producer="identity", traceparent="00-" + "a" * 32 + "-b-01")
    assert env.event_type == "zhurnal.identity.v1.InstitutionCreated"
    assert env.producer == "identity" and env.aggregate_id == "i-1"
    assert env.schema_version == 1 and env.occurred_at.seconds > 0
    assert unpack(env, events_pb2.InstitutionCreated).institution.id == "i-1"
    assert envelope(created(), producer="identity").event_id != env.event_id
    headers = dict(kafka_headers(env))
    assert headers[HEADER_EVENT_ID] == env.event_id.encode()
    assert headers[HEADER_EVENT_TYPE] == b"zhurnal.identity.v1.InstitutionCreated"
    assert headers[HEADER_SCHEMA_VERSION] == b"1"
    assert headers["traceparent"].startswith(b"00-")


def test_unpack_refuses_another_type() -> None:
    env = envelope(created(), producer="identity")
    with pytest.raises(ValueError, match=r"carries zhurnal\.identity\.v1\.InstitutionCreated"):
        unpack(env, identity_pb2.Institution)


def test_outbox_message_is_keyed_by_aggregate_on_the_namespaced_topic() -> None:
    message = OutboxMessage.of(created(), service="identity", namespace="t9")
    assert message.topic == "t9.zhurnal.identity.institution.v1"
    assert message.key == "i-1"
