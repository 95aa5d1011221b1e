"""People log in through the gateway with the real Keycloak (authorization code flow + PKCE).

httpx plays the browser: it follows the redirect to Keycloak's login page, posts the form there
and follows Keycloak back to /auth/callback, keeping cookies per host. The gateway is addressed
as http://localhost:PORT: the realm's redirect URIs accept http://localhost:* for any port.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from zhurnal_gateway.adapters.session_store import open_tokens
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

COOKIE = "zhurnal_session"


class Browser:
    """Just enough of a browser: redirects, cookies per host, loopback as a secure context.

    Keycloak marks its cookies Secure even over http; browsers still send them to
    http://127.0.0.1 (a potentially trustworthy origin), http.cookiejar does not.
    """

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(
            follow_redirects=True, timeout=30, event_hooks={"response": [self._loopback]}
        )

    async def _loopback(self, response: httpx.Response) -> None:
        for cookie in self.http.cookies.jar:
            if cookie.domain in ("127.0.0.1", "localhost", "localhost.local"):
                cookie.secure = False

    def session_cookie(self) -> str | None:
        """The gateway's session cookie as the browser holds it."""
        return self.http.cookies.get(COOKIE)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    b = Browser()
    yield b
    await b.http.aclose()


def base(stack: Stack) -> str:
    """The gateway's address as browsers use it."""
    return stack.gateway_url.replace("http://127.0.0.1", "http://localhost")


def form_action(page: httpx.Response, form_id: str) -> str:
    """The action URL of form ``form_id`` on an HTML page."""
    found = re.search(rf'<form[^>]*id="{form_id}"[^>]*action="([^"]+)"', page.text)
    assert found, f"no form {form_id} on {page.url}: {page.text[:800]}"
    return html.unescape(found.group(1))


def on_keycloak(stack: Stack, page: httpx.Response) -> bool:
    return page.url.port == urlsplit(stack.infra.keycloak_url).port


async def login(
    stack: Stack, browser: Browser, username: str, password: str, *, next_path: str = "/"
) -> httpx.Response:
    """Open /login, get sent to Keycloak's form, submit it; the page we land on."""
    page = await browser.http.get(f"{base(stack)}/login", params={"next": next_path})
    assert page.status_code == 200 and on_keycloak(stack, page), page.text[:800]
    return await browser.http.post(
        form_action(page, "kc-form-login"),
        data={"username": username, "password": password, "credentialId": ""},
    )


def csrf_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:800]
    return found.group(1)


def with_cookie(stack: Stack, session_id: str) -> httpx.AsyncClient:
    """A client holding nothing but the session cookie (no bearer token)."""
    return httpx.AsyncClient(
        base_url=base(stack), timeout=30, headers={"Cookie": f"{COOKIE}={session_id}"}
    )


def clears_session_cookie(response: httpx.Response) -> bool:
    return any(
        v.startswith(f"{COOKIE}=") and ("max-age=0" in v.lower() or "1970" in v)
        for v in response.headers.get_list("set-cookie")
    )


def admin_headers(keycloak: KeycloakAdmin) -> dict[str, str]:
    response = httpx.post(
        f"{keycloak.base_url}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": keycloak.admin_user,
            "password": keycloak.admin_password,
        },
        timeout=15,
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def user_url(keycloak: KeycloakAdmin, username: str) -> str:
    users = f"{keycloak.base_url}/admin/realms/{keycloak.realm}/users"
    found = httpx.get(
        users,
        params={"username": username, "exact": "true"},
        headers=admin_headers(keycloak),
        timeout=15,
    ).json()
    assert found, username
    return f"{users}/{found[0]['id']}"


def session_ids(keycloak: KeycloakAdmin, username: str) -> set[str]:
    """The ids of the user's Keycloak (SSO) sessions."""
    url = f"{user_url(keycloak, username)}/sessions"
    reply = httpx.get(url, headers=admin_headers(keycloak), timeout=15)
    reply.raise_for_status()
    return {str(s["id"]) for s in reply.json()}


@pytest.fixture(scope="module")
def registered(stack: Stack, make_person: Callable[..., Person]) -> Callable[[str], Person]:
    """A Keycloak user whom identity knows (a district administrator), so the API answers 200."""

    def make(name: str) -> Person:
        person = make_person(name)
        stack.run_cli("bootstrap-district-admin", person.username)
        return person

    return make


@pytest.fixture(scope="module")
def member(registered: Callable[[str], Person]) -> Person:
    """A registered person the tests below share (each logs in with its own browser)."""
    return registered("member")


