"""The curriculum and the teaching load of a year, checked through the running service (R-5)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from e2e.test_institution_slice import wait_for
from e2e.world import Identity, create_group, define_subject, hire, new_institution, open_study_year

from zhurnal.curriculum.v1 import (
    groups_pb2_grpc,
    hours_pb2,
    hours_pb2_grpc,
)
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.grpc_errors import field_violations
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


async def test_the_load_check_names_every_mismatch_and_bad_lines_write_nothing(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, school, "deputy")
        teacher = await hire(stack, admin, keycloak, school, "teacher")
    year = await open_study_year(stack, deputy, school)
    mine = [("authorization", f"Bearer {deputy.token()}")]
    async with make_channel(stack.grpc_addrs["curriculum"], default_timeout_s=20) as channel:
        groups = groups_pb2_grpc.GroupServiceStub(channel)
        hours = hours_pb2_grpc.HoursServiceStub(channel)

        seven = await create_group(groups, mine, year.id, "7А")
        maths = await define_subject(hours, mine, school, "Математика")
        history = await define_subject(hours, mine, school, "История")
        await hours.SetCurriculum(
            hours_pb2.SetCurriculumRequest(
                study_year_id=year.id,
                lines=[
                    hours_pb2.CurriculumLine(group_id=seven.id, subject_id=maths.id, hours=170),
                    hours_pb2.CurriculumLine(group_id=seven.id, subject_id=history.id, hours=68),
                ],
            ),
            metadata=mine,
        )

        async def set_load() -> Any:
            # The teacher reaches curriculum through identity's events: wait for them.
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
        checked = await hours.CheckTeachingLoad(
            hours_pb2.CheckTeachingLoadRequest(study_year_id=year.id), metadata=mine
        )
        assert {(m.kind, m.subject_id, m.expected, m.actual) for m in checked.mismatches} == {
            ("under", maths.id, 170, 136),
            ("uncovered", history.id, 68, 0),
        }
        assert any(
            "7А, Математика: по учебному плану 170 ч, распределено 136 ч" in m.message
            for m in checked.mismatches
        )
        # A bad line (unknown group, hours out of range) writes nothing.
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await hours.SetTeachingLoad(
                hours_pb2.SetTeachingLoadRequest(
                    study_year_id=year.id,
                    lines=[
                        hours_pb2.LoadLine(
                            teacher_id=teacher.person_id,
                            group_id=seven.id,
                            subject_id=maths.id,
                            hours=170,
                        ),
                        hours_pb2.LoadLine(
                            teacher_id=teacher.person_id,
                            group_id="nope",
                            subject_id=history.id,
                            hours=68,
                        ),
                    ],
                ),
                metadata=mine,
            )
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "lines[1].group_id" in [v.field for v in field_violations(bad.value)]
        again = await hours.CheckTeachingLoad(
            hours_pb2.CheckTeachingLoadRequest(study_year_id=year.id), metadata=mine
        )
        assert len(again.mismatches) == 2  # unchanged
