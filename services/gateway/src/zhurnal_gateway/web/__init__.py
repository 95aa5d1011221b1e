"""The web UI: server-rendered pages (Jinja2), one module per kind of user (ADR 17)."""

from __future__ import annotations

from types import ModuleType

from zhurnal_gateway.web import admin, deputy, diary, district, routes, teacher

# In menu order; each module has ``router`` and ``MENU``.
PAGE_MODULES: tuple[ModuleType, ...] = (routes, teacher, deputy, diary, admin, district)
