"""The browser's side: /login, /auth/callback, /logout, the language switch and the start page.

Login is the OIDC authorization code flow with PKCE (S256) against Keycloak; the gateway is a
confidential client and keeps the person's tokens in a server-side session (sessions.py).
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from zhurnal_gateway.adapters.oidc import TokenRejected
from zhurnal_gateway.adapters.session_store import id_hash
from zhurnal_gateway.api.deps import GatewayDep
from zhurnal_gateway.sessions import (
    CALLBACK_PATH,
    SESSION_COOKIE,
    SESSION_EVENTS,
    require_csrf,
    safe_next,
)
from zhurnal_gateway.web.render import LANG_COOKIE, page, page_headers
from zhurnal_gateway.web.viewer import get_viewer
from zhurnal_kit.errors import Unauthenticated

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
MENU: list = []  # the start page is reached by the brand link, not the menu


def _no_store(request: Request, response: Response) -> Response:
    response.headers.update(page_headers(request))
    return response


@router.get("/")
async def index(request: Request, gateway: GatewayDep) -> Response:
    """The signed-in person's menu; or a link to sign in."""
    signed_in = await gateway.sessions.resolve(request) is not None
    viewer = await get_viewer(request, gateway) if signed_in else None
    return page(request, "index.html", viewer=viewer)


@router.get("/language")
async def choose_language(
    request: Request,
    to: Annotated[Literal["ru", "en"], Query()],
    next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/",
) -> Response:
    """Remember the chosen language in a cookie and go back to the page."""
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        to,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return _no_store(request, response)


def _login_failed(request: Request, message: str, status_code: int = 400) -> Response:
    SESSION_EVENTS.labels("login_failed").inc()
    response = page(request, "login_error.html", {"message": message}, status_code=status_code)
    request.app.state.gateway.sessions.clear_login_cookie(response, request)
    return response


@router.get("/login")
async def login(
    request: Request,
    gateway: GatewayDep,
    next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/",
) -> Response:
    """Send the browser to Keycloak (state, nonce, PKCE S256); ``next`` is a path of this site."""
    sessions = gateway.sessions
    target = safe_next(next_path)
    if not sessions.login_configured:
        return _login_failed(
            request, "Sign-in is not configured: the OIDC client secret is not set.", 503
        )
    public = urlsplit(sessions.public_url(request))
    if public.netloc != request.url.netloc:
        # Keycloak returns to the public address: the login cookie must be set there too.
        query = urlencode({"next": target})
        return _no_store(
            request, RedirectResponse(f"{public.geturl()}/login?{query}", status_code=303)
        )
    if await sessions.resolve(request) is not None:
        return _no_store(request, RedirectResponse(target, status_code=303))
    flow = sessions.new_login_flow(target)
    url = await gateway.oidc.authorization_url(
        redirect_uri=sessions.public_url(request) + CALLBACK_PATH,
        state=flow.state,
        nonce=flow.nonce,
        code_challenge=flow.code_challenge,
    )
    response = RedirectResponse(url, status_code=302)
    sessions.set_login_cookie(response, request, flow)
    return _no_store(request, response)


@router.get(CALLBACK_PATH)
async def callback(
    request: Request,
    gateway: GatewayDep,
    code: Annotated[str, Query(max_length=4096)] = "",
    state: Annotated[str, Query(max_length=512)] = "",
    iss: Annotated[str, Query(max_length=512)] = "",
    error: Annotated[str, Query(max_length=256)] = "",
) -> Response:
    """Keycloak sends the browser back here: redeem the code, check the ID token, sign in."""
    sessions = gateway.sessions
    flow = sessions.login_flow(request)
    if error:
        log.info("login refused by the provider", extra={"error": error})
        return _login_failed(request, "Sign-in did not happen.")
    if flow is None:
        return _login_failed(
            request, "This sign-in attempt is too old or was started in another window."
        )
    if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
        return _login_failed(
            request, "The sign-in server's answer does not belong to this attempt."
        )
    if iss and iss.rstrip("/") != gateway.oidc.issuer:
        return _login_failed(request, "The answer came from the wrong sign-in server.")
    if not code:
        return _login_failed(request, "The sign-in server sent no code.")
    try:
        tokens = await gateway.oidc.exchange_code(
            code=code,
            redirect_uri=sessions.public_url(request) + CALLBACK_PATH,
            code_verifier=flow.code_verifier,
        )
        claims = await gateway.verifier.verify_id_token(tokens.id_token, nonce=flow.nonce)
        session_id = await sessions.create(tokens, claims)
    except (TokenRejected, Unauthenticated) as exc:
        log.warning("login failed", extra={"error": str(exc)})
        return _login_failed(request, "The sign-in could not be confirmed.")
    # A browser gets a new session id at every login (no fixation); the old one ends here.
    if previous := request.cookies.get(SESSION_COOKIE):
        await sessions.store.delete(id_hash(previous))
    response = RedirectResponse(flow.next, status_code=303)
    sessions.set_session_cookie(response, request, session_id)
    sessions.clear_login_cookie(response, request)
    return _no_store(request, response)


@router.post("/logout")
async def logout(request: Request, gateway: GatewayDep) -> Response:
    """End the session (CSRF token required) here and at Keycloak, then go to the start page."""
    sessions = gateway.sessions
    loaded = await sessions.load(request)
    if loaded is None:
        return _no_store(request, RedirectResponse("/", status_code=303))
    session_id, row = loaded
    await require_csrf(request, row)
    keycloak_logout_url = await sessions.logout(request, session_id, row)
    return _no_store(request, RedirectResponse(keycloak_logout_url or "/", status_code=303))
