"""Who may do what. Issue 3 grows this into the one policy served over gRPC (Authorize)."""

from __future__ import annotations

from zhurnal_kit.auth import Caller
from zhurnal_kit.errors import PermissionDenied, Unauthenticated

DISTRICT_ADMINISTRATOR = "district-administrator"


def require_district_administrator(caller: Caller) -> None:
    """Registering institutions is the district administrator's act."""
    if not caller.subject:
        raise Unauthenticated("sign in first")
    if not caller.has_role(DISTRICT_ADMINISTRATOR):
        raise PermissionDenied("only a district administrator may register institutions")


def require_signed_in(caller: Caller) -> None:
    """Reading the district's directory needs a signed-in caller."""
    if not caller.subject:
        raise Unauthenticated("sign in first")
