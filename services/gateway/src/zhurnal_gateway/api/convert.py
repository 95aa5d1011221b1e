"""Values of the services' messages as the API shows them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from google.protobuf.message import Message

from zhurnal.curriculum.v1 import calendar_pb2


def day(value: calendar_pb2.Day) -> date | None:
    """A curriculum day (None when unset)."""
    return date.fromisoformat(value.iso) if value.iso else None


def to_day(value: date) -> calendar_pb2.Day:
    """A date as a curriculum day."""
    return calendar_pb2.Day(iso=value.isoformat())


def moment(message: Message, field: str) -> datetime | None:
    """A timestamp field of ``message`` in UTC (None when unset)."""
    if not message.HasField(field):
        return None
    value: datetime = getattr(message, field).ToDatetime(tzinfo=UTC)
    return value
