"""Server-side web sessions: creation after login, lookup per request, re-validation, CSRF.

See docs/gateway-sessions.md. In short: the cookie holds a random id; the row (by the id's hash)
holds the person's tokens sealed with a key derived from that id. Every request through the
cookie checks the idle (30 min) and absolute (10 h) deadlines; when Keycloak last confirmed the
session more than ``session_revalidate_s`` ago, or the access token is about to expire, the
refresh token is redeemed at Keycloak: a person who was disabled or dismissed (or whose
Keycloak session was ended) gets no new tokens and the session ends then.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response

from zhurnal_gateway.adapters.oidc import (
    OidcClient,
    OidcTokenVerifier,
    TokenRejected,
    TokenSet,
    pkce_s256,
    pkce_verifier,
)
from zhurnal_gateway.adapters.session_store import (
    SessionRow,
    SessionStore,
    Tokens,
    derive_key,
    id_hash,
    seal,
    unseal,
)
from zhurnal_gateway.config import GatewaySettings
from zhurnal_kit.auth import Caller
from zhurnal_kit.errors import PermissionDenied, Unauthenticated, Unavailable

log = logging.getLogger(__name__)

SESSION_COOKIE = "zhurnal_session"
LOGIN_COOKIE = "zhurnal_login"
CALLBACK_PATH = "/auth/callback"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A login must come back from Keycloak within this long.
LOGIN_FLOW_TTL_S = 600
# Activity is written at most this often (the idle deadline is that much coarse).
_TOUCH_EVERY = timedelta(seconds=15)
# Refresh an access token this long before it expires, so services never see a stale one.
_ACCESS_SKEW = timedelta(seconds=30)
_LOGIN_KEY_INFO = b"zhurnal-gateway/login-flow/v1"
_STATE_KEY = "zhurnal_session"
_CLEAR_KEY = "zhurnal_clear_session_cookie"

SESSION_EVENTS = Counter(
    "zhurnal_gateway_session_events_total",
    "Web session events of the gateway",
    ["event"],
)


def utcnow() -> datetime:
    """Now, timezone-aware."""
    return datetime.now(UTC)


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site, else "/" (no open redirects)."""
    if not value or len(value) > 2000:
        return "/"
    if any(c in value for c in "\\\r\n\t") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


@dataclass(frozen=True)
class LoginFlow:
    """What the browser carries from /login to /auth/callback (sealed in a cookie)."""

    state: str
    nonce: str
    code_verifier: str
    next: str
    issued_at: float

    @property
    def code_challenge(self) -> str:
        """The PKCE S256 challenge of this flow's verifier."""
        return pkce_s256(self.code_verifier)


@dataclass(frozen=True)
class ActiveSession:
    """A valid session of this request."""

    id_hash: bytes
    subject: str
    caller: Caller
    csrf_token: str
    tokens: Tokens

    def display_name(self) -> str:
        """The person's name for pages (from the ID token verified at login)."""
        try:
            claims: dict[str, Any] = jwt.decode(self.tokens.id, options={"verify_signature": False})
        except jwt.PyJWTError:
            claims = {}
        return str(
            claims.get("name") or claims.get("preferred_username") or self.caller.username or ""
        )


