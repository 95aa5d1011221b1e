"""Opening a study year and closing its periods, through the running curriculum service with
identity's policy, PostgreSQL and Kafka (R-5, R-6.3)."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from e2e.kafka_probe import envelopes
from e2e.test_institution_slice import wait_for
from e2e.world import Identity, code, hire, new_institution

from zhurnal.curriculum.v1 import calendar_pb2 as pb
from zhurnal.curriculum.v1 import calendar_pb2_grpc
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.grpc_errors import field_violations
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


def day(iso: str) -> pb.Day:
    return pb.Day(iso=iso)


async def test_a_deputy_opens_the_year_and_closes_a_period(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, school, "deputy")
        teacher = await hire(stack, admin, keycloak, school, "teacher")
    mine = [("authorization", f"Bearer {deputy.token()}")]
    async with make_channel(stack.grpc_addrs["curriculum"], default_timeout_s=20) as channel:
        cal = calendar_pb2_grpc.CalendarServiceStub(channel)

        async def create() -> Any:
            return await cal.CreateStudyYear(
                pb.CreateStudyYearRequest(
                    institution_id=school,
                    name="2026/2027",
                    starts=day("2026-09-01"),
                    ends=day("2027-05-31"),
                    working_days=[0, 1, 2, 3, 4],
                    idempotency_key=key,
                ),
                metadata=mine,
            )

        key = str(uuid.uuid4())
        # The institution reaches curriculum through Kafka: wait until it is known.
        year = (await wait_for(create, what="curriculum to accept the study year")).study_year
        # A retry with the same key answers with the same year instead of "name taken".
        assert (await create()).study_year.id == year.id
        first = await cal.AddStudyPeriod(
            pb.AddStudyPeriodRequest(
                study_year_id=year.id,
                name="1 полугодие",
                starts=day("2026-09-01"),
                ends=day("2026-12-29"),
            ),
            metadata=mine,
        )
        with pytest.raises(grpc.aio.AioRpcError) as overlapping:
            await cal.AddStudyPeriod(
                pb.AddStudyPeriodRequest(
                    study_year_id=year.id,
                    name="лишний",
                    starts=day("2026-12-01"),
                    ends=day("2027-01-20"),
                ),
                metadata=mine,
            )
        assert [v.field for v in field_violations(overlapping.value)] == ["starts"]
        with pytest.raises(grpc.aio.AioRpcError) as outside:
            await cal.AddStudyPeriod(
                pb.AddStudyPeriodRequest(
                    study_year_id=year.id,
                    name="лето",
                    starts=day("2027-06-01"),
                    ends=day("2027-06-30"),
                ),
                metadata=mine,
            )
        assert outside.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        await cal.AddHoliday(
            pb.AddHolidayRequest(
                study_year_id=year.id,
                starts=day("2026-11-02"),
                ends=day("2026-11-08"),
                name="осенние каникулы",
            ),
            metadata=mine,
        )
        # A teacher may read the calendar but not close a period.
        theirs = [("authorization", f"Bearer {teacher.token()}")]
        assert await code(
            cal.ClosePeriod(
                pb.ClosePeriodRequest(study_year_id=year.id, period_id=first.period.id),
                metadata=theirs,
            )
        ) == (grpc.StatusCode.PERMISSION_DENIED)
        seen = await cal.GetStudyYear(pb.GetStudyYearRequest(id=year.id), metadata=theirs)
        assert [h.name for h in seen.study_year.holidays] == ["осенние каникулы"]
        closed = await cal.ClosePeriod(
            pb.ClosePeriodRequest(study_year_id=year.id, period_id=first.period.id), metadata=mine
        )
        assert closed.period.closed
        assert closed.period.closed_by == deputy.person_id  # the person, not the login
        assert await code(
            cal.ClosePeriod(
                pb.ClosePeriodRequest(study_year_id=year.id, period_id=first.period.id),
                metadata=mine,
            )
        ) == (grpc.StatusCode.FAILED_PRECONDITION)
        assert await code(
            cal.OpenPeriod(
                pb.OpenPeriodRequest(study_year_id=year.id, period_id=first.period.id),
                metadata=mine,
            )
        ) == (grpc.StatusCode.INVALID_ARGUMENT)  # a reason is required

    async def period_closed() -> list[Any]:
        found = await envelopes(
            stack.infra.kafka_bootstrap,
            f"{stack.namespace}.zhurnal.curriculum.study_year.v1",
            key=year.id,
        )
        return [e for e in found if e.event_type == "zhurnal.curriculum.v1.PeriodClosed"]

    assert await wait_for(period_closed, what="PeriodClosed on Kafka")
