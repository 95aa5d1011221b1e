"""Opening the study year through the running curriculum service (R-5): the checklist of what
the year lacks, and last year's groups promoted into the new year with their students."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from e2e.kafka_probe import envelopes
from e2e.test_institution_slice import wait_for
from e2e.world import (
    Identity,
    code,
    create_group,
    day,
    define_subject,
    hire,
    new_institution,
    open_study_year,
    student,
)

from zhurnal.curriculum.v1 import (
    calendar_pb2,
    calendar_pb2_grpc,
    events_pb2,
    groups_pb2,
    groups_pb2_grpc,
    hours_pb2,
    hours_pb2_grpc,
    opening_pb2,
    opening_pb2_grpc,
)
from zhurnal_kit.events import unpack
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.grpc_errors import field_violations
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

GROUP_CREATED = "zhurnal.curriculum.v1.GroupCreated"
ENROLMENT_CHANGED = "zhurnal.curriculum.v1.EnrolmentChanged"


async def test_the_checklist_guides_the_deputy_and_groups_move_up_with_their_students(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    # Four Keycloak users in all: a deputy, a teacher (the load, and a refusal), two students.
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, school, "deputy")
        teacher = await hire(stack, admin, keycloak, school, "teacher")
        anna = await student(stack, admin, keycloak, school)
        boris = await student(stack, admin, keycloak, school)
    pupils = sorted([anna.person_id, boris.person_id])
    year = await open_study_year(stack, deputy, school)
    mine = [("authorization", f"Bearer {deputy.token()}")]
    theirs = [("authorization", f"Bearer {teacher.token()}")]
    async with make_channel(stack.grpc_addrs["curriculum"], default_timeout_s=20) as channel:
        calendar = calendar_pb2_grpc.CalendarServiceStub(channel)
        groups = groups_pb2_grpc.GroupServiceStub(channel)
        hours = hours_pb2_grpc.HoursServiceStub(channel)
        opening = opening_pb2_grpc.YearOpeningServiceStub(channel)

        async def checklist(year_id: str) -> tuple[bool, dict[str, Any]]:
            reply = await opening.GetOpeningChecklist(
                opening_pb2.GetOpeningChecklistRequest(study_year_id=year_id), metadata=mine
            )
            return reply.ready, {item.key: item for item in reply.items}

        # A fresh year lacks everything, and says what to do first.
        ready, items = await checklist(year.id)
        assert not ready
        assert not [key for key, item in items.items() if item.done]
        assert [m.message for m in items["periods"].missing] == [
            "не задано ни одного периода обучения (четверти, полугодия)"
        ]
        assert items["groups"].missing[0].message == (
            "в учебном году «2026/2027» нет ни одной группы"
        )
        assert items["holidays"].level == opening_pb2.CHECKLIST_LEVEL_WARNING
        assert items["timetable"].level == opening_pb2.CHECKLIST_LEVEL_REQUIRED

        # Periods, holidays, a class with two students, its curriculum and teaching load.
        for name, starts, ends in [
            ("1 полугодие", "2026-09-01", "2026-12-31"),
            ("2 полугодие", "2027-01-01", "2027-05-31"),
        ]:
            await calendar.AddStudyPeriod(
                calendar_pb2.AddStudyPeriodRequest(
                    study_year_id=year.id, name=name, starts=day(starts), ends=day(ends)
                ),
                metadata=mine,
            )
        await calendar.AddHoliday(
            calendar_pb2.AddHolidayRequest(
                study_year_id=year.id,
                starts=day("2026-11-02"),
                ends=day("2026-11-08"),
                name="осенние каникулы",
            ),
            metadata=mine,
        )
        seven = await create_group(groups, mine, year.id, "7А")

        async def enrol(person_id: str) -> Any:
            # Students reach curriculum through identity's events: wait for them.
            return await groups.Enrol(
                groups_pb2.EnrolRequest(
                    group_id=seven.id,
                    student_id=person_id,
                    joined=day("2026-09-01"),
                    reason="приказ № 1",
                ),
                metadata=mine,
            )

        for person_id in pupils:
            await wait_for(lambda p=person_id: enrol(p), what="the student to be known")
        maths = await define_subject(hours, mine, school, "Математика")
        await hours.SetCurriculum(
            hours_pb2.SetCurriculumRequest(
                study_year_id=year.id,
                lines=[hours_pb2.CurriculumLine(group_id=seven.id, subject_id=maths.id, hours=136)],
            ),
            metadata=mine,
        )

        async def set_load() -> Any:
            return await hours.SetTeachingLoad(
                hours_pb2.SetTeachingLoadRequest(
                    study_year_id=year.id,
                    lines=[
                        hours_pb2.LoadLine(
                            teacher_id=teacher.person_id,
                            group_id=seven.id,
                            subject_id=maths.id,
                            hours=136,
                        )
                    ],
                ),
                metadata=mine,
            )

        await wait_for(set_load, what="the teacher to be known")

        ready, items = await checklist(year.id)
        assert not ready
        assert {key for key, item in items.items() if item.done} == {
            "periods",
            "holidays",
            "groups",
            "students",
            "curriculum",
            "teaching_load",
        }
        (no_slots,) = items["timetable"].missing
        assert no_slots.message == "7А: нет расписания по предмету «Математика»"
        assert (no_slots.group_id, no_slots.subject_id) == (seven.id, maths.id)
        assert [m.message for m in items["lesson_plans"].missing] == [
            "7А: нет КТП по предмету «Математика»"
        ]
        assert [m.message for m in items["lesson_plans_approved"].missing] == [
            "7А: КТП по предмету «Математика» не утверждён (его ещё нет)"
        ]

        # A graduating class, and the next study year.
        await create_group(groups, mine, year.id, "11А", [11])
        following = (
            await calendar.CreateStudyYear(
                calendar_pb2.CreateStudyYearRequest(
                    institution_id=school,
                    name="2027/2028",
                    starts=day("2027-09-01"),
                    ends=day("2028-05-31"),
                ),
                metadata=mine,
            )
        ).study_year

        def promote(*, dry_run: bool = False) -> opening_pb2.PromoteGroupsRequest:
            return opening_pb2.PromoteGroupsRequest(
                from_study_year_id=year.id,
                to_study_year_id=following.id,
                carry_students=True,
                dry_run=dry_run,
            )

        async def names_next_year() -> list[str]:
            reply = await groups.ListGroups(
                groups_pb2.ListGroupsRequest(study_year_id=following.id), metadata=mine
            )
            return [g.name for g in reply.groups]

        # Only the deputy's rights open the year.
        assert await code(opening.PromoteGroups(promote(), metadata=theirs)) == (
            grpc.StatusCode.PERMISSION_DENIED
        )

        # A dry run reports the mapping and writes nothing.
        dry = await opening.PromoteGroups(promote(dry_run=True), metadata=mine)
        assert dry.dry_run
        assert [(g.from_name, g.outcome, g.to_name, g.to_group_id) for g in dry.groups] == [
            ("7А", opening_pb2.PROMOTION_OUTCOME_PROMOTED, "8А", ""),
            ("11А", opening_pb2.PROMOTION_OUTCOME_GRADUATED, "", ""),
        ]
        assert sorted(dry.groups[0].carried_student_ids) == pupils
        assert await names_next_year() == []

        done = await opening.PromoteGroups(promote(), metadata=mine)
        assert (done.groups_created, done.groups_graduated, done.students_carried) == (1, 1, 2)
        eight = done.groups[0]
        assert (eight.from_group_id, eight.to_name, list(eight.years_of_study)) == (
            seven.id,
            "8А",
            [8],
        )
        assert eight.to_group_id
        assert await names_next_year() == ["8А"]  # no 12А

        async def roster(group_id: str, on: str) -> list[str]:
            reply = await groups.GetRoster(
                groups_pb2.GetRosterRequest(group_id=group_id, on=day(on)), metadata=mine
            )
            return sorted(reply.student_ids)

        assert await roster(eight.to_group_id, "2027-09-01") == pupils

        # Promoting again finds 8А taken: AlreadyExists naming it, and nothing is written, not
        # even 8Б of a class added to the old year since.
        await create_group(groups, mine, year.id, "7Б")
        with pytest.raises(grpc.aio.AioRpcError) as again:
            await opening.PromoteGroups(promote(), metadata=mine)
        assert again.value.code() == grpc.StatusCode.ALREADY_EXISTS
        (taken,) = field_violations(again.value)
        assert taken.field == "to_study_year_id"
        assert "«8А» (from «7А»)" in taken.description
        assert await names_next_year() == ["8А"]
        assert await roster(eight.to_group_id, "2027-09-01") == pupils

    async def published() -> list[Any]:
        # The group's events, once its creation and both students' enrolments have arrived
        # (the relay publishes the outbox in order, per group key).
        found = await envelopes(
            stack.infra.kafka_bootstrap,
            f"{stack.namespace}.zhurnal.curriculum.group.v1",
            key=eight.to_group_id,
        )
        types = [e.event_type for e in found]
        enrolled = types.count(ENROLMENT_CHANGED)
        return found if GROUP_CREATED in types and enrolled >= 2 else []

    found = await wait_for(published, what="GroupCreated and EnrolmentChanged of 8А on Kafka")
    assert found[0].event_type == GROUP_CREATED
    assert unpack(found[0], events_pb2.GroupCreated).group.name == "8А"
    changed = [
        unpack(e, events_pb2.EnrolmentChanged).enrolment
        for e in found
        if e.event_type == ENROLMENT_CHANGED
    ]
    assert sorted({c.student_id for c in changed}) == pupils
    assert {c.join_reason for c in changed} == {"Перевод в следующий класс"}
    assert {c.joined.iso for c in changed} == {"2027-09-01"}
