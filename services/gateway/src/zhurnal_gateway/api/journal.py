"""/api/v1 of the class journal (served by the journal service): a lesson's entries, the grid
of a group, a student's diary and the overdue lessons of an institution.

A lesson's entries are saved whole (ADR 14) with optimistic concurrency over HTTP: GET answers
the lesson's version as its ETag, PUT must send it back in If-Match (428 without it, 412 when
the lesson changed meanwhile, with the current version named) and may carry an
Idempotency-Key, so a retried save never doubles a mark. Who may read or write what is decided
by the journal service with identity's policy; the gateway only forwards the caller's token.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from zhurnal.curriculum.v1 import plans_pb2, timetable_pb2
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_gateway.api.convert import day, moment, to_day
from zhurnal_gateway.api.deps import CurrentCaller, GatewayDep
from zhurnal_gateway.api.problems import PreconditionRequired, error_responses
from zhurnal_gateway.bootstrap import Gateway
from zhurnal_kit.errors import FieldViolation, invalid

router = APIRouter(prefix="/api/v1", tags=["journal"])

Id = Annotated[str, Path(min_length=1, max_length=36)]
Kind = Literal["lesson", "practical", "excursion", "competition", "other"]
Status = Literal["present", "excused", "unexcused", "ill", "late"]
LessonStatus = Literal["scheduled", "moved", "cancelled"]

_KIND: dict[str, plans_pb2.LessonKind.ValueType] = {
    "lesson": plans_pb2.LESSON_KIND_LESSON,
    "practical": plans_pb2.LESSON_KIND_PRACTICAL,
    "excursion": plans_pb2.LESSON_KIND_EXCURSION,
    "competition": plans_pb2.LESSON_KIND_COMPETITION,
    "other": plans_pb2.LESSON_KIND_OTHER,
}
_KIND_OF = {v: k for k, v in _KIND.items()}
_STATUS: dict[str, pb.AttendanceStatus.ValueType] = {
    "present": pb.ATTENDANCE_STATUS_PRESENT,
    "excused": pb.ATTENDANCE_STATUS_EXCUSED,
    "unexcused": pb.ATTENDANCE_STATUS_UNEXCUSED,
    "ill": pb.ATTENDANCE_STATUS_ILL,
    "late": pb.ATTENDANCE_STATUS_LATE,
}
_STATUS_OF = {v: k for k, v in _STATUS.items()}
_LESSON_STATUS_OF: dict[int, LessonStatus] = {
    timetable_pb2.LESSON_STATUS_SCHEDULED: "scheduled",
    timetable_pb2.LESSON_STATUS_MOVED: "moved",
    timetable_pb2.LESSON_STATUS_CANCELLED: "cancelled",
}


# ------------------------------------------------------------------ what the API shows


class LessonInfo(BaseModel):
    """A scheduled lesson as the journal knows it."""

    id: str
    institution_id: str
    study_year_id: str
    group_id: str
    subject_id: str
    teacher_id: str
    date: date
    start: str = Field(examples=["09:00"], description="Local time of the institution")
    duration: int = Field(description="Minutes")
    status: LessonStatus
    period_id: str
    due_at: datetime | None = Field(description="When its topic is due (R-3.2)")
    overdue: bool
    read_only: bool
    read_only_reason: str
    substitute_ids: list[str]


class Record(BaseModel):
    """What the lesson taught (R-5: topics in Russian)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    topic: str = Field(min_length=1, max_length=500, examples=["Решение линейных уравнений"])
    material: str = Field(default="", max_length=4000)
    kind: Kind = "lesson"
    homework: str = Field(default="", max_length=4000)
    notes: str = Field(default="", max_length=4000)


class Attendance(BaseModel):
    """One student's attendance of the lesson."""

    model_config = ConfigDict(extra="forbid")

    student_id: str = Field(min_length=1, max_length=36)
    status: Status
    late_minutes: int = Field(default=0, ge=0, le=600)
    reason: str = Field(default="", max_length=500)


class Mark(BaseModel):
    """A mark of a student in the lesson."""

    id: str
    student_id: str
    value: str
    type_code: str
    scale_id: str
    weight: float
    comment: str
    entered_by: str
    entered_at: datetime | None


