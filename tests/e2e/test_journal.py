"""The class journal through the running journal service (issue 5): a whole lesson saved in
one call (R-1.3, R-3.1), bad input refused naming the field with nothing written, who may write
(the teacher, a substitute, a colleague where allowed: R-5), concurrent writers and retried
saves, period locks (R-6.3), the grid, the diary (R-2.2), the overdue list (R-3.2, R-3.4) and
final marks."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from e2e.journal_world import ClassJournal, Journal, class_journal, save_plan
from e2e.kafka_probe import envelopes
from e2e.test_institution_slice import wait_for
from e2e.world import Curriculum

from zhurnal.curriculum.v1 import calendar_pb2, plans_pb2
from zhurnal.curriculum.v1 import timetable_pb2 as tt
from zhurnal.journal.v1 import events_pb2 as events
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_kit.grpc_errors import field_violations, status_details
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

PRESENT = pb.ATTENDANCE_STATUS_PRESENT
UNEXCUSED = pb.ATTENDANCE_STATUS_UNEXCUSED
LATE = pb.ATTENDANCE_STATUS_LATE


@pytest.fixture
async def world(stack: Stack, district_admin: Person, keycloak: KeycloakAdmin) -> ClassJournal:
    return await class_journal(stack, district_admin, keycloak)


def fields(error: grpc.aio.AioRpcError) -> list[str]:
    return [v.field for v in field_violations(error)]


def record(topic: str = "Решение линейных уравнений", **more: object) -> pb.LessonRecord:
    return pb.LessonRecord(topic=topic, homework="№ 112, 114", **more)  # type: ignore[arg-type]


async def test_a_teacher_saves_a_whole_lesson_in_one_call(
    stack: Stack, world: ClassJournal
) -> None:
    s0, s1, s2 = (m.person_id for m in world.students)
    lesson = world.yesterday
    async with Journal(stack, world.teacher) as j:
        saved = await j.save(
            lesson.id,
            0,
            record=record(material="§ 12", kind=2),
            attendance_all=PRESENT,
            attendance=[
                pb.Attendance(student_id=s1, status=UNEXCUSED),
                pb.Attendance(student_id=s2, status=LATE, late_minutes=10),
            ],
            marks=pb.LessonMarks(
                marks=[
                    pb.MarkInput(student_id=s0, value="5"),
                    pb.MarkInput(student_id=s0, value="4-", type_code="written"),
                    pb.MarkInput(student_id=s2, value="3"),
                ]
            ),
        )
        assert saved.warnings == [] and saved.changes == 1 + 3 + 3
        entries = await j.lesson(lesson.id)
    assert entries.version == 1 and entries.recorded
    assert entries.record.topic == "Решение линейных уравнений" and entries.record.kind == 2
    assert entries.responsible_teacher_id == world.teacher.person_id
    assert entries.entered_by == world.teacher.person_id
    attendance = {a.student_id: (a.status, a.late_minutes) for a in entries.attendance}
    assert attendance == {s0: (PRESENT, 0), s1: (UNEXCUSED, 0), s2: (LATE, 10)}
    marks = sorted((m.student_id, m.value, m.type_code, m.weight) for m in entries.marks)
    assert marks == sorted(
        [(s0, "5", "oral", 1.0), (s0, "4-", "written", 2.0), (s2, "3", "oral", 1.0)]
    )

    # The events of the save reach Kafka through the outbox, keyed by the lesson.
    topic = f"{stack.namespace}.zhurnal.journal.lesson.v1"

    async def published() -> list[str]:
        found = await envelopes(stack.infra.kafka_bootstrap, topic, key=lesson.id)
        kinds = [e.event_type.rsplit(".", 1)[1] for e in found]
        return kinds if {"LessonRecorded", "AttendanceMarked", "MarksSet"} <= set(kinds) else []

    kinds = await wait_for(published, what="the lesson's events on Kafka")
    assert kinds.count("MarksSet") == 1
    recorded = next(
        e
        for e in await envelopes(stack.infra.kafka_bootstrap, topic, key=lesson.id)
        if e.event_type.endswith("LessonRecorded")
    )
    payload = events.LessonRecorded()
    recorded.payload.Unpack(payload)
    assert payload.record.topic == "Решение линейных уравнений" and payload.version == 1

    # Curriculum learns that the lesson has entries (it will never drop it silently).
    async with Curriculum(stack, world.deputy) as cur:

        async def has_entries() -> bool:
            reply = await cur.call(
                cur.timetable.GetLesson, tt.GetLessonRequest(lesson_id=lesson.id)
            )
            return bool(reply.has_entries)

        await wait_for(has_entries, what="curriculum to learn the lesson has entries")


async def test_a_topic_without_russian_letters_is_saved_with_a_warning(
    stack: Stack, world: ClassJournal
) -> None:
    async with Journal(stack, world.teacher) as j:
        saved = await j.save(world.yesterday.id, 0, record=record("Linear equations"))
    assert saved.lesson.version == 1
    assert [w.field for w in saved.warnings] == ["record.topic"]
    assert "русском" in saved.warnings[0].message


async def test_bad_input_names_the_field_and_writes_nothing(
    stack: Stack, world: ClassJournal
) -> None:
    s0 = world.students[0].person_id
    outsider = world.colleague.person_id  # not a student of the group
    async with Journal(stack, world.teacher) as j:
        cases = [
            (
                {"marks": pb.LessonMarks(marks=[pb.MarkInput(student_id=s0, value="6")])},
                "marks[0].value",
            ),
            (
                {
                    "marks": pb.LessonMarks(
                        marks=[pb.MarkInput(student_id=s0, value="5", type_code="x")]
                    )
                },
                "marks[0].type_code",
            ),
            (
                {"attendance": [pb.Attendance(student_id=outsider, status=PRESENT)]},
                "attendance[0].student_id",
            ),
            (
                {"attendance": [pb.Attendance(student_id=s0, status=LATE)]},
                "attendance[0].late_minutes",
            ),
            ({"record": pb.LessonRecord(topic="   ")}, "record.topic"),
        ]
        for request, field in cases:
            # A valid topic rides along: nothing of it may be written either.
            extra = {} if "record" in request else {"record": record()}
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await j.save(world.yesterday.id, 0, **request, **extra)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert field in fields(refused.value), (field, fields(refused.value))
        # Attendance of a lesson that has not happened yet.
        with pytest.raises(grpc.aio.AioRpcError) as ahead:
            await j.save(
                world.ahead.id, 0, attendance=[pb.Attendance(student_id=s0, status=PRESENT)]
            )
        assert fields(ahead.value) == ["attendance"]
        # A stale version.
        with pytest.raises(grpc.aio.AioRpcError) as stale:
            await j.save(world.yesterday.id, 3, record=record())
        assert stale.value.code() == grpc.StatusCode.ABORTED
        entries = await j.lesson(world.yesterday.id)
    assert entries.version == 0 and not entries.recorded
    assert not entries.attendance and not entries.marks
    # The homework of a coming lesson may be written ahead.
    async with Journal(stack, world.teacher) as j:
        assert (await j.save(world.ahead.id, 0, record=record())).lesson.version == 1


async def test_the_second_of_two_writers_gets_a_conflict_and_the_current_state(
    stack: Stack, world: ClassJournal
) -> None:
    s0, s1 = world.students[0].person_id, world.students[1].person_id
    async with Journal(stack, world.teacher) as a, Journal(stack, world.teacher) as b:
        first, second = await asyncio.gather(
            a.save(
                world.yesterday.id,
                0,
                marks=pb.LessonMarks(marks=[pb.MarkInput(student_id=s0, value="5")]),
            ),
            b.save(
                world.yesterday.id,
                0,
                marks=pb.LessonMarks(marks=[pb.MarkInput(student_id=s1, value="4")]),
            ),
            return_exceptions=True,
        )
        outcomes = [first, second]
        won = [o for o in outcomes if isinstance(o, pb.SaveLessonResponse)]
        lost = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
        assert len(won) == 1 and len(lost) == 1, outcomes
        assert lost[0].code() == grpc.StatusCode.ABORTED
        assert fields(lost[0]) == ["expected_version"]
        current = status_details(lost[0], pb.LessonEntries())
        assert current is not None and current.version == 1
        assert [m.value for m in current.marks] == [won[0].lesson.marks[0].value]
        # The loser merges onto the current state and saves again: nothing is lost.
        merged = [
            pb.MarkInput(id=m.id, student_id=m.student_id, value=m.value) for m in current.marks
        ]
        loser_student = s1 if won[0].lesson.marks[0].student_id == s0 else s0
        merged.append(pb.MarkInput(student_id=loser_student, value="4"))
        again = await b.save(
            world.yesterday.id, current.version, marks=pb.LessonMarks(marks=merged)
        )
    assert again.lesson.version == 2
    assert sorted(m.student_id for m in again.lesson.marks) == sorted([s0, s1])


async def test_a_retried_save_never_doubles_a_mark(stack: Stack, world: ClassJournal) -> None:
    s0 = world.students[0].person_id
    request = {
        "record": record(),
        "marks": pb.LessonMarks(marks=[pb.MarkInput(student_id=s0, value="5")]),
        "idempotency_key": "retry-" + world.yesterday.id,
    }
    async with Journal(stack, world.teacher) as j:
        first = await j.save(world.yesterday.id, 0, **request)
        retried = await j.save(world.yesterday.id, 0, **request)
        entries = await j.lesson(world.yesterday.id)
    assert first.lesson.version == retried.lesson.version == entries.version == 1
    assert retried.changes == first.changes == 2
    assert len(entries.marks) == 1


async def test_who_may_write_a_lesson(stack: Stack, world: ClassJournal) -> None:
    lesson = world.yesterday
    s0 = world.students[0].person_id
    async with Journal(stack, world.colleague) as colleague:
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await colleague.save(lesson.id, 0, record=record())
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    async with Journal(stack, world.deputy) as deputy:
        assert (await deputy.lesson(lesson.id)).lesson.id == lesson.id  # reads everything
        with pytest.raises(grpc.aio.AioRpcError) as deputy_writes:
            await deputy.save(lesson.id, 0, record=record())
        assert deputy_writes.value.code() == grpc.StatusCode.PERMISSION_DENIED
    async with Journal(stack, world.students[0]) as pupil:
        with pytest.raises(grpc.aio.AioRpcError) as pupil_reads:
            await pupil.lesson(lesson.id)
        assert pupil_reads.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # A substitute writes the substituted lesson while the substitution lasts.
    async with Curriculum(stack, world.deputy) as cur:
        substitution = (
            await cur.call(
                cur.timetable.SetSubstitution,
                tt.SetSubstitutionRequest(
                    lesson_id=lesson.id,
                    substitute_teacher_id=world.colleague.person_id,
                    reason="Болезнь учителя",
                ),
            )
        ).substitution
    async with Journal(stack, world.colleague) as colleague:

        async def substitute_writes() -> pb.SaveLessonResponse:
            return await colleague.save(lesson.id, 0, record=record())

        saved = await wait_for(substitute_writes, what="the journal to learn the substitution")
        assert saved.lesson.entered_by == world.colleague.person_id
        assert saved.lesson.responsible_teacher_id == world.teacher.person_id
        assert world.colleague.person_id in saved.lesson.lesson.substitute_ids
    async with Curriculum(stack, world.deputy) as cur:
        await cur.call(
            cur.timetable.RevokeSubstitution,
            tt.RevokeSubstitutionRequest(substitution_id=substitution.id),
        )
    async with Journal(stack, world.deputy) as deputy:

        async def revoked() -> bool:
            return not (await deputy.lesson(lesson.id)).lesson.substitute_ids

        await wait_for(revoked, what="the revocation to reach the journal")
    async with Journal(stack, world.colleague) as colleague:
        with pytest.raises(grpc.aio.AioRpcError) as no_longer:
            await colleague.save(lesson.id, 1, record=record("Повторение"))
        assert no_longer.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # Where the institution allows it, a colleague fills in for the teacher.
    async with Journal(stack, world.deputy) as deputy:
        await deputy.call(
            deputy.marking.UpdateJournalSettings,
            pb.UpdateJournalSettingsRequest(
                settings=pb.JournalSettings(
                    institution_id=world.institution_id,
                    colleagues_may_fill_in=True,
                    warn_topic_not_in_russian=True,
                    unlock_hours=24,
                )
            ),
        )
    async with Journal(stack, world.colleague) as colleague:
        filled = await colleague.save(
            lesson.id, 1, marks=pb.LessonMarks(marks=[pb.MarkInput(student_id=s0, value="4")])
        )
    assert filled.lesson.entered_by == world.colleague.person_id
    assert filled.lesson.responsible_teacher_id == world.teacher.person_id


async def test_a_closed_period_is_read_only_until_a_deputy_unlocks_it(
    stack: Stack, world: ClassJournal
) -> None:
    lesson = world.earlier  # in the first period
    async with Curriculum(stack, world.deputy) as cur:
        await cur.call(
            cur.calendar.ClosePeriod,
            calendar_pb2.ClosePeriodRequest(study_year_id=world.year.id, period_id=world.first.id),
        )
    async with Journal(stack, world.teacher) as j:

        async def locked() -> pb.LessonEntries | None:
            entries = await j.lesson(lesson.id)
            return entries if entries.lesson.read_only else None

        entries = await wait_for(locked, what="the journal to lock the closed period")
        assert "закрыт" in entries.lesson.read_only_reason
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await j.save(lesson.id, 0, record=record())
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert fields(refused.value) == ["lesson_id"]
        with pytest.raises(grpc.aio.AioRpcError) as teacher_unlocks:
            await j.call(
                j.locks.UnlockPeriod,
                pb.UnlockPeriodRequest(period_id=world.first.id, reason="Исправление оценки"),
            )
        assert teacher_unlocks.value.code() == grpc.StatusCode.PERMISSION_DENIED
    async with Journal(stack, world.deputy) as deputy:
        with pytest.raises(grpc.aio.AioRpcError) as no_reason:
            await deputy.call(
                deputy.locks.UnlockPeriod, pb.UnlockPeriodRequest(period_id=world.first.id)
            )
        assert fields(no_reason.value) == ["reason"]
        unlock = (
            await deputy.call(
                deputy.locks.UnlockPeriod,
                pb.UnlockPeriodRequest(
                    period_id=world.first.id,
                    reason="Исправление ошибочно выставленной оценки",
                    hours=2,
                ),
            )
        ).unlock
        assert unlock.unlocked_by == world.deputy.person_id
        assert unlock.expires_at.seconds - unlock.unlocked_at.seconds == 2 * 3600
        periods = (
            await deputy.call(
                deputy.locks.ListPeriodLocks,
                pb.ListPeriodLocksRequest(
                    institution_id=world.institution_id, study_year_id=world.year.id
                ),
            )
        ).periods
        first = next(p for p in periods if p.period.id == world.first.id)
        assert (
            first.period.closed
            and not first.locked
            and [u.id for u in first.unlocks] == [unlock.id]
        )
    async with Journal(stack, world.teacher) as j:
        assert (await j.save(lesson.id, 0, record=record())).lesson.version == 1


async def test_the_grid_and_the_diary_show_each_reader_only_theirs(
    stack: Stack, world: ClassJournal
) -> None:
    s0, s1, _ = (m.person_id for m in world.students)
    async with Journal(stack, world.teacher) as j:
        await j.save(
            world.yesterday.id,
            0,
            record=record(),
            attendance_all=PRESENT,
            marks=pb.LessonMarks(
                marks=[
                    pb.MarkInput(student_id=s0, value="5"),
                    pb.MarkInput(student_id=s1, value="3"),
                ]
            ),
        )
        grid = (
            await j.call(
                j.journal.GetGrid,
                pb.GetGridRequest(group_id=world.group.id, period_id=world.second.id),
            )
        ).grid
    assert [lesson.lesson.id for lesson in grid.lessons] == [world.yesterday.id, world.ahead.id]
    assert grid.lessons[0].topic == "Решение линейных уравнений" and grid.lessons[0].version == 1
    assert {s.student_id for s in grid.students} == {m.person_id for m in world.students}
    # Column-wise: a lesson's attendance is aligned with the students; marks listed once.
    order = [s.student_id for s in grid.students]
    assert list(grid.lessons[0].attendance) == [PRESENT] * 3
    assert list(grid.lessons[1].attendance) == [0] * 3  # the coming lesson: nothing yet
    assert {(m.lesson_id, order.index(m.student_id), m.value) for m in grid.marks} == {
        (world.yesterday.id, order.index(s0), "5"),
        (world.yesterday.id, order.index(s1), "3"),
    }
    assert grid.scales and grid.scales[0].code == "five"

    week = {
        "from_date": calendar_pb2.Day(iso=world.earlier.date.iso),
        "to_date": calendar_pb2.Day(iso=world.ahead.date.iso),
    }
    for reader in (world.students[0], world.guardian):
        async with Journal(stack, reader) as diary:
            got = (
                await diary.call(diary.journal.GetDiary, pb.GetDiaryRequest(student_id=s0, **week))
            ).diary
        by_lesson = {lesson.lesson.id: lesson for lesson in got.lessons}
        assert set(by_lesson) == {world.earlier.id, world.yesterday.id, world.ahead.id}
        assert [m.value for m in by_lesson[world.yesterday.id].marks] == ["5"]
        assert by_lesson[world.yesterday.id].homework == "№ 112, 114"
        assert by_lesson[world.yesterday.id].attendance == PRESENT
    # Another child's diary: neither the guardian nor a classmate reads it.
    for reader in (world.guardian, world.students[0]):
        async with Journal(stack, reader) as diary:
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await diary.call(diary.journal.GetDiary, pb.GetDiaryRequest(student_id=s1, **week))
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        async with Journal(stack, reader) as grid_reader:
            with pytest.raises(grpc.aio.AioRpcError) as no_grid:
                await grid_reader.call(
                    grid_reader.journal.GetGrid,
                    pb.GetGridRequest(group_id=world.group.id, period_id=world.second.id),
                )
            assert no_grid.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_overdue_lessons_are_listed_per_teacher_and_group_until_recorded(
    stack: Stack, world: ClassJournal
) -> None:
    # The test stack's deadline is the lesson's end: both past lessons are overdue.
    async with Journal(stack, world.teacher) as j:
        mine = await j.call(
            j.journal.ListOverdue,
            pb.ListOverdueRequest(
                institution_id=world.institution_id, teacher_id=world.teacher.person_id
            ),
        )
        assert [o.lesson.id for o in mine.lessons] == [world.earlier.id, world.yesterday.id]
        assert mine.lessons[0].link == f"/journal/lessons/{world.earlier.id}"
        assert mine.lessons[0].overdue_s > 9 * 24 * 3600
        assert dict(mine.by_group) == {world.group.id: 2}
        with pytest.raises(grpc.aio.AioRpcError) as everyone:
            await j.call(
                j.journal.ListOverdue, pb.ListOverdueRequest(institution_id=world.institution_id)
            )
        assert everyone.value.code() == grpc.StatusCode.PERMISSION_DENIED
        await j.save(world.yesterday.id, 0, record=record())
    async with Journal(stack, world.deputy) as deputy:
        first_page = await deputy.call(
            deputy.journal.ListOverdue,
            pb.ListOverdueRequest(institution_id=world.institution_id, page_size=1),
        )
    assert [o.lesson.id for o in first_page.lessons] == [world.earlier.id]
    assert first_page.next_page_token == ""
    assert dict(first_page.by_teacher) == {world.teacher.person_id: 1}


async def test_final_marks_are_suggested_from_the_weighted_average_and_set_by_the_teacher(
    stack: Stack, world: ClassJournal
) -> None:
    s0, s1, s2 = (m.person_id for m in world.students)
    target = {
        "group_id": world.group.id,
        "subject_id": world.maths.id,
        "period_id": world.second.id,
    }
    async with Journal(stack, world.teacher) as j:
        await j.save(
            world.yesterday.id,
            0,
            record=record(),
            marks=pb.LessonMarks(
                marks=[
                    pb.MarkInput(student_id=s0, value="5"),  # oral, weight 1
                    pb.MarkInput(student_id=s0, value="4", type_code="written"),  # weight 2
                    pb.MarkInput(student_id=s1, value="3-"),
                ]
            ),
        )
        suggested = await j.call(j.journal.SuggestFinalMarks, pb.SuggestFinalMarksRequest(**target))
        by_student = {s.student_id: s for s in suggested.suggestions}
        assert by_student[s0].weighted_average == pytest.approx(4.33, abs=0.01)
        assert by_student[s0].suggested_value == "4" and by_student[s0].marks == 2
        assert by_student[s1].suggested_value == "3"
        assert by_student[s2].marks == 0 and by_student[s2].suggested_value == ""
        # The teacher decides: not what was suggested, and a value that is not final is refused.
        with pytest.raises(grpc.aio.AioRpcError) as not_final:
            await j.call(
                j.journal.SetFinalMarks,
                pb.SetFinalMarksRequest(
                    **target, marks=[pb.FinalMarkInput(student_id=s0, value="4+")]
                ),
            )
        assert fields(not_final.value) == ["marks[0].value"]
        set_ = await j.call(
            j.journal.SetFinalMarks,
            pb.SetFinalMarksRequest(
                **target,
                marks=[
                    pb.FinalMarkInput(student_id=s0, value="5"),
                    pb.FinalMarkInput(student_id=s1, value="3"),
                ],
                idempotency_key="finals-" + world.group.id,
            ),
        )
        assert set_.changes == 2 and {m.value for m in set_.marks} == {"5", "3"}
    async with Journal(stack, world.guardian) as parent:
        finals = await parent.call(
            parent.journal.ListFinalMarks, pb.ListFinalMarksRequest(student_id=s0)
        )
    assert [(m.value, m.period_id) for m in finals.marks] == [("5", world.second.id)]


async def test_the_lesson_plan_offers_the_topic_of_each_lesson(
    stack: Stack, world: ClassJournal
) -> None:
    await save_plan(stack, world)
    async with Journal(stack, world.teacher) as j:
        # Lessons in date order take the plan's hours: ten days ago, yesterday, in three days.
        offered = [
            (await j.call(j.journal.GetLesson, pb.GetLessonRequest(lesson_id=lesson.id))).lesson
            for lesson in (world.earlier, world.yesterday, world.ahead)
        ]
        assert [e.planned_topic for e in offered] == [
            "Повторение курса 6 класса",
            "Линейные уравнения",
            "Линейные уравнения",
        ]
        assert offered[1].planned_kind == plans_pb2.LESSON_KIND_PRACTICAL
        # Once a topic is recorded, the record is what the form shows.
        await j.save(world.yesterday.id, 0, record=record())
        recorded = (
            await j.call(j.journal.GetLesson, pb.GetLessonRequest(lesson_id=world.yesterday.id))
        ).lesson
    assert recorded.record.topic == "Решение линейных уравнений" and recorded.planned_topic == ""


async def test_year_final_marks_lock_with_the_last_period(
    stack: Stack, world: ClassJournal
) -> None:
    s0 = world.students[0].person_id
    year = {
        "group_id": world.group.id,
        "subject_id": world.maths.id,
        "study_year_id": world.year.id,
    }
    async with Journal(stack, world.teacher) as j:
        await j.save(
            world.earlier.id,
            0,
            record=record(),
            marks=pb.LessonMarks(marks=[pb.MarkInput(student_id=s0, value="3")]),
        )
        await j.save(
            world.yesterday.id,
            0,
            record=record(),
            marks=pb.LessonMarks(
                marks=[pb.MarkInput(student_id=s0, value="5", type_code="interim")]
            ),
        )
        # Marks of both periods count: (3 x 1 + 5 x 3) / 4 = 4.5, a tie going up.
        suggested = await j.call(j.journal.SuggestFinalMarks, pb.SuggestFinalMarksRequest(**year))
        assert {s.student_id: s.suggested_value for s in suggested.suggestions}[s0] == "5"
        done = await j.call(
            j.journal.SetFinalMarks,
            pb.SetFinalMarksRequest(**year, marks=[pb.FinalMarkInput(student_id=s0, value="5")]),
        )
        assert [(m.value, m.period_id) for m in done.marks] == [("5", "")]
    async with Curriculum(stack, world.deputy) as cur:
        await cur.call(
            cur.calendar.ClosePeriod,
            calendar_pb2.ClosePeriodRequest(study_year_id=world.year.id, period_id=world.second.id),
        )
    async with Journal(stack, world.teacher) as j:

        async def locked() -> bool:
            return (await j.lesson(world.yesterday.id)).lesson.read_only

        await wait_for(locked, what="the journal to lock the last period")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await j.call(
                j.journal.SetFinalMarks,
                pb.SetFinalMarksRequest(
                    **year, marks=[pb.FinalMarkInput(student_id=s0, value="4")]
                ),
            )
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert fields(refused.value) == ["period_id"]
        finals = await j.call(
            j.journal.ListFinalMarks, pb.ListFinalMarksRequest(group_id=world.group.id)
        )
    assert [m.value for m in finals.marks] == ["5"]
