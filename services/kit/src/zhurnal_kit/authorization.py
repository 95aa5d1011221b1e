"""Asking identity's one policy (AccessService.Authorize) from any service (ADR 8).

The caller's token travels with the call (the kit's channel adds it), so identity decides for
the same person the service is serving. The owning service describes the resource.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import grpc

from zhurnal.identity.v1 import access_pb2, access_pb2_grpc
from zhurnal_kit.errors import PermissionDenied, Unauthenticated, Unavailable

log = logging.getLogger(__name__)


class Authorizer:
    """A client of the policy for one service."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._access = access_pb2_grpc.AccessServiceStub(channel)

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
