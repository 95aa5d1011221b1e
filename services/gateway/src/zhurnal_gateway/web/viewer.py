"""Who is looking at a page: the signed-in person, their roles in force and their children.

Pages ask identity once per request (``WhoAmI``) and build the menu from the answer. The menu
only spares people links they could not follow: every page's data comes from a service that
authorizes the call itself with the person's token, so a hidden link is never the protection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import grpc
from fastapi import Depends, Request

from zhurnal.identity.v1 import access_pb2
from zhurnal_gateway.api.deps import GatewayDep
from zhurnal_gateway.sessions import ActiveSession, require_csrf, safe_next
from zhurnal_kit.auth import current_caller

ROLE_NAMES: dict[int, str] = {
    access_pb2.ROLE_ADMINISTRATOR: "administrator",
    access_pb2.ROLE_DIRECTOR: "director",
    access_pb2.ROLE_DEPUTY: "deputy",
    access_pb2.ROLE_TEACHER: "teacher",
    access_pb2.ROLE_STUDENT: "student",
    access_pb2.ROLE_GUARDIAN: "guardian",
    access_pb2.ROLE_INSPECTOR: "inspector",
    access_pb2.ROLE_DISTRICT_ADMINISTRATOR: "district-administrator",
    access_pb2.ROLE_DISTRICT_ANALYST: "district-analyst",
}
DISTRICT_ROLES = frozenset({"district-administrator", "district-analyst"})


class SignInRequired(Exception):
    """A page was asked for without a session: the browser goes to /login and comes back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = safe_next(next_path)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as pages need them."""

    session: ActiveSession
    person_id: str
    name: str
    # (institution id, role) of every binding in force; district roles have no institution.
    bindings: tuple[tuple[str, str], ...]
    children_ids: tuple[str, ...]
    active: bool
    roles: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(role for _, role in self.bindings))

    @property
    def csrf_token(self) -> str:
        """The session's CSRF token, for forms and the scripts' X-CSRF-Token header."""
        return self.session.csrf_token

    def has(self, *roles: str) -> bool:
        """True when any binding in force has one of ``roles``."""
        return bool(self.roles.intersection(roles))

    def institutions(self, *roles: str) -> list[str]:
        """The institutions where the person holds one of ``roles`` (all roles when none)."""
        found = [i for i, role in self.bindings if i and (not roles or role in roles)]
        return list(dict.fromkeys(found))

    def institution(self, *roles: str) -> str:
        """The first such institution, or "" (most people work in one)."""
        found = self.institutions(*roles)
        return found[0] if found else ""


async def get_viewer(request: Request, gateway: GatewayDep) -> Viewer:
    """The signed-in person; without a session the browser is sent to sign in.

    Sets the caller, so every service call of the page carries the person's token; a form post
    must carry the session's CSRF token (403 otherwise).
    """
    session = await gateway.sessions.resolve(request)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method == "GET" else "/")
    await require_csrf(request, session)
    current_caller.set(session.caller)
    try:
        me = await gateway.access.WhoAmI(access_pb2.WhoAmIRequest())
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND):
            raise
        # A Keycloak account that is no person of Zhurnal (yet): signed in, with no role.
        me = access_pb2.WhoAmIResponse(active=False)
    viewer = Viewer(
        session=session,
        person_id=me.person_id,
        name=me.display_name or session.display_name(),
        bindings=tuple(
            (b.institution_id, ROLE_NAMES[b.role]) for b in me.bindings if b.role in ROLE_NAMES
        ),
        children_ids=tuple(me.children_ids),
        active=me.active,
    )
    # Error pages of this request show the same menu.
    request.state.viewer = viewer
    return viewer


ViewerDep = Annotated[Viewer, Depends(get_viewer)]
