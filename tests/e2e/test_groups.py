"""Groups and dated enrolment through the running curriculum service (history kept)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from e2e.kafka_probe import envelopes
from e2e.test_institution_slice import wait_for
from e2e.world import Identity, create_group, day, hire, new_institution, open_study_year, student

from zhurnal.curriculum.v1 import groups_pb2, groups_pb2_grpc
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.grpc_errors import field_violations
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


async def test_classes_associations_enrolment_and_transfer(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, school, "deputy")
        pupil = await student(stack, admin, keycloak, school)
    year = await open_study_year(stack, deputy, school)
    mine = [("authorization", f"Bearer {deputy.token()}")]
    async with make_channel(stack.grpc_addrs["curriculum"], default_timeout_s=20) as channel:
        groups = groups_pb2_grpc.GroupServiceStub(channel)

        a = await create_group(groups, mine, year.id, "7А")
        b = await create_group(groups, mine, year.id, "7Б")
        robots = await create_group(
            groups,
            mine,
            year.id,
            "Робототехника",
            [5, 6, 7],
            kind=groups_pb2.GROUP_KIND_ASSOCIATION,
            starts=day("2026-09-15"),
        )

        async def enrol_first() -> Any:
            # The student reaches curriculum through identity's events: wait for them.
            return await groups.Enrol(
                groups_pb2.EnrolRequest(
                    group_id=a.id,
                    student_id=pupil.person_id,
                    joined=day("2026-09-01"),
                    reason="приказ № 1",
                ),
                metadata=mine,
            )

        first = (await wait_for(enrol_first, what="the student to be known")).enrolment
        with pytest.raises(grpc.aio.AioRpcError) as too_early:
            await groups.Enrol(
                groups_pb2.EnrolRequest(
                    group_id=robots.id,
                    student_id=pupil.person_id,
                    joined=day("2026-09-01"),
                    reason="заявление",
                ),
                metadata=mine,
            )
        assert [v.field for v in field_violations(too_early.value)] == ["joined"]
        with pytest.raises(grpc.aio.AioRpcError) as stranger:
            await groups.Enrol(
                groups_pb2.EnrolRequest(
                    group_id=b.id,
                    student_id=deputy.person_id,
                    joined=day("2026-09-01"),
                    reason="ошибка",
                ),
                metadata=mine,
            )
        assert [v.field for v in field_violations(stranger.value)] == ["student_id"]
        await groups.Enrol(
            groups_pb2.EnrolRequest(
                group_id=robots.id,
                student_id=pupil.person_id,
                joined=day("2026-09-15"),
                reason="заявление родителей",
            ),
            metadata=mine,
        )
        moved = await groups.Transfer(
            groups_pb2.TransferRequest(
                enrolment_id=first.id, to_group_id=b.id, on=day("2026-11-09"), reason="приказ № 45"
            ),
            metadata=mine,
        )
        assert moved.ended.left.iso == "2026-11-08"

        async def roster(group_id: str, on: str) -> list[str]:
            reply = await groups.GetRoster(
                groups_pb2.GetRosterRequest(group_id=group_id, on=day(on)), metadata=mine
            )
            return list(reply.student_ids)

        assert await roster(a.id, "2026-11-08") == [pupil.person_id]
        assert await roster(a.id, "2026-11-09") == []
        assert await roster(b.id, "2026-11-09") == [pupil.person_id]
        assert await roster(robots.id, "2026-11-09") == [pupil.person_id]
        listed = await groups.ListGroups(
            groups_pb2.ListGroupsRequest(study_year_id=year.id), metadata=mine
        )
        assert [g.name for g in listed.groups] == ["7А", "7Б", "Робототехника"]

    async def changes() -> list[Any]:
        found = await envelopes(
            stack.infra.kafka_bootstrap, f"{stack.namespace}.zhurnal.curriculum.group.v1", key=b.id
        )
        return [e for e in found if e.event_type == "zhurnal.curriculum.v1.EnrolmentChanged"]

    assert await wait_for(changes, what="EnrolmentChanged on Kafka")
