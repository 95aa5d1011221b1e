"""Rendering pages: one Jinja2 environment, translated per request, with the role's menu.

Templates write their texts in English inside ``{% trans %}`` or ``_()``; the person's language
(the ``lang`` cookie set by the language switch, else Accept-Language, else Russian) picks the
catalogue, the same one the API's problem titles come from (i18n.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from zhurnal_gateway import i18n
from zhurnal_gateway.web.viewer import DISTRICT_ROLES, Viewer

LANG_COOKIE = "lang"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# Pages carry a CSRF token and the callback URL a code: not cached, not framed, no Referer.
# Scripts and styles come from /static only: no inline script can run.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self' {keycloak}"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class MenuItem:
    """A link of the menu, shown to people holding any of ``roles``."""

    path: str
    label: str  # English message id
    roles: frozenset[str]


def menu_item(path: str, label: str, *roles: str) -> MenuItem:
    """A menu entry; page modules declare theirs next to their routes."""
    return MenuItem(path, label, frozenset(roles))


templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


def language(request: Request) -> str:
    """The page language: the switch's cookie first, then the browser's preference."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in i18n.LANGUAGES else i18n.language(request)


def translator(lang: str) -> Any:
    """gettext/ngettext for templates (resolved from the context by Jinja's i18n tags)."""

    def gettext(text: str, **variables: Any) -> str:
        translated = i18n.gettext(lang, text)
        return translated % variables if variables else translated

    def ngettext(singular: str, plural: str, n: int) -> str:
        # Jinja's {% trans count=... %} fills in the variables itself.
        return i18n.ngettext(lang, singular, plural, n)

    return gettext, ngettext


def _menu(request: Request, viewer: Viewer | None) -> list[MenuItem]:
    if viewer is None:
        return []
    items: list[MenuItem] = request.app.state.menu
    return [item for item in items if viewer.has(*item.roles)]


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    viewer: Viewer | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` for ``viewer`` in their language, with the page headers."""
    lang = language(request)
    gettext, ngettext = translator(lang)
    menu = _menu(request, viewer)
    # The current page's entry: the longest menu path the page's path starts with, so that
    # /people/import marks "Import", not "People" as well.
    path = request.url.path
    matching = [i.path for i in menu if path == i.path or path.startswith(i.path.rstrip("/") + "/")]
    values: dict[str, Any] = {
        "lang": lang,
        "gettext": gettext,
        "ngettext": ngettext,
        "viewer": viewer,
        "menu": menu,
        "current_menu": max(matching, key=len, default=""),
        "current_path": path,
        "csrf_token": viewer.csrf_token if viewer else "",
        "district": bool(viewer and viewer.roles & DISTRICT_ROLES),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    response.headers.update(page_headers(request))
    return response


def page_headers(request: Request) -> dict[str, str]:
    """The page headers; forms may also lead to Keycloak (signing out ends its session)."""
    keycloak = request.app.state.gateway.settings.issuer.split("/realms/")[0]
    headers = dict(PAGE_HEADERS)
    headers["Content-Security-Policy"] = headers["Content-Security-Policy"].format(
        keycloak=keycloak
    )
    return headers
