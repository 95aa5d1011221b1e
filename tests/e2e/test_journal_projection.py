"""The journal's own projection of the schedule through the running system (issue 5): a
timetable set in curriculum reaches the journal's database through Kafka, with each lesson's
topic deadline computed in the institution's time zone, and the journal follows every later
change: a move, a cancellation keeping entries read-only, a substitution and its revocation,
a period closed (the journal announces the lock).

The test stack runs the journal with ZHURNAL_JOURNAL_TOPIC_DUE=lesson_end and no grace: a
topic is due when its lesson ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from e2e.kafka_probe import envelopes
from e2e.test_institution_slice import wait_for
from e2e.test_timetable import at, d, has_entries, record_entries, set_slot
from e2e.world import (
    Curriculum,
    Identity,
    Member,
    create_group,
    define_subject,
    hire,
    unique,
)

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
from zhurnal.curriculum.v1 import calendar_pb2, groups_pb2, hours_pb2
from zhurnal.curriculum.v1 import timetable_pb2 as pb
from zhurnal.journal.v1 import events_pb2 as journal_events
from zhurnal_kit.events import unpack
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

# Seven hours ahead of Moscow, the zone the journal assumes before identity's event arrives:
# a deadline computed in the wrong zone cannot pass for the right one.
ZONE = "Asia/Vladivostok"
TODAY = date.today()
YEAR_STARTS = TODAY - timedelta(days=70)
YEAR_ENDS = TODAY + timedelta(days=200)
NEXT_MONDAY = TODAY + timedelta(days=7 - TODAY.weekday())
PROJECTION_TIMEOUT_S = 90


@dataclass
class School:
    id: str
    deputy: Member
    teacher: Member
    other_teacher: Member
    year: calendar_pb2.StudyYear
    group: groups_pb2.Group
    subject: hours_pb2.Subject


async def school(stack: Stack, district_admin: Person, keycloak: KeycloakAdmin) -> School:
    """An institution in Vladivostok with a deputy, two teachers, a study year around today,
    a group 7А and maths taught by the first teacher."""
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
        reply = await http.post(
            "/api/v1/institutions",
            json={
                "code": unique("s"),
                "full_name": "МБОУ «Школа № 1 г. Владивостока»",
                "short_name": "Школа № 1",
                "kind": "school",
                "time_zone": ZONE,
            },
            headers={"Authorization": f"Bearer {district_admin.token()}"},
        )
    assert reply.status_code == 201, reply.text
    institution = str(reply.json()["id"])
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, institution, "deputy")
        teacher = await hire(stack, admin, keycloak, institution, "teacher")
        other = await hire(stack, admin, keycloak, institution, "teacher")
    async with Curriculum(stack, deputy) as cur:

        async def create() -> Any:
            return await cur.call(
                cur.calendar.CreateStudyYear,
                calendar_pb2.CreateStudyYearRequest(
                    institution_id=institution,
                    name=f"{YEAR_STARTS.year}/{YEAR_STARTS.year + 1}",
                    starts=d(YEAR_STARTS),
                    ends=d(YEAR_ENDS),
                    working_days=[0, 1, 2, 3, 4],
                ),
            )

        year = (await wait_for(create, what="curriculum to accept the study year")).study_year
        group = await create_group(cur.groups, cur.metadata, year.id, "7А")
        maths = await define_subject(cur.hours, cur.metadata, institution, "Математика")

        async def load() -> Any:
            return await cur.call(
                cur.hours.SetTeachingLoad,
                hours_pb2.SetTeachingLoadRequest(
                    study_year_id=year.id,
                    lines=[
                        hours_pb2.LoadLine(
                            teacher_id=teacher.person_id,
                            group_id=group.id,
                            subject_id=maths.id,
                            hours=34,
                        )
                    ],
                ),
            )

        await wait_for(load, what="the teachers to be known to curriculum")
    return School(institution, deputy, teacher, other, year, group, maths)


def lesson_end(day: date, start: time, minutes: int) -> datetime:
    """When a lesson of the institution ends (the stack's topic deadline), in UTC."""
    return datetime.combine(day, start, tzinfo=ZoneInfo(ZONE)).astimezone(UTC) + timedelta(
        minutes=minutes
    )


async def projected_lesson(journal: Any, lesson_id: str) -> Any:
    return await journal.fetchrow(
        "SELECT date, start, duration, status, due_at, kept_read_only, topic, version"
        " FROM lesson WHERE id = $1",
        lesson_id,
    )


async def test_the_journal_projects_the_timetable_and_follows_its_changes(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin, pg: Any
) -> None:
    s = await school(stack, district_admin, keycloak)
    journal = await pg(stack.database_urls["journal"])
    async with Curriculum(stack, s.deputy) as cur:
        period = (
            await cur.call(
                cur.calendar.AddStudyPeriod,
                calendar_pb2.AddStudyPeriodRequest(
                    study_year_id=s.year.id,
                    name="1 четверть",
                    starts=d(YEAR_STARTS),
                    ends=d(TODAY + timedelta(days=30)),
                ),
            )
        ).period
        made = await set_slot(
            cur,
            pb.Slot(
                study_year_id=s.year.id,
                group_id=s.group.id,
                subject_id=s.subject.id,
                teacher_id=s.teacher.person_id,
                weekday=0,
                start=at(8, 30),
                duration=45,
                room="12",
            ),
        )
        saturday = NEXT_MONDAY + timedelta(days=5)
        extra = (
            await cur.call(
                cur.timetable.AddExtraLesson,
                pb.AddExtraLessonRequest(
                    study_year_id=s.year.id,
                    group_id=s.group.id,
                    subject_id=s.subject.id,
                    teacher_id=s.teacher.person_id,
                    date=d(saturday),
                    start=at(11),
                    duration=90,
                    reason="Экскурсия в музей",
                ),
            )
        ).lesson
        query = pb.ListLessonsRequest(institution_id=s.id, to=d(YEAR_ENDS), group_id=s.group.id)
        getattr(query, "from").CopyFrom(d(YEAR_STARTS))  # a Python keyword
        planned = list((await cur.call(cur.timetable.ListLessons, query)).lessons)
        assert len(planned) == made.change.added + 1 > 30

        # Every lesson of the year, due when it ends in Vladivostok (identity's event and
        # curriculum's come on different topics: whichever came first, the result is this).
        expected = {
            x.id: (
                date.fromisoformat(x.date.iso),
                time(x.start.hour, x.start.minute),
                x.duration,
                lesson_end(
                    date.fromisoformat(x.date.iso), time(x.start.hour, x.start.minute), x.duration
                ),
            )
            for x in planned
        }

        async def year_projected() -> bool:
            rows = await journal.fetch(
                "SELECT id, date, start, duration, due_at FROM lesson WHERE study_year_id = $1",
                s.year.id,
            )
            found = {r["id"]: (r["date"], r["start"], r["duration"], r["due_at"]) for r in rows}
            return found == expected

        await wait_for(
            year_projected,
            timeout=PROJECTION_TIMEOUT_S,
            what="the journal to hold the year's lessons due at their end in Vladivostok",
        )
        assert (await projected_lesson(journal, extra.id))["due_at"] == lesson_end(
            saturday, time(11), 90
        )
        stored = await journal.fetchrow(
            "SELECT name, starts, ends, closed, institution_id FROM study_period WHERE id = $1",
            period.id,
        )
        assert stored is not None and (stored["name"], stored["closed"]) == ("1 четверть", False)
        assert stored["institution_id"] == s.id

        first, second, third = sorted(
            (x for x in planned if date.fromisoformat(x.date.iso) >= NEXT_MONDAY and x.slot_id),
            key=lambda x: x.date.iso,
        )[:3]

        # A move: the lesson keeps its id (and any entries), its deadline is the new time's.
        tuesday = NEXT_MONDAY + timedelta(days=1)
        await cur.call(
            cur.timetable.MoveLesson,
            pb.MoveLessonRequest(
                lesson_id=first.id,
                new_date=d(tuesday),
                new_start=at(12),
                reason="Учитель на курсах в понедельник",
            ),
        )

        async def moved() -> bool:
            row = await projected_lesson(journal, first.id)
            return row is not None and (
                row["date"],
                row["start"],
                row["status"],
                row["due_at"],
            ) == (tuesday, time(12), pb.LESSON_STATUS_MOVED, lesson_end(tuesday, time(12), 45))

        await wait_for(moved, timeout=PROJECTION_TIMEOUT_S, what="the journal to see the move")

        # A lesson with entries cancelled, its entries kept read-only: the record stays.
        await journal.execute(
            "UPDATE lesson SET topic = 'Дроби', version = 1 WHERE id = $1", second.id
        )
        await record_entries(stack, s.id, second)
        await wait_for(lambda: has_entries(cur, second), what="curriculum to learn of entries")
        await cur.call(
            cur.timetable.CancelLesson,
            pb.CancelLessonRequest(
                lesson_id=second.id,
                reason="Карантин",
                decision=pb.ENTRIES_DECISION_KEEP_READ_ONLY,
            ),
        )

        async def cancelled() -> bool:
            row = await projected_lesson(journal, second.id)
            return row is not None and (row["status"], row["kept_read_only"]) == (
                pb.LESSON_STATUS_CANCELLED,
                True,
            )

        await wait_for(
            cancelled, timeout=PROJECTION_TIMEOUT_S, what="the journal to see the cancellation"
        )
        kept = await projected_lesson(journal, second.id)
        assert (kept["topic"], kept["version"]) == ("Дроби", 1)

        # A substitution, then its revocation.
        sub = (
            await cur.call(
                cur.timetable.SetSubstitution,
                pb.SetSubstitutionRequest(
                    lesson_id=third.id,
                    substitute_teacher_id=s.other_teacher.person_id,
                    reason="Болезнь учителя",
                ),
            )
        ).substitution

        async def substitution() -> Any:
            return await journal.fetchrow(
                "SELECT lesson_id, substitute_teacher_id, valid_from, valid_until, revoked_at"
                " FROM substitution WHERE id = $1",
                sub.id,
            )

        named = await wait_for(
            substitution, timeout=PROJECTION_TIMEOUT_S, what="the journal to see the substitute"
        )
        assert (named["lesson_id"], named["substitute_teacher_id"]) == (
            third.id,
            s.other_teacher.person_id,
        )
        assert named["valid_from"] == datetime.fromisoformat(sub.valid_from)
        assert named["valid_until"] == datetime.fromisoformat(sub.valid_until)
        assert named["revoked_at"] is None
        revoked = (
            await cur.call(
                cur.timetable.RevokeSubstitution,
                pb.RevokeSubstitutionRequest(substitution_id=sub.id),
            )
        ).substitution

        async def substitution_revoked() -> Any:
            row = await substitution()
            return row is not None and row["revoked_at"] == datetime.fromisoformat(
                revoked.revoked_at
            )

        await wait_for(
            substitution_revoked,
            timeout=PROJECTION_TIMEOUT_S,
            what="the journal to see the substitution revoked",
        )

        # The period is closed: the journal locks it and says so on its own topic.
        await cur.call(
            cur.calendar.ClosePeriod,
            calendar_pb2.ClosePeriodRequest(study_year_id=s.year.id, period_id=period.id),
        )

    async def period_closed() -> Any:
        row = await journal.fetchrow(
            "SELECT closed, closed_by FROM study_period WHERE id = $1", period.id
        )
        return row is not None and row["closed"] and row["closed_by"] == s.deputy.person_id

    await wait_for(
        period_closed, timeout=PROJECTION_TIMEOUT_S, what="the journal to see the period closed"
    )

    async def lock_announced() -> list[EventEnvelope]:
        found = await envelopes(
            stack.infra.kafka_bootstrap,
            f"{stack.namespace}.zhurnal.journal.period.v1",
            key=period.id,
        )
        return [e for e in found if e.event_type == "zhurnal.journal.v1.PeriodLocked"]

    [announced] = await wait_for(
        lock_announced, timeout=PROJECTION_TIMEOUT_S, what="PeriodLocked on Kafka"
    )
    locked = unpack(announced, journal_events.PeriodLocked)
    assert (locked.period_id, locked.study_year_id, locked.institution_id, locked.cause) == (
        period.id,
        s.year.id,
        s.id,
        "closed",
    )
    assert announced.producer == "journal" and announced.institution_id == s.id
