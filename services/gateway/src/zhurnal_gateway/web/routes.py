"""The browser's side: /login, /auth/callback, /logout and the start page.

Login is the OIDC authorization code flow with PKCE (S256) against Keycloak; the gateway is a
confidential client and keeps the person's tokens in a server-side session (sessions.py).
"""

from __future__ import annotations

import hmac
import logging
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

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
from zhurnal_kit.errors import Unauthenticated

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

# Pages carry a CSRF token and the callback URL a code: not cached, not framed, no Referer.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _no_store(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    return response


@router.get("/")
async def index(request: Request, gateway: GatewayDep) -> Response:
    """Who is signed in, with a logout form; or a link to sign in."""
    session = await gateway.sessions.resolve(request)
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "name": session.display_name() if session else "",
            "csrf_token": session.csrf_token if session else "",
        },
        headers=PAGE_HEADERS,
    )


def _login_failed(request: Request, message: str, status_code: int = 400) -> Response:
    SESSION_EVENTS.labels("login_failed").inc()
    response = templates.TemplateResponse(
        request, "login_error.html", {"message": message}, status_code, headers=PAGE_HEADERS
    )
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
        return _login_failed(request, "Вход не настроен: не задан секрет клиента OIDC.", 503)
    public = urlsplit(sessions.public_url(request))
    if public.netloc != request.url.netloc:
        # Keycloak returns to the public address: the login cookie must be set there too.
        query = urlencode({"next": target})
        return _no_store(RedirectResponse(f"{public.geturl()}/login?{query}", status_code=303))
    if await sessions.resolve(request) is not None:
        return _no_store(RedirectResponse(target, status_code=303))
    flow = sessions.new_login_flow(target)
    url = await gateway.oidc.authorization_url(
        redirect_uri=sessions.public_url(request) + CALLBACK_PATH,
        state=flow.state,
        nonce=flow.nonce,
        code_challenge=flow.code_challenge,
    )
    response = RedirectResponse(url, status_code=302)
    sessions.set_login_cookie(response, request, flow)
    return _no_store(response)


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
        return _login_failed(request, "Вход не выполнен.")
    if flow is None:
        return _login_failed(request, "Попытка входа устарела или начата в другом окне.")
    if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
        return _login_failed(request, "Ответ сервера входа не относится к этой попытке входа.")
    if iss and iss.rstrip("/") != gateway.oidc.issuer:
        return _login_failed(request, "Ответ пришёл не от того сервера входа.")
    if not code:
        return _login_failed(request, "Сервер входа не передал код.")
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
        return _login_failed(request, "Не удалось подтвердить вход.")
    # A browser gets a new session id at every login (no fixation); the old one ends here.
    if previous := request.cookies.get(SESSION_COOKIE):
        await sessions.store.delete(id_hash(previous))
    response = RedirectResponse(flow.next, status_code=303)
    sessions.set_session_cookie(response, request, session_id)
    sessions.clear_login_cookie(response, request)
    return _no_store(response)


@router.post("/logout")
async def logout(request: Request, gateway: GatewayDep) -> Response:
    """End the session (CSRF token required) here and at Keycloak, then go to the start page."""
    sessions = gateway.sessions
    loaded = await sessions.load(request)
    if loaded is None:
        return _no_store(RedirectResponse("/", status_code=303))
    session_id, row = loaded
    await require_csrf(request, row)
    keycloak_logout_url = await sessions.logout(request, session_id, row)
    return _no_store(RedirectResponse(keycloak_logout_url or "/", status_code=303))
