"""The event envelope, topic naming and Kafka headers (ARCHITECTURE.md, Contracts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.any_pb2 import Any as AnyProto
from google.protobuf.message import Message

from zhurnal.common.v1.envelope_pb2 import EventEnvelope

M = TypeVar("M", bound=Message)

HEADER_EVENT_ID = "zhurnal-event-id"
HEADER_EVENT_TYPE = "zhurnal-event-type"
HEADER_SCHEMA_VERSION = "zhurnal-schema-version"
HEADER_TRACEPARENT = "traceparent"
HEADER_ERROR = "zhurnal-error"
HEADER_ORIGINAL_TOPIC = "zhurnal-original-topic"


def topic_name(service: str, aggregate: str, *, version: int = 1, namespace: str = "") -> str:
    """``zhurnal.<service>.<aggregate>.v<version>``, behind an optional namespace."""
    base = f"zhurnal.{service}.{aggregate}.v{version}"
    return f"{namespace}.{base}" if namespace else base


def dead_letter_topic(topic: str) -> str:
    """Where records go that a consumer could not handle after its retries."""
    return f"{topic}.dlq"


@dataclass(frozen=True)
class Event:
    """An integration event as a service states it, before it is enveloped."""

    aggregate: str
    aggregate_id: str
    payload: Message
    institution_id: str = ""
    schema_version: int = 1


def envelope(event: Event, *, producer: str, traceparent: str = "") -> EventEnvelope:
    """Wrap ``event`` with a new event id and the current time."""
    env = EventEnvelope(
        event_id=str(uuid.uuid4()),
        event_type=event.payload.DESCRIPTOR.full_name,
        institution_id=event.institution_id,
        producer=producer,
        schema_version=event.schema_version,
        aggregate_id=event.aggregate_id,
        traceparent=traceparent,
    )
    env.occurred_at.FromDatetime(datetime.now(UTC))
    packed = AnyProto()
    packed.Pack(event.payload)
    env.payload.CopyFrom(packed)
    return env


def kafka_headers(env: EventEnvelope) -> list[tuple[str, bytes]]:
    """Headers that let a consumer route or drop a record without parsing it."""
    headers = [
        (HEADER_EVENT_ID, env.event_id.encode()),
        (HEADER_EVENT_TYPE, env.event_type.encode()),
        (HEADER_SCHEMA_VERSION, str(env.schema_version).encode()),
    ]
    if env.traceparent:
        headers.append((HEADER_TRACEPARENT, env.traceparent.encode()))
    return headers


def unpack(env: EventEnvelope, message_type: type[M]) -> M:
    """The payload as ``message_type``; raises ValueError when the type does not match."""
    message = message_type()
    if not env.payload.Unpack(message):
        raise ValueError(f"event {env.event_id} carries {env.event_type}, not {message_type}")
    return message