async def test_login_redirect_carries_state_nonce_and_pkce(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=base(stack), timeout=30) as http:
        reply = await http.get("/login", params={"next": "//evil.example/steal"})
    assert reply.status_code == 302
    target = urlsplit(reply.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}" == stack.infra.keycloak_url
    assert query["response_type"] == "code"
    assert query["client_id"] == "zhurnal-gateway"
    assert query["redirect_uri"] == f"{base(stack)}/auth/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert "openid" in query["scope"].split()
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("zhurnal_login=") and "HttpOnly" in cookie
    assert "Path=/auth/callback" in cookie and "SameSite=lax" in cookie
    # The flow's secrets are sealed, not readable in the cookie.
    assert query["state"] not in cookie and query["nonce"] not in cookie


async def test_password_login_gives_a_session_the_api_accepts(
    stack: Stack, browser: Browser, member: Person, pg: Any
) -> None:
    person = member
    landed = await login(stack, browser, person.username, person.password, next_path="/?tab=1")

    assert landed.status_code == 200, landed.text[:800]
    assert str(landed.url) == f"{base(stack)}/?tab=1"
    assert "Вы вошли как" in landed.text
    callback = next(r for r in landed.history if r.url.path == "/auth/callback")
    assert callback.status_code == 303
    set_cookie = next(
        v for v in callback.headers.get_list("set-cookie") if v.startswith(f"{COOKIE}=")
    )
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie and "Path=/" in set_cookie
    assert "Secure" not in set_cookie  # plain http here; https makes it Secure
    session_id = browser.session_cookie()
    assert session_id

    async with with_cookie(stack, session_id) as http:
        reply = await http.get("/api/v1/institutions")
    assert reply.status_code == 200, reply.text
    async with httpx.AsyncClient(base_url=base(stack), timeout=30) as http:
        assert (await http.get("/api/v1/institutions")).status_code == 401

    # The database knows the id's hash only, and the tokens are sealed.
    db = await pg(stack.database_urls["gateway"])
    row = await db.fetchrow(
        "SELECT * FROM session WHERE id_hash = $1", hashlib.sha256(session_id.encode()).digest()
    )
    assert row is not None
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row.values())
    assert session_id.encode() not in stored
    assert b"eyJ" not in bytes(row["access_token"]) + bytes(row["refresh_token"])
    assert row["expires_at"] > row["last_seen_at"]


async def test_bad_password_stays_on_keycloak(
    stack: Stack, browser: Browser, make_person: Callable[..., Person]
) -> None:
    person = make_person("login-bad")
    page = await login(stack, browser, person.username, "not-the-password-1")

    assert on_keycloak(stack, page)
    assert 'id="kc-form-login"' in page.text
    assert 'aria-invalid="true"' in page.text
    assert browser.session_cookie() is None


async def test_first_login_changes_the_temporary_password(
    stack: Stack, browser: Browser, keycloak: KeycloakAdmin
) -> None:
    username = f"{stack.namespace}.first-login-{uuid.uuid4().hex[:6]}"
    temporary = secrets.token_urlsafe(12)
    user = {
        "username": username,
        "enabled": True,
        "emailVerified": True,
        "firstName": "Анна",
        "lastName": "Ёлкина",
        "email": f"{username}@zhurnal.invalid",
        "credentials": [{"type": "password", "value": temporary, "temporary": True}],
    }
    async with httpx.AsyncClient(timeout=15) as admin:
        created = await admin.post(
            f"{keycloak.base_url}/admin/realms/{keycloak.realm}/users",
            headers=admin_headers(keycloak),
            json=user,
        )
    assert created.status_code == 201, created.text

    page = await login(stack, browser, username, temporary)
    assert on_keycloak(stack, page)
    action = form_action(page, "kc-passwd-update-form")
    new_password = "Новый-пароль-" + secrets.token_hex(4)
    # Too short for the realm policy (length 10): refused, still on Keycloak.
    short = await browser.http.post(
        action, data={"password-new": "short1", "password-confirm": "short1"}
    )
    assert on_keycloak(stack, short) and 'id="kc-passwd-update-form"' in short.text
    landed = await browser.http.post(
        form_action(short, "kc-passwd-update-form"),
        data={"password-new": new_password, "password-confirm": new_password},
    )

    assert landed.status_code == 200, landed.text[:800]
    assert str(landed.url) == f"{base(stack)}/"
    assert "Вы вошли как" in landed.text and "Анна Ёлкина" in landed.text
    assert browser.session_cookie()
    assert keycloak.password_token(username, new_password)


