"""Translation between the curriculum domain and its proto contract."""

from __future__ import annotations

from datetime import date

from google.protobuf.timestamp_pb2 import Timestamp

from zhurnal.curriculum.v1 import calendar_pb2 as pb
from zhurnal_curriculum.domain.calendar import PeriodStatus, StudyPeriod, StudyYear
from zhurnal_kit.errors import invalid


def day(value: date) -> pb.Day:
    """A proto Day."""
    return pb.Day(iso=value.isoformat())


def from_day(value: pb.Day, field: str) -> date:
    """A date from a proto Day; a missing or impossible one names the field."""
    try:
        return date.fromisoformat(value.iso)
    except ValueError:
        raise invalid(field, "must be a date as YYYY-MM-DD") from None


def period_to_proto(period: StudyPeriod) -> pb.StudyPeriod:
    """The contract's view of a study period."""
    message = pb.StudyPeriod(
        id=period.id,
        name=period.name,
        starts=day(period.starts),
        ends=day(period.ends),
        closed=period.status == PeriodStatus.CLOSED,
        closed_by=period.closed_by,
    )
    if period.closed_at is not None:
        stamp = Timestamp()
        stamp.FromDatetime(period.closed_at)
        message.closed_at.CopyFrom(stamp)
    return message


def year_to_proto(year: StudyYear) -> pb.StudyYear:
    """The contract's view of a study year with its calendar."""
    return pb.StudyYear(
        id=year.id,
        institution_id=year.institution_id,
        name=year.name,
        starts=day(year.starts),
        ends=day(year.ends),
        working_days=sorted(year.working_days),
        periods=[period_to_proto(p) for p in year.periods],
        holidays=[
            pb.Holiday(starts=day(h.starts), ends=day(h.ends), name=h.name) for h in year.holidays
        ],
    )
