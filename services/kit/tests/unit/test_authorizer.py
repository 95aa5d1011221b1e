"""The policy client remembers allowed decisions briefly, per token, action and resource, and
never remembers a denial."""

from __future__ import annotations

from typing import Any

import pytest

from zhurnal.identity.v1 import access_pb2
from zhurnal_kit.auth import Caller, current_caller
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import PermissionDenied


class FakeAccess:
    """AccessService.Authorize answering from a set of allowed (action, institution)."""

    def __init__(self) -> None:
        self.allowed: set[tuple[str, str]] = set()
        self.asked = 0
        self.person = ""

    async def WhoAmI(self, request: access_pb2.WhoAmIRequest) -> Any:
        return access_pb2.WhoAmIResponse(person_id=self.person)

    async def Authorize(self, request: access_pb2.AuthorizeRequest) -> Any:
        self.asked += 1
        ok = (request.action, request.resource.institution_id) in self.allowed
        return access_pb2.AuthorizeResponse(allowed=ok, reason="" if ok else "no rule")


def authorizer(ttl: float = 5.0) -> tuple[Authorizer, FakeAccess]:
    subject = Authorizer(_NoChannel(), allow_ttl_s=ttl)  # type: ignore[arg-type]
    fake = FakeAccess()
    subject._access = fake  # type: ignore[assignment]
    return subject, fake


class _NoChannel:
    def unary_unary(self, *args: Any, **kwargs: Any) -> Any:
        return None


async def test_an_allowed_decision_is_remembered_for_the_same_token_and_resource() -> None:
    subject, fake = authorizer()
    fake.allowed.add(("curriculum.read", "i1"))
    current_caller.set(Caller(subject="s", token="token-a"))
    await subject.require("curriculum.read", institution_id="i1")
    await subject.require("curriculum.read", institution_id="i1")
    assert fake.asked == 1
    # Another token, another resource: asked again.
    current_caller.set(Caller(subject="s", token="token-b"))
    await subject.require("curriculum.read", institution_id="i1")
    with pytest.raises(PermissionDenied):
        await subject.require("curriculum.read", institution_id="i2")
    assert fake.asked == 3


async def test_a_denial_is_never_remembered() -> None:
    subject, fake = authorizer()
    current_caller.set(Caller(subject="s", token="token-a"))
    with pytest.raises(PermissionDenied):
        await subject.require("plan.approve", institution_id="i1")
    fake.allowed.add(("plan.approve", "i1"))  # the role was granted meanwhile
    await subject.require("plan.approve", institution_id="i1")
    assert fake.asked == 2


async def test_nothing_is_remembered_without_a_ttl_or_a_token() -> None:
    subject, fake = authorizer(ttl=0)
    fake.allowed.add(("curriculum.read", "i1"))
    current_caller.set(Caller(subject="s", token="token-a"))
    await subject.require("curriculum.read", institution_id="i1")
    await subject.require("curriculum.read", institution_id="i1")
    anonymous, fake2 = authorizer()
    fake2.allowed.add(("curriculum.read", "i1"))
    current_caller.set(Caller(subject=""))
    await anonymous.require("curriculum.read", institution_id="i1")
    await anonymous.require("curriculum.read", institution_id="i1")
    assert (fake.asked, fake2.asked) == (2, 2)


async def test_the_person_id_comes_from_identity_and_an_unregistered_caller_is_refused() -> None:
    subject, fake = authorizer()
    fake.person = "p-1"
    assert await subject.person_id() == "p-1"
    fake.person = ""
    with pytest.raises(PermissionDenied):
        await subject.person_id()
