"""Asking identity's one policy (AccessService.Authorize) from any service (ADR 8).

The caller's token travels with the call (the kit's channel adds it), so identity decides for
the same person the service is serving. The owning service describes the resource.

Allowed decisions are remembered for a few seconds per token, action and resource: a page or a
service calling on a person's behalf asks the same question many times in a row, and each
answer costs a round trip to identity and its database. A binding revoked, or an account
disabled, therefore still passes here for at most ``ALLOW_TTL_S`` (the gateway's session is
revalidated every 30 s anyway). Denials are never remembered: a role just granted works at once
and every refusal is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import grpc

from zhurnal.identity.v1 import access_pb2, access_pb2_grpc
from zhurnal_kit.auth import current_caller
from zhurnal_kit.errors import PermissionDenied, Unauthenticated, Unavailable

log = logging.getLogger(__name__)


ALLOW_TTL_S = 5.0
# Remembered decisions at most; the memory is dropped whole when full (a burst of distinct
# questions costs round trips, never memory).
MAX_REMEMBERED = 10_000

_Key = tuple[str, str, str, str, tuple[str, ...], tuple[str, ...]]


class Authorizer:
    """A client of the policy for one service."""

    def __init__(self, channel: grpc.aio.Channel, *, allow_ttl_s: float = ALLOW_TTL_S) -> None:
        self._access = access_pb2_grpc.AccessServiceStub(channel)
        self._ttl = allow_ttl_s
        self._allowed: dict[_Key, float] = {}
        # Token -> (person id, remembered until): a save asks "who is this" every time.
        self._people: dict[str, tuple[str, float]] = {}

    async def require(
        self,
        action: str,
        *,
        institution_id: str,
        person_id: str = "",
        teacher_ids: Iterable[str] = (),
        substitute_ids: Iterable[str] = (),
    ) -> None:
        """Return when the policy allows ``action``; raise PermissionDenied otherwise."""
        teacher_ids, substitute_ids = tuple(sorted(teacher_ids)), tuple(sorted(substitute_ids))
        token = current_caller.get().token
        key: _Key = (token, action, institution_id, person_id, teacher_ids, substitute_ids)
        now = time.monotonic()
        if token and self._allowed.get(key, 0.0) > now:
            return
        try:
            reply = await self._access.Authorize(
                access_pb2.AuthorizeRequest(
                    action=action,
                    resource=access_pb2.Resource(
                        institution_id=institution_id,
                        person_id=person_id,
                        teacher_ids=list(teacher_ids),
                        substitute_ids=list(substitute_ids),
                    ),
                )
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                raise Unauthenticated(error.details() or "sign in first") from None
            # Fail closed: no decision, no access.
            raise Unavailable(
                f"the authorization service did not answer: {error.code().name}"
            ) from None
        if not reply.allowed:
            log.warning(
                "access denied",
                extra={"action": action, "reason": reply.reason, "institution_id": institution_id},
            )
            raise PermissionDenied(f"{action} is not allowed: {reply.reason}")
        if token and self._ttl > 0:
            if len(self._allowed) >= MAX_REMEMBERED:
                self._allowed.clear()
            self._allowed[key] = now + self._ttl

    async def person_id(self) -> str:
        """The caller's person id in identity's directory (AccessService.WhoAmI).

        Tokens carry the Keycloak user; what a service records as "who did it" (approved by,
        closed by, set by) is the person, the same id every other record uses. Remembered per
        token for as long as an allowed decision.
        """
        token = current_caller.get().token
        now = time.monotonic()
        if token and (known := self._people.get(token)) and known[1] > now:
            return known[0]
        try:
            me = await self._access.WhoAmI(access_pb2.WhoAmIRequest())
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                raise Unauthenticated(error.details() or "sign in first") from None
            if error.code() == grpc.StatusCode.PERMISSION_DENIED:
                raise PermissionDenied(error.details() or "not registered") from None
            raise Unavailable(f"identity did not answer: {error.code().name}") from None
        if not me.person_id:
            raise PermissionDenied("this account is not registered in Zhurnal")
        if token and self._ttl > 0:
            if len(self._people) >= MAX_REMEMBERED:
                self._people.clear()
            self._people[token] = (me.person_id, now + self._ttl)
        return me.person_id