class MarkInput(BaseModel):
    """A mark as typed: without ``id`` it is new, with one it replaces that mark."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(default="", max_length=36)
    student_id: str = Field(min_length=1, max_length=36)
    value: str = Field(min_length=1, max_length=32, examples=["5", "4-", "зачёт"])
    type_code: str = Field(default="", max_length=32, examples=["oral"])
    comment: str = Field(default="", max_length=500)


class Lesson(BaseModel):
    """A lesson with its entries; ``version`` is also the response's ETag."""

    lesson: LessonInfo
    record: Record | None
    attendance: list[Attendance]
    marks: list[Mark]
    version: int
    responsible_teacher_id: str
    entered_by: str
    recorded_at: datetime | None
    roster: list[str] = Field(description="Students enrolled on the lesson's day")
    planned_topic: str = Field(description="The lesson plan's topic, offered while none is saved")


class LessonEntries(BaseModel):
    """A whole lesson's entries to save; parts left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    record: Record | None = None
    attendance_all: Status | None = Field(
        default=None,
        description="Set for the whole group first; ``attendance`` then lists exceptions",
    )
    attendance: list[Attendance] = Field(default_factory=list, max_length=200)
    marks: list[MarkInput] | None = Field(
        default=None,
        max_length=1000,
        description="The lesson's whole set of marks: marks left out are removed",
    )


class Warning(BaseModel):
    """Saved, but worth a look (e.g. a topic without a Cyrillic letter)."""

    field: str
    message: str


class SavedLesson(BaseModel):
    """The lesson as saved."""

    lesson: Lesson
    warnings: list[Warning]
    changes: int = Field(description="Entries created, changed or removed by this save")


class GridStudent(BaseModel):
    """A student of the grid, with the days they joined and left the group."""

    student_id: str
    joined: date | None
    left: date | None


class GridLesson(BaseModel):
    """A column of the grid: ``attendance`` is aligned with the grid's students (null: none)."""

    lesson: LessonInfo
    topic: str
    version: int
    attendance: list[Status | None]
    late_minutes: list[int]


class GridMark(BaseModel):
    """A mark in the grid."""

    lesson_id: str
    student_id: str
    id: str
    value: str
    type_code: str
    weight: float
    comment: str


class Period(BaseModel):
    """A study period."""

    id: str
    name: str
    starts: date | None
    ends: date | None


class FinalMark(BaseModel):
    """A final mark of a period or of the year (R-1.3)."""

    student_id: str
    group_id: str
    subject_id: str
    study_year_id: str
    period_id: str
    value: str
    set_by: str
    set_at: datetime | None


class Grid(BaseModel):
    """The journal grid of a group for a period: students x lessons."""

    group_id: str
    period: Period
    students: list[GridStudent]
    lessons: list[GridLesson]
    marks: list[GridMark]
    final_marks: list[FinalMark]


class DiaryLesson(BaseModel):
    """A lesson in a student's diary, with their attendance and marks."""

    lesson: LessonInfo
    topic: str
    homework: str
    kind: Kind
    attendance: Status | None
    late_minutes: int
    marks: list[Mark]


class Diary(BaseModel):
    """A student's diary for a range of days (R-2.2)."""

    student_id: str
    lessons: list[DiaryLesson]
    final_marks: list[FinalMark]
    periods: list[Period] = Field(
        default_factory=list,
        description="The study periods of the lessons in the range and of the final marks",
    )


class OverdueLesson(BaseModel):
    """A lesson past its deadline without a topic."""

    lesson: LessonInfo
    overdue_s: int = Field(description="Seconds past the deadline")
    link: str = Field(description="Where the lesson's form is in the web application")


class OverduePage(BaseModel):
    """A page of overdue lessons, with counts per teacher and group of the whole filter."""

    items: list[OverdueLesson]
    next_page_token: str = ""
    by_teacher: dict[str, int]
    by_group: dict[str, int]


# ------------------------------------------------------------------ conversions


