"""Opaque page tokens for keyset pagination, shared by every service's list RPCs.

A token is the position of the last item of a page (its sort key parts), JSON in URL-safe
base64: opaque to clients, readable when debugging, and never an offset (pages stay stable
while rows are added).
"""

from __future__ import annotations

import base64
import json

from zhurnal_kit.errors import invalid


def encode_cursor(*position: str) -> str:
    """The page token for ``position`` (the last item's sort key parts)."""
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def decode_cursor(token: str, parts: int) -> tuple[str, ...] | None:
    """The position a token stands for, None for the first page (an empty token).

    A token this service did not give out is an InvalidArgument naming ``page_token``.
    """
    if not token:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        position = None
    if not isinstance(position, list) or len(position) != parts:
        raise invalid("page_token", "is not a token this service gave out")
    return tuple(str(part) for part in position)
