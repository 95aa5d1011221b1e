"""gRPC face of the class journal (thin): requests to use cases, views to messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime

import grpc

from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal.journal.v1 import journal_pb2_grpc
from zhurnal_journal.adapters import journal_protos as protos
from zhurnal_journal.adapters.curriculum_client import PlannedTopics
from zhurnal_journal.bootstrap import Journal
from zhurnal_journal.service_layer import final_marks, lessons, timeliness
from zhurnal_journal.service_layer.lessons import LessonConflict, LessonRow, LessonView

log = logging.getLogger(__name__)

# The gateway names the person's client (address, browser) in this header; the history keeps it.
CLIENT_HEADER = "x-zhurnal-client"


_SUMMARY_BY = {
    pb.TIMELINESS_BY_INSTITUTION: "institution",
    pb.TIMELINESS_BY_TEACHER: "teacher",
    pb.TIMELINESS_BY_GROUP: "group",
}


def client_of(context: grpc.aio.ServicerContext) -> str:
    """Which client a change came from: the gateway's header, else the caller's address."""
    for key, value in context.invocation_metadata() or ():
        if key == CLIENT_HEADER:
            return str(value)[:500]
    return f"grpc {context.peer()}"


def now() -> datetime:
    """The time of a request (one clock read per use case)."""
    return datetime.now(UTC)


def entries_to_proto(view: LessonView) -> pb.LessonEntries:
    """A lesson's entries as the API shows them."""
    state = view.state
    return pb.LessonEntries(
        lesson=protos.lesson_info(
            state.lesson,
            period_id=view.period.id if view.period else "",
            overdue=view.overdue,
            read_only_reason=view.read_only_reason,
            substitute_ids=view.substitute_ids,
        ),
        record=protos.record_to_proto(state.record),
        recorded=state.record is not None,
        attendance=[protos.attendance_to_proto(e) for e in state.attendance.values()],
        marks=[protos.mark_to_proto(m) for m in state.marks.values()],
        version=state.version,
        responsible_teacher_id=state.responsible_teacher_id,
        entered_by=state.entered_by,
        recorded_at=protos.timestamp(state.recorded_at),
        roster=sorted(view.roster),
        planned_topic=view.planned.text if view.planned else "",
        planned_kind=view.planned.kind if view.planned else 0,  # type: ignore[arg-type]
    )


def _info(row: LessonRow) -> pb.LessonInfo:
    return protos.lesson_info(
        row.lesson,
        period_id=row.period_id,
        overdue=row.overdue,
        read_only_reason=row.read_only_reason,
    )