def _info(item: pb.LessonInfo) -> LessonInfo:
    return LessonInfo(
        id=item.id,
        institution_id=item.institution_id,
        study_year_id=item.study_year_id,
        group_id=item.group_id,
        subject_id=item.subject_id,
        teacher_id=item.teacher_id,
        date=date.fromisoformat(item.date.iso),
        start=f"{item.start.hour:02d}:{item.start.minute:02d}",
        duration=item.duration,
        status=_LESSON_STATUS_OF.get(item.status, "scheduled"),
        period_id=item.period_id,
        due_at=moment(item, "due_at"),
        overdue=item.overdue,
        read_only=item.read_only,
        read_only_reason=item.read_only_reason,
        substitute_ids=list(item.substitute_ids),
    )


def _mark(item: pb.Mark) -> Mark:
    return Mark(
        id=item.id,
        student_id=item.student_id,
        value=item.value,
        type_code=item.type_code,
        scale_id=item.scale_id,
        weight=item.weight,
        comment=item.comment,
        entered_by=item.entered_by,
        entered_at=moment(item, "entered_at"),
    )


def _lesson(item: pb.LessonEntries) -> Lesson:
    record = item.record
    return Lesson(
        lesson=_info(item.lesson),
        record=Record(
            topic=record.topic,
            material=record.material,
            kind=_KIND_OF.get(record.kind, "lesson"),
            homework=record.homework,
            notes=record.notes,
        )
        if item.recorded
        else None,
        attendance=[
            Attendance(
                student_id=a.student_id,
                status=_STATUS_OF[a.status],
                late_minutes=a.late_minutes,
                reason=a.reason,
            )
            for a in item.attendance
            if a.status in _STATUS_OF
        ],
        marks=[_mark(m) for m in item.marks],
        version=item.version,
        responsible_teacher_id=item.responsible_teacher_id,
        entered_by=item.entered_by,
        recorded_at=moment(item, "recorded_at"),
        roster=list(item.roster),
        planned_topic=item.planned_topic,
    )


def _final(item: pb.FinalMark) -> FinalMark:
    return FinalMark(
        student_id=item.student_id,
        group_id=item.group_id,
        subject_id=item.subject_id,
        study_year_id=item.study_year_id,
        period_id=item.period_id,
        value=item.value,
        set_by=item.set_by,
        set_at=moment(item, "set_at"),
    )


def etag(version: int) -> str:
    """The ETag of a lesson at ``version``."""
    return f'"{version}"'


_IF_MATCH = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def expected_version(if_match: str) -> int:
    """The lesson version an If-Match header names; 428 without one, 422 when unreadable."""
    if not if_match:
        raise PreconditionRequired(
            "saving a lesson needs the If-Match header with the ETag the lesson was read with",
            [FieldViolation("If-Match", "is required (the ETag of GET /api/v1/lessons/{id})")],
        )
    found = _IF_MATCH.match(if_match.strip())
    if found is None:
        raise invalid("If-Match", 'must be one ETag of this API, e.g. "3"')
    return int(found.group(1))


def _client(request: Request) -> str:
    """Who the history records as the client: the API, the caller's address and agent."""
    address = request.client.host if request.client else "unknown"
    agent = request.headers.get("user-agent", "")[:200]
    return f"api {address} {agent}".strip()


# ------------------------------------------------------------------ routes


