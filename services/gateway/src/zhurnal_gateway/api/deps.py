"""Dependencies routes declare in their signatures: the gateway and the signed-in caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from zhurnal_gateway.bootstrap import Gateway
from zhurnal_gateway.sessions import SESSION_COOKIE, require_csrf
from zhurnal_kit.auth import Caller, current_caller
from zhurnal_kit.errors import Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="A Keycloak access token of realm zhurnal")
_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description=(
        "The web session after signing in at /login; state-changing requests also need the "
        "session's CSRF token in the X-CSRF-Token header"
    ),
)


def get_gateway(request: Request) -> Gateway:
    """The gateway built in the app's lifespan."""
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


async def get_caller(
    request: Request,
    gateway: GatewayDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session_cookie: Annotated[str | None, Depends(_session_cookie)],
) -> Caller:
    """The caller proven by a bearer token or, without one, by the web session's cookie.

    A bearer token is checked locally against the realm's keys. A session yields the caller of
    its access token (re-validated at Keycloak when due); a state-changing request through the
    session must also carry its CSRF token (403 otherwise). Either way the caller is set as the
    current caller, so calls to services carry the same token and every service checks it again
    (defence in depth).
    """
    if credentials is not None:
        caller = await gateway.verifier.verify(credentials.credentials)
    else:
        session = await gateway.sessions.resolve(request) if session_cookie else None
        if session is None:
            raise Unauthenticated("a bearer token or a signed-in session is required")
        await require_csrf(request, session)
        caller = session.caller
    current_caller.set(caller)
    return caller


CurrentCaller = Annotated[Caller, Depends(get_caller)]