async def test_logout_ends_the_session_here_and_at_keycloak(
    stack: Stack,
    browser: Browser,
    member: Person,
    keycloak: KeycloakAdmin,
    pg: Any,
) -> None:
    person = member
    landed = await login(stack, browser, person.username, person.password)
    session_id = browser.session_cookie()
    assert session_id
    db = await pg(stack.database_urls["gateway"])
    row = await db.fetchrow(
        "SELECT idp_session_id, access_token, refresh_token, id_token FROM session"
        " WHERE id_hash = $1",
        hashlib.sha256(session_id.encode()).digest(),
    )
    sealed = {k: bytes(v) for k, v in row.items() if k != "idp_session_id"}
    refresh_token = open_tokens(session_id, sealed).refresh
    keycloak_session = row["idp_session_id"]
    assert keycloak_session in session_ids(keycloak, person.username)

    after = await browser.http.post(
        f"{base(stack)}/logout", data={"csrf_token": csrf_token(landed)}
    )

    assert after.status_code == 200 and str(after.url) == f"{base(stack)}/"
    assert "Вы не вошли" in after.text
    assert clears_session_cookie(after.history[0])
    assert browser.session_cookie() is None
    async with with_cookie(stack, session_id) as http:
        reply = await http.get("/api/v1/institutions")
    assert reply.status_code == 401
    assert reply.headers["content-type"].startswith("application/problem+json")
    # Keycloak's session is gone: no session listed, the refresh token is dead, and the next
    # /login shows the password form instead of signing in silently.
    assert keycloak_session not in session_ids(keycloak, person.username)
    secret = (stack.infra.run_dir / "secrets" / "gateway-client-secret").read_text().strip()
    async with httpx.AsyncClient(timeout=15) as http:
        refreshed = await http.post(
            f"{stack.infra.keycloak_url}/realms/zhurnal/protocol/openid-connect/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=("zhurnal-gateway", secret),
        )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    again = await browser.http.get(f"{base(stack)}/login")
    assert on_keycloak(stack, again) and 'id="kc-form-login"' in again.text


async def test_state_changing_session_requests_need_the_csrf_token(
    stack: Stack, browser: Browser, member: Person
) -> None:
    person = member
    landed = await login(stack, browser, person.username, person.password)
    token = csrf_token(landed)
    session_id = browser.session_cookie()
    assert session_id
    body = {
        "code": f"c-{uuid.uuid4().hex[:10]}",
        "full_name": "МБОУ «Школа № 12»",
        "short_name": "Школа № 12",
        "kind": "school",
        "time_zone": "Europe/Moscow",
    }

    async with with_cookie(stack, session_id) as http:
        missing = await http.post("/api/v1/institutions", json=body)
        wrong = await http.post(
            "/api/v1/institutions", json=body, headers={"X-CSRF-Token": "x" + token[1:]}
        )
        logout = await http.post("/logout")
        still = await http.get("/api/v1/institutions")
        created = await http.post(
            "/api/v1/institutions", json=body, headers={"X-CSRF-Token": token}
        )
    for refused in (missing, wrong):
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "CSRF" in refused.json()["detail"]
    # The logout form is a page: its refusal is a page in the person's language.
    assert logout.status_code == 403, logout.text
    assert logout.headers["content-type"].startswith("text/html")
    assert "У вас нет права видеть или изменять это." in logout.text
    assert still.status_code == 200  # the refused logout did not end the session
    assert created.status_code == 201, created.text

    # A bearer token without the cookie needs no CSRF token.
    async with httpx.AsyncClient(base_url=base(stack), timeout=30) as http:
        bearer = await http.post(
            "/api/v1/institutions",
            json=body | {"code": f"c-{uuid.uuid4().hex[:10]}"},
            headers={"Authorization": f"Bearer {person.token()}"},
        )
    assert bearer.status_code == 201, bearer.text


async def test_disabled_account_loses_its_session_within_the_revalidation_interval(
    stack: Stack, browser: Browser, registered: Callable[[str], Person], keycloak: KeycloakAdmin
) -> None:
    person = registered("disabled")
    await login(stack, browser, person.username, person.password)
    session_id = browser.session_cookie()
    assert session_id
    async with with_cookie(stack, session_id) as http:
        assert (await http.get("/api/v1/institutions")).status_code == 200

        async with httpx.AsyncClient(timeout=15) as admin:
            disabled = await admin.put(
                user_url(keycloak, person.username),
                headers=admin_headers(keycloak),
                json={"enabled": False},
            )
        assert disabled.status_code == 204, disabled.text
        started = time.monotonic()
        # The stack re-validates sessions every 2 s (ZHURNAL_GATEWAY_SESSION_REVALIDATE_S).
        reply = await http.get("/api/v1/institutions")
        while reply.status_code != 401 and time.monotonic() - started < 15:
            await asyncio.sleep(0.25)
            reply = await http.get("/api/v1/institutions")
        elapsed = time.monotonic() - started

        assert reply.status_code == 401, reply.text
        assert elapsed < 10, elapsed
        assert clears_session_cookie(reply)
        assert (await http.get("/api/v1/institutions")).status_code == 401
        page = await http.get("/")
    assert "Вы не вошли" in page.text