@router.get(
    "/lessons/{lesson_id}",
    operation_id="get_lesson",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_lesson(
    lesson_id: Id, gateway: GatewayDep, caller: CurrentCaller, response: Response
) -> Lesson:
    """A lesson with its record, attendance and marks; its ETag is the lesson's version."""
    reply = await gateway.journal.GetLesson(pb.GetLessonRequest(lesson_id=lesson_id))
    response.headers["ETag"] = etag(reply.lesson.version)
    return _lesson(reply.lesson)


@router.put(
    "/lessons/{lesson_id}/entries",
    operation_id="save_lesson",
    responses=error_responses(400, 401, 403, 404, 409, 412, 422, 428, 503),
)
async def save_lesson(
    lesson_id: Id,
    body: LessonEntries,
    request: Request,
    response: Response,
    gateway: GatewayDep,
    caller: CurrentCaller,
    if_match: Annotated[str, Header(max_length=40)] = "",
    idempotency_key: Annotated[str, Header(max_length=255)] = "",
) -> SavedLesson:
    """Save a lesson's entries at once: the record, attendance (all, then exceptions) and the
    whole set of marks. 412 when the lesson changed since it was read (reload, merge, save
    again); a retry with the same Idempotency-Key answers as the first save did."""
    version = expected_version(if_match)
    request_message = pb.SaveLessonRequest(
        lesson_id=lesson_id,
        expected_version=version,
        idempotency_key=idempotency_key,
        attendance_all=_STATUS[body.attendance_all] if body.attendance_all else 0,
        attendance=[
            pb.Attendance(
                student_id=a.student_id,
                status=_STATUS[a.status],
                late_minutes=a.late_minutes,
                reason=a.reason,
            )
            for a in body.attendance
        ],
    )
    if body.record is not None:
        request_message.record.CopyFrom(
            pb.LessonRecord(
                topic=body.record.topic,
                material=body.record.material,
                kind=_KIND[body.record.kind],
                homework=body.record.homework,
                notes=body.record.notes,
            )
        )
    if body.marks is not None:
        request_message.marks.CopyFrom(
            pb.LessonMarks(
                marks=[
                    pb.MarkInput(
                        id=m.id,
                        student_id=m.student_id,
                        value=m.value,
                        type_code=m.type_code,
                        comment=m.comment,
                    )
                    for m in body.marks
                ]
            )
        )
    reply = await gateway.journal.SaveLesson(
        request_message, metadata=(("x-zhurnal-client", _client(request)),)
    )
    response.headers["ETag"] = etag(reply.lesson.version)
    return SavedLesson(
        lesson=_lesson(reply.lesson),
        warnings=[Warning(field=w.field, message=w.message) for w in reply.warnings],
        changes=reply.changes,
    )


@router.get(
    "/groups/{group_id}/grid",
    operation_id="get_grid",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_grid(
    group_id: Id,
    gateway: GatewayDep,
    caller: CurrentCaller,
    period_id: Annotated[str, Query(min_length=1, max_length=36)],
    subject_id: Annotated[str, Query(max_length=36)] = "",
) -> Grid:
    """The journal grid of a group for a study period (of one subject when given)."""
    reply = await gateway.journal.GetGrid(
        pb.GetGridRequest(group_id=group_id, period_id=period_id, subject_id=subject_id)
    )
    grid = reply.grid
    return Grid(
        group_id=grid.group_id,
        period=Period(
            id=grid.period.id,
            name=grid.period.name,
            starts=day(grid.period.starts),
            ends=day(grid.period.ends),
        ),
        students=[
            GridStudent(student_id=s.student_id, joined=day(s.joined), left=day(s.left))
            for s in grid.students
        ],
        lessons=[
            GridLesson(
                lesson=_info(column.lesson),
                topic=column.topic,
                version=column.version,
                attendance=[_STATUS_OF.get(status) for status in column.attendance],
                late_minutes=list(column.late_minutes),
            )
            for column in grid.lessons
        ],
        marks=[
            GridMark(
                lesson_id=m.lesson_id,
                student_id=m.student_id,
                id=m.id,
                value=m.value,
                type_code=m.type_code,
                weight=m.weight,
                comment=m.comment,
            )
            for m in grid.marks
        ],
        final_marks=[_final(m) for m in grid.final_marks],
    )


@router.get(
    "/students/{student_id}/diary",
    operation_id="get_diary",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_diary(
    student_id: Id,
    gateway: GatewayDep,
    caller: CurrentCaller,
    from_date: Annotated[date, Query(alias="from")],
    to_date: Annotated[date, Query(alias="to")],
) -> Diary:
    """A student's lessons with topics, homework, their attendance and marks, and their final
    marks (the student, their guardians, their teachers and the institution's management)."""
    reply = await gateway.journal.GetDiary(
        pb.GetDiaryRequest(
            student_id=student_id,
            from_date=to_day(from_date),
            to_date=to_day(to_date),
        )
    )
    diary = reply.diary
    return Diary(
        student_id=diary.student_id,
        lessons=[
            DiaryLesson(
                lesson=_info(item.lesson),
                topic=item.topic,
                homework=item.homework,
                kind=_KIND_OF.get(item.kind, "lesson"),
                attendance=_STATUS_OF.get(item.attendance),
                late_minutes=item.late_minutes,
                marks=[_mark(m) for m in item.marks],
            )
            for item in diary.lessons
        ],
        final_marks=[_final(m) for m in diary.final_marks],
        periods=[
            Period(id=p.id, name=p.name, starts=day(p.starts), ends=day(p.ends))
            for p in diary.periods
        ],
    )


@router.get(
    "/institutions/{institution_id}/overdue-lessons",
    operation_id="list_overdue_lessons",
    responses=error_responses(401, 403, 422, 503),
)
async def list_overdue_lessons(
    institution_id: Id,
    gateway: GatewayDep,
    caller: CurrentCaller,
    teacher_id: Annotated[str, Query(max_length=36)] = "",
    group_id: Annotated[str, Query(max_length=36)] = "",
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
    page_token: Annotated[str, Query(max_length=200)] = "",
) -> OverduePage:
    """Lessons past their deadline without a topic (R-3.2, R-3.4), oldest first: a teacher's
    own, or (for the deputy) anyone's, by teacher or group."""
    reply = await gateway.journal.ListOverdue(
        pb.ListOverdueRequest(
            institution_id=institution_id,
            teacher_id=teacher_id,
            group_id=group_id,
            page_size=page_size,
            page_token=page_token,
        )
    )
    return OverduePage(
        items=[
            OverdueLesson(lesson=_info(item.lesson), overdue_s=item.overdue_s, link=item.link)
            for item in reply.lessons
        ],
        next_page_token=reply.next_page_token,
        by_teacher=dict(reply.by_teacher),
        by_group=dict(reply.by_group),
    )


class TimelinessRow(BaseModel):
    """Lessons of the range counted for one institution, teacher or group (``key``);
    cancelled lessons are left out."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    institution_id: str
    scheduled: int
    due: int = Field(description="Past their deadline now")
    recorded: int = Field(description="With a topic saved")
    recorded_late: int = Field(description="Topic first saved after the deadline")
    overdue: int = Field(description="Past the deadline with no topic, period not locked")
    due_recorded: int = Field(description="Of the lessons past their deadline, those recorded")


class TimelinessSummary(BaseModel):
    """The journal's timeliness over a range of days (R-3.2, R-6.2)."""

    by: Literal["institution", "teacher", "group"]
    from_date: date
    to_date: date
    rows: list[TimelinessRow]


_SUMMARY_BY = {
    "institution": pb.TIMELINESS_BY_INSTITUTION,
    "teacher": pb.TIMELINESS_BY_TEACHER,
    "group": pb.TIMELINESS_BY_GROUP,
}


async def timeliness_rows(
    gateway: Gateway, institution_ids: list[str], first: date, last: date, by: str
) -> list[TimelinessRow]:
    """The journal's counts (the REST route and the district's page share them)."""
    reply = await gateway.journal.SummarizeTimeliness(
        pb.SummarizeTimelinessRequest(
            institution_ids=institution_ids,
            from_date=to_day(first),
            to_date=to_day(last),
            by=_SUMMARY_BY[by],
        )
    )
    return [TimelinessRow.model_validate(r, from_attributes=True) for r in reply.rows]


@router.get(
    "/timeliness",
    operation_id="summarize_timeliness",
    responses=error_responses(401, 403, 422, 503),
)
async def summarize_timeliness(
    gateway: GatewayDep,
    caller: CurrentCaller,
    institution_id: Annotated[list[str], Query(min_length=1, max_length=500)],
    from_date: Annotated[date, Query(alias="from")],
    to_date: Annotated[date, Query(alias="to")],
    by: Literal["institution", "teacher", "group"] = "institution",
) -> TimelinessSummary:
    """Lessons scheduled, due, recorded, recorded late and overdue over days: per institution
    (district roles), or per teacher or group of one institution (its deputy, director).
    Counts only, no person's data."""
    rows = await timeliness_rows(gateway, institution_id, from_date, to_date, by)
    return TimelinessSummary(by=by, from_date=from_date, to_date=to_date, rows=rows)
