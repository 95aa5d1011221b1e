"""gRPC face of the timetable use cases (thin)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from zhurnal.curriculum.v1 import timetable_pb2 as pb
from zhurnal.curriculum.v1 import timetable_pb2_grpc
from zhurnal_curriculum.adapters.protos import from_day, period_to_proto
from zhurnal_curriculum.adapters.timetable_protos import (
    PARITIES,
    decision,
    from_local_time,
    lesson_to_proto,
    slot_to_proto,
    substitution_to_proto,
)
from zhurnal_curriculum.bootstrap import Curriculum
from zhurnal_curriculum.service_layer import timetable
from zhurnal_curriculum.service_layer.timetable import (
    Change,
    Decision,
    LessonView,
    SlotInput,
)
from zhurnal_kit.errors import invalid

Context = Any  # grpc.aio.ServicerContext: unused by these handlers


def _slot_input(message: pb.Slot, prefix: str) -> SlotInput:
    return SlotInput(
        group_id=message.group_id,
        subject_id=message.subject_id,
        teacher_id=message.teacher_id,
        weekday=message.weekday,
        start=from_local_time(message.start, prefix + "start"),
        duration=message.duration,
        room=message.room or None,
        parity=PARITIES.get(message.parity),
        effective_from=(
            from_day(message.effective_from, prefix + "effective_from")
            if message.HasField("effective_from")
            else None
        ),
        effective_until=(
            from_day(message.effective_until, prefix + "effective_until")
            if message.HasField("effective_until")
            else None
        ),
        slot_id=message.id,
    )


def _decisions(items: Any) -> list[Decision]:
    return [Decision(x.lesson_id, decision(x.decision), x.reason) for x in items]


def _change(item: Change) -> pb.TimetableChange:
    return pb.TimetableChange(
        added=item.added, updated=item.updated, removed=item.removed, decided=item.decided
    )


def _lesson(view: LessonView) -> pb.Lesson:
    return lesson_to_proto(
        view.lesson,
        study_year_id=view.study_year_id,
        institution_id=view.institution_id,
        substituted=view.substituted,
    )


def _optional_day(message: Any, name: str) -> date | None:
    return from_day(getattr(message, name), name) if message.HasField(name) else None


class TimetableServicer(timetable_pb2_grpc.TimetableServiceServicer):
    """TimetableService."""

    def __init__(self, app: Curriculum) -> None:
        self._app = app

    async def SetSlot(self, request: pb.SetSlotRequest, context: Context) -> pb.SetSlotResponse:
        slot, change = await timetable.set_slot(
            self._app.uow(),
            self._app.authorizer,
            study_year_id=request.slot.study_year_id,
            item=_slot_input(request.slot, "slot."),
            decisions=_decisions(request.decisions),
        )
        return pb.SetSlotResponse(
            slot=slot_to_proto(slot, request.slot.study_year_id), change=_change(change)
        )

    async def RemoveSlot(
        self, request: pb.RemoveSlotRequest, context: Context
    ) -> pb.RemoveSlotResponse:
        change = await timetable.remove_slot(
            self._app.uow(),
            self._app.authorizer,
            slot_id=request.slot_id,
            decisions=_decisions(request.decisions),
        )
        return pb.RemoveSlotResponse(change=_change(change))

    async def SetTimetable(
        self, request: pb.SetTimetableRequest, context: Context
    ) -> pb.SetTimetableResponse:
        slots, change = await timetable.set_timetable(
            self._app.uow(),
            self._app.authorizer,
            study_year_id=request.study_year_id,
            items=[_slot_input(x, f"slots[{i}].") for i, x in enumerate(request.slots)],
            decisions=_decisions(request.decisions),
        )
        return pb.SetTimetableResponse(
            slots=[slot_to_proto(s, request.study_year_id) for s in slots], change=_change(change)
        )

    async def ListSlots(
        self, request: pb.ListSlotsRequest, context: Context
    ) -> pb.ListSlotsResponse:
        slots = await timetable.list_slots(
            self._app.uow(),
            self._app.authorizer,
            study_year_id=request.study_year_id,
            group_id=request.group_id,
        )
        return pb.ListSlotsResponse(slots=[slot_to_proto(s, request.study_year_id) for s in slots])

    async def MoveLesson(
        self, request: pb.MoveLessonRequest, context: Context
    ) -> pb.MoveLessonResponse:
        if not request.HasField("new_date"):
            raise invalid("new_date", "is required")
        if not request.HasField("new_start"):
            raise invalid("new_start", "is required")
        moved = await timetable.move_lesson(
            self._app.uow(),
            self._app.authorizer,
            lesson_id=request.lesson_id,
            new_date=from_day(request.new_date, "new_date"),
            new_start=from_local_time(request.new_start, "new_start"),
            new_room=request.new_room or None,
            reason=request.reason,
            decision=decision(request.decision),
        )
        return pb.MoveLessonResponse(lesson=_lesson(moved))

    async def CancelLesson(
        self, request: pb.CancelLessonRequest, context: Context
    ) -> pb.CancelLessonResponse:
        cancelled = await timetable.cancel_lesson(
            self._app.uow(),
            self._app.authorizer,
            lesson_id=request.lesson_id,
            reason=request.reason,
            decision=decision(request.decision),
        )
        return pb.CancelLessonResponse(lesson=_lesson(cancelled))

    async def AddExtraLesson(
        self, request: pb.AddExtraLessonRequest, context: Context
    ) -> pb.AddExtraLessonResponse:
        if not request.HasField("date"):
            raise invalid("date", "is required")
        if not request.HasField("start"):
            raise invalid("start", "is required")
        lesson = await timetable.add_extra_lesson(
            self._app.uow(),
            self._app.authorizer,
            study_year_id=request.study_year_id,
            group_id=request.group_id,
            subject_id=request.subject_id,
            teacher_id=request.teacher_id,
            day=from_day(request.date, "date"),
            start=from_local_time(request.start, "start"),
            duration=request.duration,
            room=request.room or None,
            reason=request.reason,
        )
        return pb.AddExtraLessonResponse(lesson=_lesson(lesson))

    async def SetSubstitution(
        self, request: pb.SetSubstitutionRequest, context: Context
    ) -> pb.SetSubstitutionResponse:
        until = None
        if request.valid_until:
            try:
                until = datetime.fromisoformat(request.valid_until)
            except ValueError:
                raise invalid("valid_until", "must be an RFC 3339 instant") from None
        item = await timetable.set_substitution(
            self._app.uow(),
            self._app.authorizer,
            lesson_id=request.lesson_id,
            substitute_teacher_id=request.substitute_teacher_id,
            reason=request.reason,
            valid_until=until,
        )
        return pb.SetSubstitutionResponse(
            substitution=substitution_to_proto(item, now=datetime.now(item.valid_from.tzinfo))
        )

    async def RevokeSubstitution(
        self, request: pb.RevokeSubstitutionRequest, context: Context
    ) -> pb.RevokeSubstitutionResponse:
        item = await timetable.revoke_substitution(
            self._app.uow(), self._app.authorizer, substitution_id=request.substitution_id
        )
        return pb.RevokeSubstitutionResponse(
            substitution=substitution_to_proto(item, now=datetime.now(item.valid_from.tzinfo))
        )

    async def ListLessons(
        self, request: pb.ListLessonsRequest, context: Context
    ) -> pb.ListLessonsResponse:
        starts = _optional_day(request, "from")
        ends = _optional_day(request, "to")
        if starts is None:
            raise invalid("from", "is required")
        if ends is None:
            raise invalid("to", "is required")
        views, token = await timetable.list_lessons(
            self._app.uow(),
            self._app.authorizer,
            institution_id=request.institution_id,
            starts=starts,
            ends=ends,
            teacher_id=request.teacher_id,
            group_id=request.group_id,
            include_cancelled=request.include_cancelled,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListLessonsResponse(lessons=[_lesson(v) for v in views], next_page_token=token)

    async def GetLesson(
        self, request: pb.GetLessonRequest, context: Context
    ) -> pb.GetLessonResponse:
        found = await timetable.get_lesson(
            self._app.uow(), self._app.authorizer, lesson_id=request.lesson_id
        )
        now = datetime.now().astimezone()
        reply = pb.GetLessonResponse(
            lesson=_lesson(found.view),
            substitutions=[substitution_to_proto(s, now=now) for s in found.substitutions],
            substitute_ids=sorted(found.substitute_ids),
            has_entries=found.has_entries,
        )
        if found.period is not None:
            reply.period.CopyFrom(period_to_proto(found.period))
        return reply
