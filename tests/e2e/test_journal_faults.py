"""Crashes of the journal lose nothing and write nothing half-way: a save killed before its
commit leaves no entry, history record or event, and its retry with the same key saves once;
lesson events that arrive while the journal's consumer is down are applied when it is back."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import grpc
import pytest
from e2e.journal_world import TODAY, ClassJournal, Journal, class_journal, d
from e2e.test_institution_slice import wait_for
from e2e.world import Curriculum

from zhurnal.curriculum.v1 import timetable_pb2 as tt
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

# A lesson's history records, chained or still staged for the chainer (ADR 15).
HISTORY_OF_LESSON = (
    "SELECT (SELECT count(*) FROM history_record WHERE lesson_id = $1)"
    " + (SELECT count(*) FROM history_pending WHERE lesson_id = $1)"
)

pytestmark = pytest.mark.infra


@pytest.fixture
async def world(stack: Stack, district_admin: Person, keycloak: KeycloakAdmin) -> ClassJournal:
    return await class_journal(stack, district_admin, keycloak)


def save_request(world: ClassJournal, key: str) -> dict[str, Any]:
    return {
        "record": pb.LessonRecord(topic="Контрольная работа"),
        "attendance_all": pb.ATTENDANCE_STATUS_PRESENT,
        "marks": pb.LessonMarks(
            marks=[pb.MarkInput(student_id=m.person_id, value="4") for m in world.students]
        ),
        "idempotency_key": key,
    }


async def test_a_save_killed_before_its_commit_leaves_nothing_and_its_retry_saves_once(
    stack: Stack, world: ClassJournal, pg: Any
) -> None:
    lesson_id = world.yesterday.id
    key = uuid.uuid4().hex
    log = stack.log_dir / "journal.log"
    stack.stop("journal")
    stack.start("journal", ZHURNAL_JOURNAL_FAULT_PAUSE_S="60")
    try:
        async with Journal(stack, world.teacher) as j:
            await wait_for(lambda: j.lesson(lesson_id), what="the paused journal to serve")
            offset = log.stat().st_size
            save = asyncio.create_task(j.save(lesson_id, 0, **save_request(world, key)))

            async def paused() -> bool:
                with log.open("rb") as f:
                    f.seek(offset)
                    return b"fault drill: pausing before commit" in f.read()

            await wait_for(paused, what="the save to pause before its commit")
            stack.kill("journal")
            with pytest.raises(grpc.aio.AioRpcError) as lost:
                await save
            assert lost.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        if "journal" in stack.procs:
            stack.kill("journal")
        stack.start("journal")

    journal = await pg(stack.database_urls["journal"])
    for sql in (
        "SELECT version FROM lesson WHERE id = $1",
        "SELECT count(*) FROM attendance WHERE lesson_id = $1",
        "SELECT count(*) FROM mark WHERE lesson_id = $1",
        HISTORY_OF_LESSON,
        "SELECT count(*) FROM outbox WHERE key = $1",
    ):
        assert await journal.fetchval(sql, lesson_id) == 0, sql

    async with Journal(stack, world.teacher) as j:
        retried = await wait_for(
            lambda: j.save(lesson_id, 0, **save_request(world, key)),
            what="the restarted journal to take the retry",
        )
        again = await j.save(lesson_id, 0, **save_request(world, key))
    assert retried.lesson.version == again.lesson.version == 1
    assert await journal.fetchval("SELECT count(*) FROM mark WHERE lesson_id = $1", lesson_id) == 3
    # One history record per entry (chained, or staged for the chainer), chained and intact.
    assert await journal.fetchval(HISTORY_OF_LESSON, lesson_id) == 1 + 3 + 3
    async with Journal(stack, world.deputy) as deputy:
        verified = await deputy.call(
            deputy.history.VerifyHistory,
            pb.VerifyHistoryRequest(institution_id=world.institution_id),
        )
        history = await deputy.call(
            deputy.history.ListHistory,
            pb.ListHistoryRequest(institution_id=world.institution_id, lesson_id=lesson_id),
        )
    assert verified.intact and verified.records >= 7
    assert {r.actor_id for r in history.records} == {world.teacher.person_id}
    assert {r.entity for r in history.records} == {"lesson_record", "attendance", "mark"}
    assert all(r.client.startswith("grpc ") and r.hash for r in history.records)


async def test_lesson_events_wait_for_a_killed_consumer(stack: Stack, world: ClassJournal) -> None:
    stack.kill("journal-consumers")
    try:
        async with Curriculum(stack, world.deputy) as cur:
            extra = (
                await cur.call(
                    cur.timetable.AddExtraLesson,
                    tt.AddExtraLessonRequest(
                        study_year_id=world.year.id,
                        group_id=world.group.id,
                        subject_id=world.maths.id,
                        teacher_id=world.teacher.person_id,
                        date=d(TODAY - timedelta(days=2)),
                        start=tt.LocalTime(hour=15),
                        duration=45,
                        reason="Дополнительное занятие",
                    ),
                )
            ).lesson
        async with Journal(stack, world.teacher) as j:
            with pytest.raises(grpc.aio.AioRpcError) as unknown:
                await j.lesson(extra.id)
            assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        stack.start("journal-consumers")
    async with Journal(stack, world.teacher) as j:
        found = await wait_for(lambda: j.lesson(extra.id), what="the consumer to catch up")
    assert found.lesson.date.iso == (TODAY - timedelta(days=2)).isoformat()
    assert len(found.roster) == len(world.students)


async def test_history_waits_for_a_killed_chainer_and_is_chained_once_it_is_back(
    stack: Stack, world: ClassJournal, pg: Any
) -> None:
    lesson_id = world.yesterday.id
    journal = await pg(stack.database_urls["journal"])
    staged = "SELECT count(*) FROM history_pending WHERE lesson_id = $1"
    chained = "SELECT count(*) FROM history_record WHERE lesson_id = $1"
    stack.kill("journal-monitor")  # the chainer runs in the monitor (ADR 15)
    try:
        async with Journal(stack, world.teacher) as j:
            saved = await j.save(lesson_id, 0, **save_request(world, uuid.uuid4().hex))
        assert saved.lesson.version == 1
        records = 1 + 2 * len(world.students)  # the record, attendance and a mark each
        await asyncio.sleep(1)  # several chainer intervals: nobody chains while it is down
        assert await journal.fetchval(staged, lesson_id) == records
        assert await journal.fetchval(chained, lesson_id) == 0
    finally:
        stack.start("journal-monitor")

    async def all_chained() -> bool:
        assert await journal.fetchval(staged, lesson_id) == 0
        return True

    await wait_for(all_chained, what="the restarted chainer to chain the staged history")
    assert await journal.fetchval(chained, lesson_id) == records
    async with Journal(stack, world.deputy) as deputy:
        verified = await deputy.call(
            deputy.history.VerifyHistory,
            pb.VerifyHistoryRequest(institution_id=world.institution_id),
        )
    assert verified.intact and verified.records >= records
