"""Pieces of the web session that need no Keycloak and no database."""

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from zhurnal_gateway import sessions as sessions_module
from zhurnal_gateway.adapters.oidc import TokenRejected, TokenSet, pkce_s256, pkce_verifier
from zhurnal_gateway.adapters.session_store import (
    SessionRow,
    Tokens,
    id_hash,
    open_tokens,
    sealed_tokens,
)
from zhurnal_gateway.config import GatewaySettings
from zhurnal_gateway.sessions import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    ActiveSession,
    SessionManager,
    require_csrf,
    safe_next,
)
from zhurnal_kit.auth import Caller
from zhurnal_kit.errors import PermissionDenied, Unavailable


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/", "/"),
        ("/journal?class=5a#today", "/journal?class=5a#today"),
        ("", "/"),
        (None, "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("journal", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
    ],
)
def test_next_accepts_only_paths_of_this_site(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_pkce_s256_matches_rfc_7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    fresh = pkce_verifier()
    assert 43 <= len(fresh) <= 128
    digest = hashlib.sha256(fresh.encode()).digest()
    assert pkce_s256(fresh) == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_tokens_open_only_with_their_session_id() -> None:
    tokens = Tokens(access="a.b.c", refresh="r.r.r", id="i.i.i")
    sealed = sealed_tokens("session-one", tokens)
    assert all(b"a.b.c" not in v and b"r.r.r" not in v for v in sealed.values())
    assert open_tokens("session-one", sealed) == tokens
    with pytest.raises(ValueError, match="cannot open"):
        open_tokens("session-two", sealed)
    # A column moved to another column (or row) does not open either.
    swapped = {**sealed, "access_token": sealed["refresh_token"]}
    with pytest.raises(ValueError, match="cannot open"):
        open_tokens("session-one", swapped)
    assert id_hash("session-one") == hashlib.sha256(b"session-one").digest()


CLIENT_SECRET = "0123456789abcdef"


def _manager(secret: str = CLIENT_SECRET) -> SessionManager:
    settings = GatewaySettings(client_secret=secret)
    return SessionManager(settings, store=None, oidc=None, verifier=None)  # type: ignore[arg-type]


def _request(cookie: str = "", scheme: str = "http") -> Request:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "server": ("localhost", 8000),
            "path": "/auth/callback",
            "query_string": b"",
            "headers": headers,
        }
    )


def test_login_flow_survives_the_round_trip_and_nothing_else() -> None:
    manager = _manager()
    flow = manager.new_login_flow("/journal")
    response = Response()
    manager.set_login_cookie(response, _request(), flow)
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header and "Path=/auth/callback" in header and "SameSite=lax" in header
    assert "Secure" not in header
    value = header.split(";")[0].split("=", 1)[1]
    assert flow.state not in value and flow.code_verifier not in value
    assert manager.login_flow(_request(f"{LOGIN_COOKIE}={value}")) == flow
    # Another deployment's secret, or a changed byte, gives nothing.
    assert _manager("another-secret-0123").login_flow(_request(f"{LOGIN_COOKIE}={value}")) is None
    tampered = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    assert manager.login_flow(_request(f"{LOGIN_COOKIE}={tampered}")) is None


def test_cookies_are_secure_on_https() -> None:
    manager = _manager()
    response = Response()
    manager.set_session_cookie(response, _request(scheme="https"), "id")
    assert "Secure" in response.headers["set-cookie"]


# The session lifecycle against in-memory fakes of the table, Keycloak and the verifier.


class _Tx:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


class FakeStore:
    def __init__(self) -> None:
        self.rows: dict[bytes, SessionRow] = {}
        self.engine = self

    def begin(self) -> _Tx:
        return _Tx()

    async def insert(self, session_id: str, **kw: Any) -> None:
        hashed = id_hash(session_id)
        self.rows[hashed] = SessionRow(
            id_hash=hashed,
            subject=kw["subject"],
            idp_session_id=kw["idp_session_id"],
            sealed=sealed_tokens(session_id, kw["tokens"]),
            access_expires_at=kw["access_expires_at"],
            csrf_secret=kw["csrf_secret"],
            created_at=kw["now"],
            last_seen_at=kw["now"],
            validated_at=kw["now"],
            expires_at=kw["expires_at"],
        )

    async def get(self, hashed: bytes) -> SessionRow | None:
        return self.rows.get(hashed)

    async def get_for_update(self, conn: object, hashed: bytes) -> SessionRow | None:
        return self.rows.get(hashed)

    async def store_refresh(self, conn: object, session_id: str, **kw: Any) -> None:
        hashed = id_hash(session_id)
        self.rows[hashed] = replace(
            self.rows[hashed],
            sealed=sealed_tokens(session_id, kw["tokens"]),
            access_expires_at=kw["access_expires_at"],
            validated_at=kw["now"],
            last_seen_at=kw["now"],
            expires_at=kw["expires_at"],
        )

    async def touch(self, hashed: bytes, *, now: datetime, expires_at: datetime) -> None:
        self.rows[hashed] = replace(self.rows[hashed], last_seen_at=now, expires_at=expires_at)

    async def delete(self, hashed: bytes) -> None:
        self.rows.pop(hashed, None)

    async def delete_expired(self, now: datetime) -> int:
        return 0


