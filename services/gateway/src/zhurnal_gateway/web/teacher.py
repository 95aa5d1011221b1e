"""Pages of the teacher: filled in by the web UI work of issue 6."""

from __future__ import annotations

from fastapi import APIRouter

from zhurnal_gateway.web.render import MenuItem

router = APIRouter(include_in_schema=False)
MENU: list[MenuItem] = []