class SessionManager:
    """Sessions of browsers: cookies, rows, Keycloak re-validation and CSRF."""

    def __init__(
        self,
        settings: GatewaySettings,
        store: SessionStore,
        oidc: OidcClient,
        verifier: OidcTokenVerifier,
    ) -> None:
        self.settings = settings
        self.store = store
        self.oidc = oidc
        self.verifier = verifier
        self._idle = timedelta(seconds=settings.session_idle_timeout_s)
        self._absolute = timedelta(seconds=settings.session_absolute_timeout_s)
        self._revalidate = timedelta(seconds=settings.session_revalidate_s)
        secret = settings.client_secret.get_secret_value()
        self._login_key = derive_key(secret.encode(), _LOGIN_KEY_INFO) if secret else b""

    @property
    def login_configured(self) -> bool:
        """Whether people can log in (the client secret is set)."""
        return bool(self._login_key)

    # Cookies -----------------------------------------------------------------------------

    def cookie_secure(self, request: Request) -> bool:
        """The Secure attribute for this request (setting session_cookie_secure)."""
        mode = self.settings.session_cookie_secure
        return mode == "always" or (mode == "auto" and request.url.scheme == "https")

    def set_session_cookie(self, response: Response, request: Request, session_id: str) -> None:
        """Give the browser its session (HttpOnly, SameSite=Lax, path /)."""
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            max_age=int(self.settings.session_absolute_timeout_s),
            path="/",
            secure=self.cookie_secure(request),
            httponly=True,
            samesite="lax",
        )

    def clear_session_cookie(self, response: Response, request: Request) -> None:
        """Tell the browser to forget its session."""
        response.delete_cookie(
            SESSION_COOKIE,
            path="/",
            secure=self.cookie_secure(request),
            httponly=True,
            samesite="lax",
        )

    @staticmethod
    def cookie_to_clear(request: Request) -> bool:
        """True when this request ended the session its cookie named (the app clears it)."""
        return bool(getattr(request.state, _CLEAR_KEY, False))

    # The login flow ----------------------------------------------------------------------

    def new_login_flow(self, next_path: str) -> LoginFlow:
        """Fresh state, nonce and PKCE verifier for one login."""
        return LoginFlow(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=pkce_verifier(),
            next=safe_next(next_path),
            issued_at=time.time(),
        )

    def set_login_cookie(self, response: Response, request: Request, flow: LoginFlow) -> None:
        """Seal ``flow`` into a short-lived cookie only /auth/callback receives."""
        payload = json.dumps(
            {
                "s": flow.state,
                "n": flow.nonce,
                "v": flow.code_verifier,
                "x": flow.next,
                "t": flow.issued_at,
            },
            separators=(",", ":"),
        ).encode()
        sealed = seal(self._login_key, payload, b"login-flow")
        response.set_cookie(
            LOGIN_COOKIE,
            base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("="),
            max_age=LOGIN_FLOW_TTL_S,
            path=CALLBACK_PATH,
            secure=self.cookie_secure(request),
            httponly=True,
            samesite="lax",
        )

    def clear_login_cookie(self, response: Response, request: Request) -> None:
        """The login flow is used up."""
        response.delete_cookie(
            LOGIN_COOKIE,
            path=CALLBACK_PATH,
            secure=self.cookie_secure(request),
            httponly=True,
            samesite="lax",
        )

    def login_flow(self, request: Request) -> LoginFlow | None:
        """The login flow this browser started, if its cookie is intact and recent."""
        raw = request.cookies.get(LOGIN_COOKIE, "")
        if not raw or not self._login_key:
            return None
        try:
            sealed = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            data = json.loads(unseal(self._login_key, sealed, b"login-flow"))
            flow = LoginFlow(
                state=str(data["s"]),
                nonce=str(data["n"]),
                code_verifier=str(data["v"]),
                next=safe_next(str(data["x"])),
                issued_at=float(data["t"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if time.time() - flow.issued_at > LOGIN_FLOW_TTL_S:
            return None
        return flow

    # Sessions ----------------------------------------------------------------------------

    def _expires_at(self, created_at: datetime, last_seen_at: datetime) -> datetime:
        return min(last_seen_at + self._idle, created_at + self._absolute)

    async def create(self, tokens: TokenSet, id_claims: dict[str, Any]) -> str:
        """Store a session for a completed login; the new session id (for the cookie)."""
        caller = await self.verifier.verify(tokens.access_token)
        if caller.subject != str(id_claims["sub"]):
            raise Unauthenticated("the access token and the ID token name different people")
        now = utcnow()
        session_id = secrets.token_urlsafe(32)
        await self.store.insert(
            session_id,
            subject=caller.subject,
            idp_session_id=str(id_claims.get("sid", "")),
            tokens=Tokens(tokens.access_token, tokens.refresh_token, tokens.id_token),
            access_expires_at=now + timedelta(seconds=tokens.expires_in),
            csrf_secret=secrets.token_urlsafe(32),
            now=now,
            expires_at=self._expires_at(now, now),
        )
        swept = await self.store.delete_expired(now)
        SESSION_EVENTS.labels("login").inc()
        log.info("session started", extra={"subject": caller.subject, "swept": swept})
        return session_id

    async def load(self, request: Request) -> tuple[str, SessionRow] | None:
        """The cookie's session row as stored (no deadlines, no Keycloak): for logout."""
        session_id = request.cookies.get(SESSION_COOKIE, "")
        if not session_id:
            return None
        row = await self.store.get(id_hash(session_id))
        if row is None:
            setattr(request.state, _CLEAR_KEY, True)
            return None
        return session_id, row

    async def resolve(self, request: Request) -> ActiveSession | None:
        """The valid session of this request's cookie, or None (the cookie is then cleared).

        Re-validates at Keycloak when due; Unavailable (503) when Keycloak cannot be asked:
        the session is kept, but not used unconfirmed.
        """
        if hasattr(request.state, _STATE_KEY):
            cached: ActiveSession | None = getattr(request.state, _STATE_KEY)
            return cached
        found = await self._resolve(request)
        setattr(request.state, _STATE_KEY, found)
        return found

    async def _resolve(self, request: Request) -> ActiveSession | None:
        session_id = request.cookies.get(SESSION_COOKIE, "")
        if not session_id:
            return None
        hashed = id_hash(session_id)
        row = await self.store.get(hashed)
        now = utcnow()
        if row is None:
            self._gone(request)
            return None
        if now >= row.expires_at:
            reason = "absolute" if now >= row.created_at + self._absolute else "idle"
            await self._end(request, row, f"expired_{reason}")
            return None
        try:
            tokens = row.tokens(session_id)
        except ValueError:
            await self._end(request, row, "unreadable")
            return None
        if (
            now >= row.validated_at + self._revalidate
            or now >= row.access_expires_at - _ACCESS_SKEW
        ):
            try:
                refreshed = await self._refresh(session_id, now)
            except TokenRejected as exc:
                await self._end(request, row, "revoked", error=exc.error)
                return None
            if refreshed is None:
                self._gone(request)
                return None
            row, tokens = refreshed
        elif now - row.last_seen_at >= _TOUCH_EVERY:
            await self.store.touch(
                hashed, now=now, expires_at=self._expires_at(row.created_at, now)
            )
        try:
            caller = await self.verifier.verify(tokens.access)
        except Unauthenticated as exc:
            await self._end(request, row, "invalid_token", error=exc.message)
            return None
        if caller.subject != row.subject:
            await self._end(request, row, "subject_changed")
            return None
        return ActiveSession(
            id_hash=hashed,
            subject=row.subject,
            caller=caller,
            csrf_token=row.csrf_secret,
            tokens=tokens,
        )

    async def _refresh(self, session_id: str, now: datetime) -> tuple[SessionRow, Tokens] | None:
        """Redeem the refresh token, one request of a session at a time (row lock)."""
        async with self.store.engine.begin() as conn:
            row = await self.store.get_for_update(conn, id_hash(session_id))
            if row is None:
                return None
            tokens = row.tokens(session_id)
            if now < row.validated_at + self._revalidate and now < row.access_expires_at - (
                _ACCESS_SKEW
            ):
                return row, tokens  # a concurrent request of the same session just did it
            fresh = await self.oidc.refresh(tokens.refresh)
            tokens = Tokens(
                access=fresh.access_token,
                refresh=fresh.refresh_token or tokens.refresh,
                id=fresh.id_token or tokens.id,
            )
            access_expires_at = now + timedelta(seconds=fresh.expires_in)
            expires_at = self._expires_at(row.created_at, now)
            await self.store.store_refresh(
                conn,
                session_id,
                tokens=tokens,
                access_expires_at=access_expires_at,
                now=now,
                expires_at=expires_at,
            )
        SESSION_EVENTS.labels("refreshed").inc()
        return (
            SessionRow(
                id_hash=row.id_hash,
                subject=row.subject,
                idp_session_id=row.idp_session_id,
                sealed=row.sealed,
                access_expires_at=access_expires_at,
                csrf_secret=row.csrf_secret,
                created_at=row.created_at,
                last_seen_at=now,
                validated_at=now,
                expires_at=expires_at,
            ),
            tokens,
        )

    def _gone(self, request: Request) -> None:
        setattr(request.state, _CLEAR_KEY, True)

    async def _end(self, request: Request, row: SessionRow, reason: str, error: str = "") -> None:
        await self.store.delete(row.id_hash)
        setattr(request.state, _CLEAR_KEY, True)
        SESSION_EVENTS.labels(f"ended_{reason}").inc()
        log.info("session ended", extra={"subject": row.subject, "reason": reason, "error": error})

    async def logout(self, request: Request, session_id: str, row: SessionRow) -> str | None:
        """End the session here and at Keycloak.

        Keycloak's session is ended server to server with the refresh token. Only when that
        fails is the browser sent to Keycloak's end-session endpoint (the returned URL).
        """
        await self.store.delete(row.id_hash)
        setattr(request.state, _CLEAR_KEY, True)
        SESSION_EVENTS.labels("logout").inc()
        try:
            tokens = row.tokens(session_id)
        except ValueError:
            return None
        if await self.oidc.logout(tokens.refresh):
            log.info("logged out", extra={"subject": row.subject})
            return None
        log.warning("logout falls back to the browser", extra={"subject": row.subject})
        try:
            return await self.oidc.end_session_url(
                id_token=tokens.id, post_logout_redirect_uri=self.public_url(request) + "/"
            )
        except Unavailable:
            return None

    def public_url(self, request: Request) -> str:
        """Where browsers reach the gateway (setting public_url, else this request's base)."""
        return (self.settings.public_url or str(request.base_url)).rstrip("/")


# The largest part of a multipart form (an uploaded import file, a little over its 2 MB limit).
MAX_FORM_PART = 8 * 1024 * 1024


async def csrf_token_of(request: Request) -> str:
    """The CSRF token a request carries: the X-CSRF-Token header or a form's csrf_token."""
    token = request.headers.get(CSRF_HEADER, "")
    if token:
        return token
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        body = (await request.body()).decode("utf-8", "replace")
        return parse_qs(body).get(CSRF_FIELD, [""])[0]
    if content_type == "multipart/form-data":
        # A form with a file: parsed once here (Starlette keeps it for the page to read).
        token = (await request.form(max_part_size=MAX_FORM_PART)).get(CSRF_FIELD)
        return token if isinstance(token, str) else ""
    return ""


async def require_csrf(request: Request, session: ActiveSession | SessionRow) -> None:
    """Refuse (403) a state-changing request of a session without its CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.csrf_token if isinstance(session, ActiveSession) else session.csrf_secret
    token = await csrf_token_of(request)
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        SESSION_EVENTS.labels("csrf_refused").inc()
        raise PermissionDenied("a valid CSRF token is required (X-CSRF-Token or csrf_token)")
