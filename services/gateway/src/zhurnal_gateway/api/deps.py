"""Dependencies routes declare in their signatures: the gateway and the signed-in caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from zhurnal_gateway.bootstrap import Gateway
from zhurnal_kit.auth import Caller, current_caller
from zhurnal_kit.errors import Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="A Keycloak access token of realm zhurnal")


def get_gateway(request: Request) -> Gateway:
    """The gateway built in the app's lifespan."""
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


async def get_caller(
    gateway: GatewayDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller proven by the bearer token (checked locally against the realm's keys).

    It is also set as the current caller, so calls to services carry the same token and every
    service checks it again (defence in depth).
    """
    if credentials is None:
        raise Unauthenticated("a bearer token is required")
    caller = await gateway.verifier.verify(credentials.credentials)
    current_caller.set(caller)
    return caller


CurrentCaller = Annotated[Caller, Depends(get_caller)]