class FakeKeycloak:
    def __init__(self) -> None:
        self.refreshes = 0
        self.fail: Exception | None = None

    async def refresh(self, refresh_token: str) -> TokenSet:
        self.refreshes += 1
        if self.fail:
            raise self.fail
        return TokenSet(f"access-{self.refreshes}", f"refresh-{self.refreshes}", "", 300)


class FakeVerifier:
    async def verify(self, token: str) -> Caller:
        return Caller(subject="person-1", username="anna", token=token)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(sessions_module, "utcnow", c)
    return c


@pytest.fixture
def world() -> tuple[SessionManager, FakeStore, FakeKeycloak]:
    store, keycloak = FakeStore(), FakeKeycloak()
    settings = GatewaySettings(client_secret=CLIENT_SECRET)
    manager = SessionManager(settings, store, keycloak, FakeVerifier())  # type: ignore[arg-type]
    return manager, store, keycloak


async def _signed_in(manager: SessionManager) -> str:
    return await manager.create(TokenSet("access-0", "refresh-0", "id-0", 300), {"sub": "person-1"})


async def _resolve(manager: SessionManager, session_id: str) -> tuple[ActiveSession | None, bool]:
    request = _request(f"{SESSION_COOKIE}={session_id}")
    found = await manager.resolve(request)
    return found, SessionManager.cookie_to_clear(request)


async def test_an_idle_session_ends_after_30_minutes(world: Any, clock: Clock) -> None:
    manager, store, _ = world
    session_id = await _signed_in(manager)
    clock.advance(seconds=20)
    found, cleared = await _resolve(manager, session_id)
    assert found is not None and found.caller.token == "access-0" and not cleared
    clock.advance(minutes=30, seconds=1)
    found, cleared = await _resolve(manager, session_id)
    assert found is None and cleared and store.rows == {}


async def test_an_active_session_ends_after_10_hours(world: Any, clock: Clock) -> None:
    manager, store, keycloak = world
    session_id = await _signed_in(manager)
    for _ in range(29):  # a request every 20 minutes, for 9 h 40 min
        clock.advance(minutes=20)
        found, _ = await _resolve(manager, session_id)
        assert found is not None
    assert keycloak.refreshes == 29
    clock.advance(minutes=20, seconds=1)
    found, cleared = await _resolve(manager, session_id)
    assert found is None and cleared and store.rows == {}


async def test_keycloak_is_asked_again_after_the_revalidation_interval(
    world: Any, clock: Clock
) -> None:
    manager, store, keycloak = world
    session_id = await _signed_in(manager)
    clock.advance(seconds=29)
    found, _ = await _resolve(manager, session_id)
    assert found is not None and keycloak.refreshes == 0
    clock.advance(seconds=2)
    found, _ = await _resolve(manager, session_id)
    assert found is not None and keycloak.refreshes == 1
    assert found.caller.token == "access-1" and found.tokens.refresh == "refresh-1"
    assert found.tokens.id == "id-0"  # kept when a refresh brings no new ID token

    # Keycloak unreachable: 503, the session is kept for when it is back.
    keycloak.fail = Unavailable("down")
    clock.advance(seconds=31)
    with pytest.raises(Unavailable):
        await _resolve(manager, session_id)
    assert len(store.rows) == 1

    # The person was disabled (or the Keycloak session ended): the session ends here.
    keycloak.fail = TokenRejected("invalid_grant", "User disabled")
    found, cleared = await _resolve(manager, session_id)
    assert found is None and cleared and store.rows == {}


async def test_csrf_token_from_the_header_or_the_form(world: Any, clock: Clock) -> None:
    manager, _, _ = world
    session_id = await _signed_in(manager)
    found, _ = await _resolve(manager, session_id)
    assert found is not None
    token = found.csrf_token

    def post(headers: dict[str, str], body: bytes = b"") -> Request:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/logout",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
        return Request(scope, receive)

    form = "application/x-www-form-urlencoded"
    await require_csrf(post({"X-CSRF-Token": token}), found)
    await require_csrf(post({"Content-Type": form}, f"csrf_token={token}".encode()), found)

    def multipart(value: str) -> Request:
        body = (
            f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{value}\r\n'
            '--b\r\nContent-Disposition: form-data; name="file"; filename="people.csv"\r\n'
            "Content-Type: text/csv\r\n\r\nlast_name\r\n--b--\r\n"
        )
        return post({"Content-Type": "multipart/form-data; boundary=b"}, body.encode())

    with_file = multipart(token)
    await require_csrf(with_file, found)
    # The page still reads the form, file included, after the check parsed it.
    assert (await with_file.form())["file"].filename == "people.csv"  # type: ignore[union-attr]
    with pytest.raises(PermissionDenied, match="CSRF"):
        await require_csrf(multipart("wrong"), found)
    for refused in (
        post({}),
        post({"X-CSRF-Token": token[:-1]}),
        post({"Content-Type": form}, b"csrf_token="),
        post({"Content-Type": "application/json"}, f'{{"csrf_token": "{token}"}}'.encode()),
    ):
        with pytest.raises(PermissionDenied, match="CSRF"):
            await require_csrf(refused, found)
