"""Services other than identity decide through identity's one policy (ADR 8)."""

from __future__ import annotations

import grpc
import pytest
from e2e.test_institution_slice import wait_for
from e2e.world import Identity, code, hire, new_institution

from zhurnal.curriculum.v1 import curriculum_pb2, curriculum_pb2_grpc
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


async def test_curriculum_reads_are_scoped_by_identitys_policy(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    home = await new_institution(stack, district_admin)
    other = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        teacher = await hire(stack, admin, keycloak, home, "teacher")
    token = teacher.token()
    async with make_channel(stack.grpc_addrs["curriculum"]) as channel:
        curriculum = curriculum_pb2_grpc.CurriculumServiceStub(channel)

        def ask(institution_id: str, metadata: list[tuple[str, str]]) -> object:
            return curriculum.GetInstitutionCalendar(
                curriculum_pb2.GetInstitutionCalendarRequest(institution_id=institution_id),
                metadata=metadata,
            )

        mine = [("authorization", f"Bearer {token}")]

        async def known() -> object:
            return await ask(home, mine)  # type: ignore[misc]

        reply = await wait_for(known, what="curriculum to learn of the institution")
        assert reply.institution_id == home
        assert await code(ask(other, mine)) == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[arg-type]
        assert await code(ask(home, [])) == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[arg-type]
