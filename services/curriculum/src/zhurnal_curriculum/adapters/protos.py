"""Translation between the curriculum domain and its proto contract."""

from __future__ import annotations

from datetime import date

from google.protobuf.timestamp_pb2 import Timestamp

from zhurnal.curriculum.v1 import calendar_pb2 as pb
from zhurnal.curriculum.v1 import groups_pb2
from zhurnal_curriculum.domain.calendar import PeriodStatus, StudyPeriod, StudyYear
from zhurnal_curriculum.domain.groups import Enrolment, Group, GroupKind
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


GROUP_KIND_TO_PROTO = {
    GroupKind.CLASS: groups_pb2.GROUP_KIND_CLASS,
    GroupKind.ASSOCIATION: groups_pb2.GROUP_KIND_ASSOCIATION,
}
GROUP_KIND_FROM_PROTO = {v: k for k, v in GROUP_KIND_TO_PROTO.items()}


def group_to_proto(item: Group) -> groups_pb2.Group:
    """The contract's view of a group."""
    return groups_pb2.Group(
        id=item.id,
        institution_id=item.institution_id,
        study_year_id=item.study_year_id,
        name=item.name,
        kind=GROUP_KIND_TO_PROTO[item.kind],
        years_of_study=sorted(item.years_of_study),
        starts=day(item.starts),
        ends=day(item.ends) if item.ends else None,
    )


def enrolment_to_proto(item: Enrolment) -> groups_pb2.Enrolment:
    """The contract's view of an enrolment record."""
    return groups_pb2.Enrolment(
        id=item.id,
        group_id=item.group_id,
        student_id=item.student_id,
        joined=day(item.joined),
        join_reason=item.join_reason,
        left=day(item.left) if item.left else None,
        leave_reason=item.leave_reason,
    )