class JournalServicer(journal_pb2_grpc.JournalServiceServicer):
    """JournalService."""

    def __init__(self, app: Journal) -> None:
        self._app = app
        self._planned = PlannedTopics(app.curriculum)
        self._fault_pause: Callable[[], Awaitable[None]] | None = None
        if app.settings.fault_pause_s:
            pause = app.settings.fault_pause_s

            async def fault_pause() -> None:
                log.warning("fault drill: pausing before commit", extra={"pause_s": pause})
                await asyncio.sleep(pause)

            self._fault_pause = fault_pause

    async def GetLesson(
        self, request: pb.GetLessonRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetLessonResponse:
        view = await lessons.get_lesson(
            self._app.uow(),
            self._app.authorizer,
            None if request.without_planned_topic else self._planned,
            request.lesson_id,
            now(),
        )
        return pb.GetLessonResponse(lesson=entries_to_proto(view))

    async def SaveLesson(
        self, request: pb.SaveLessonRequest, context: grpc.aio.ServicerContext
    ) -> pb.SaveLessonResponse:
        try:
            view = await lessons.save_lesson(
                self._app.uow(),
                self._app.authorizer,
                lessons.SaveLesson(
                    lesson_id=request.lesson_id,
                    expected_version=request.expected_version,
                    idempotency_key=request.idempotency_key,
                    entries=protos.save_input_from_proto(request),
                    client=client_of(context),
                ),
                now(),
                before_commit=self._fault_pause,
            )
        except LessonConflict as conflict:
            # The second writer gets the lesson as it is now, to merge and save again.
            conflict.details.append(entries_to_proto(conflict.current))
            raise
        return pb.SaveLessonResponse(
            lesson=entries_to_proto(view),
            warnings=[pb.Warning(field=w.field, message=w.message) for w in view.warnings],
            changes=view.changes,
        )

    async def GetGrid(
        self, request: pb.GetGridRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetGridResponse:
        grid = await lessons.get_grid(
            self._app.uow(),
            self._app.authorizer,
            request.group_id,
            request.period_id,
            request.subject_id,
            now(),
        )
        return pb.GetGridResponse(
            grid=pb.Grid(
                group_id=grid.group_id,
                period=protos.period_to_proto(grid.period),
                lessons=[
                    pb.GridLesson(
                        lesson=_info(column.lesson),
                        topic=column.lesson.record.topic if column.lesson.record else "",
                        version=column.lesson.version,
                        attendance=column.attendance,  # type: ignore[arg-type]
                        late_minutes=column.late_minutes,
                    )
                    for column in grid.columns
                ],
                students=[
                    pb.GridStudent(
                        student_id=s.student_id,
                        joined=protos.day(s.joined),
                        left=protos.day(s.left),
                    )
                    for s in grid.students
                ],
                marks=[
                    pb.GridMark(
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
                final_marks=[protos.final_mark_to_proto(m) for m in grid.final_marks],
                scales=[protos.scale_to_proto(s) for s in grid.scales],
            )
        )

    async def GetDiary(
        self, request: pb.GetDiaryRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetDiaryResponse:
        diary = await lessons.get_diary(
            self._app.uow(),
            self._app.authorizer,
            request.student_id,
            protos.day_from_proto(request.from_date, "from_date"),
            protos.day_from_proto(request.to_date, "to_date"),
            now(),
        )
        return pb.GetDiaryResponse(
            diary=pb.Diary(
                student_id=diary.student_id,
                lessons=[
                    pb.DiaryLesson(
                        lesson=_info(row),
                        topic=row.record.topic if row.record else "",
                        homework=row.record.homework if row.record else "",
                        kind=int(row.record.kind) if row.record else 0,  # type: ignore[arg-type]
                        attendance=int(row.attendance[0].status) if row.attendance else 0,  # type: ignore[arg-type]
                        late_minutes=row.attendance[0].late_minutes if row.attendance else 0,
                        marks=[protos.mark_to_proto(m) for m in row.marks],
                    )
                    for row in diary.lessons
                ],
                final_marks=[protos.final_mark_to_proto(m) for m in diary.final_marks],
                periods=[protos.period_to_proto(p) for p in diary.periods],
            )
        )

    async def ListOverdue(
        self, request: pb.ListOverdueRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListOverdueResponse:
        view = await lessons.list_overdue(
            self._app.uow(),
            self._app.authorizer,
            request.institution_id,
            request.teacher_id,
            request.group_id,
            request.page_size,
            request.page_token,
            now(),
        )
        link = self._app.settings.lesson_link
        return pb.ListOverdueResponse(
            lessons=[
                pb.OverdueLesson(
                    lesson=protos.lesson_info(lesson, overdue=True),
                    overdue_s=seconds,
                    link=link.format(lesson_id=lesson.id),
                )
                for lesson, seconds in view.lessons
            ],
            next_page_token=view.next_page_token,
            by_teacher=view.by_teacher,
            by_group=view.by_group,
        )

    async def SummarizeTimeliness(
        self, request: pb.SummarizeTimelinessRequest, context: grpc.aio.ServicerContext
    ) -> pb.SummarizeTimelinessResponse:
        rows = await timeliness.summarize(
            self._app.uow(),
            self._app.authorizer,
            list(request.institution_ids),
            protos.day_from_proto(request.from_date, "from_date"),
            protos.day_from_proto(request.to_date, "to_date"),
            _SUMMARY_BY.get(request.by, ""),
            now(),
        )
        # The rows' fields are the message's, name for name.
        return pb.SummarizeTimelinessResponse(rows=[pb.TimelinessRow(**asdict(r)) for r in rows])

    async def SuggestFinalMarks(
        self, request: pb.SuggestFinalMarksRequest, context: grpc.aio.ServicerContext
    ) -> pb.SuggestFinalMarksResponse:
        suggestions, scale = await final_marks.suggest(
            self._app.uow(),
            self._app.authorizer,
            final_marks.Target(
                request.group_id, request.subject_id, request.period_id, request.study_year_id
            ),
        )
        return pb.SuggestFinalMarksResponse(
            suggestions=[
                pb.FinalMarkSuggestion(
                    student_id=s.student_id,
                    weighted_average=s.average,
                    marks=s.marks,
                    suggested_value=s.suggested,
                    current_value=s.current,
                )
                for s in suggestions
            ],
            scale=protos.scale_to_proto(scale),
        )

    async def SetFinalMarks(
        self, request: pb.SetFinalMarksRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetFinalMarksResponse:
        marks, changes = await final_marks.set_final_marks(
            self._app.uow(),
            self._app.authorizer,
            final_marks.Target(
                request.group_id, request.subject_id, request.period_id, request.study_year_id
            ),
            [final_marks.FinalMarkInput(m.student_id, m.value) for m in request.marks],
            idempotency_key=request.idempotency_key,
            client=client_of(context),
            now=now(),
        )
        return pb.SetFinalMarksResponse(
            marks=[protos.final_mark_to_proto(m) for m in marks], changes=changes
        )

    async def ListFinalMarks(
        self, request: pb.ListFinalMarksRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListFinalMarksResponse:
        marks = await final_marks.list_final_marks(
            self._app.uow(),
            self._app.authorizer,
            group_id=request.group_id,
            subject_id=request.subject_id,
            student_id=request.student_id,
        )
        return pb.ListFinalMarksResponse(marks=[protos.final_mark_to_proto(m) for m in marks])
