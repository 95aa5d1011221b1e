"""KeycloakAccounts (the AccountDirectory port) against the real local Keycloak."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from zhurnal_identity.adapters.keycloak import KeycloakAccounts
from zhurnal_kit.errors import AlreadyExists, Unavailable
from zhurnal_kit.pytest_plugin import Infra, free_port
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

REALM = "zhurnal"
TEMPORARY = "Vremenny-Parol-2026"
CHANGED = "Postoyanny-Parol-2026"
REDIRECT = "http://localhost:1/cb"


def identity_secret(infra: Infra) -> str:
    return (infra.run_dir / "secrets" / "identity-client-secret").read_text().strip()


def new_login() -> str:
    return f"t.{uuid.uuid4().hex[:12]}"


class RealmAdmin(KeycloakAdmin):
    """The realm's Admin REST API as the bootstrap admin: what an administrator does in the
    console, beside identity's service account."""


def token_request(infra: Infra, **data: str) -> httpx.Response:
    return httpx.post(
        f"{infra.keycloak_url}/realms/{REALM}/protocol/openid-connect/token",
        data={"client_id": "zhurnal-dev", **data},
        timeout=15.0,
    )


def password_grant(infra: Infra, username: str, password: str) -> httpx.Response:
    return token_request(infra, grant_type="password", username=username, password=password)


class Browser:
    """Just enough of a browser for Keycloak's login pages (authorization code flow of
    zhurnal-gateway with PKCE). Keycloak marks its cookies Secure, which httpx rightly does not
    send over plain http, so they are carried by hand."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = httpx.Client(timeout=15.0)
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, url, headers={"Cookie": cookie}, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        # Follow Keycloak's own redirects; stop at the application's redirect URI.
        while response.is_redirect and response.headers["location"].startswith(self.base):
            response = self._send("GET", response.headers["location"])
        return response

    def login(self, username: str, password: str) -> httpx.Response:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        page = self._send(
            "GET",
            f"{self.base}/realms/{REALM}/protocol/openid-connect/auth",
            params={
                "client_id": "zhurnal-gateway",
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": REDIRECT,
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
                "state": "s",
            },
        )
        return self.submit(page, "kc-form-login", username=username, password=password)

    def submit(self, page: httpx.Response, form_id: str, **fields: str) -> httpx.Response:
        match = re.search(rf'<form[^>]*id="{form_id}"[^>]*action="([^"]+)"', page.text)
        assert match, f"no form {form_id} on the page: {forms(page)}"
        return self._send("POST", html.unescape(match.group(1)), data=fields)


def forms(page: httpx.Response) -> list[str]:
    return re.findall(r'<form[^>]*id="([^"]+)"', page.text)


def signed_in(response: httpx.Response) -> bool:
    return response.is_redirect and response.headers["location"].startswith(REDIRECT)


@pytest.fixture(scope="module")
def admin(infra: Infra) -> RealmAdmin:
    return RealmAdmin(infra.keycloak_url)


class TrackedAccounts(KeycloakAccounts):
    """Remembers the users it created, so the test can delete them afterwards."""

    created: list[str]

    async def create_user(self, **kwargs: str) -> str:
        user_id = await super().create_user(**kwargs)
        self.created.append(user_id)
        return user_id


@pytest.fixture
async def accounts(infra: Infra) -> AsyncIterator[KeycloakAccounts]:
    accounts = TrackedAccounts(
        infra.keycloak_url, REALM, "zhurnal-identity", identity_secret(infra), timeout=10.0
    )
    accounts.created = []
    yield accounts
    for user_id in accounts.created:
        await accounts.delete_user(user_id)
    await accounts.aclose()


async def new_user(accounts: KeycloakAccounts, login: str, person_id: str = "") -> str:
    return await accounts.create_user(
        login=login,
        first_name="Анна",
        last_name="Соколова",
        email="",
        person_id=person_id or str(uuid.uuid4()),
        temporary_password=TEMPORARY,
    )


async def test_new_user_must_change_the_temporary_password(
    infra: Infra, accounts: KeycloakAccounts
) -> None:
    login = new_login()
    person_id = str(uuid.uuid4())
    user_id = await new_user(accounts, login, person_id)

    account = await accounts.get_user(user_id)
    assert account is not None
    assert (account.login, account.enabled, account.person_id) == (login, True, person_id)
    assert await accounts.find_by_login(login) == account

    refused = password_grant(infra, login, TEMPORARY)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert refused.json()["error_description"] == "Account is not fully set up"

    # First login in the browser: the temporary password leads to the change-password form.
    browser = Browser(infra.keycloak_url)
    page = browser.login(login, TEMPORARY)
    assert "kc-passwd-update-form" in forms(page)
    done = browser.submit(
        page, "kc-passwd-update-form", **{"password-new": CHANGED, "password-confirm": CHANGED}
    )
    assert signed_in(done), forms(done)

    assert password_grant(infra, login, TEMPORARY).status_code == 401
    assert password_grant(infra, login, CHANGED).status_code == 200


async def test_create_is_idempotent_for_the_same_person(accounts: KeycloakAccounts) -> None:
    login = new_login()
    person_id = str(uuid.uuid4())
    first = await new_user(accounts, login, person_id)
    again = await new_user(accounts, login, person_id)
    assert again == first


async def test_a_login_of_another_person_is_taken(accounts: KeycloakAccounts) -> None:
    login = new_login()
    await new_user(accounts, login)
    with pytest.raises(AlreadyExists) as caught:
        await new_user(accounts, login)
    assert [v.field for v in caught.value.violations] == ["login"]


async def test_disable_refuses_logins_and_ends_sessions(
    infra: Infra, accounts: KeycloakAccounts, admin: RealmAdmin
) -> None:
    login = new_login()
    user_id = await new_user(accounts, login)
    browser = Browser(infra.keycloak_url)
    page = browser.login(login, TEMPORARY)
    browser.submit(
        page, "kc-passwd-update-form", **{"password-new": CHANGED, "password-confirm": CHANGED}
    )
    tokens = password_grant(infra, login, CHANGED).raise_for_status().json()
    assert admin.call("GET", f"/users/{user_id}/sessions").json()

    await accounts.disable_user(user_id)

    assert admin.call("GET", f"/users/{user_id}/sessions").json() == []
    refresh = token_request(
        infra, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"
    refused = password_grant(infra, login, CHANGED)
    assert refused.status_code in (400, 401)
    assert refused.json()["error"] == "invalid_grant"
    account = await accounts.get_user(user_id)
    assert account is not None
    assert not account.enabled
    await accounts.disable_user(user_id)  # again: nothing to do, no error


async def test_delete_twice(accounts: KeycloakAccounts) -> None:
    login = new_login()
    user_id = await new_user(accounts, login)
    await accounts.delete_user(user_id)
    await accounts.delete_user(user_id)
    assert await accounts.get_user(user_id) is None
    assert await accounts.find_by_login(login) is None


async def test_events_show_a_change_made_in_the_console(
    accounts: KeycloakAccounts, admin: RealmAdmin
) -> None:
    user_id = await new_user(accounts, new_login())
    await asyncio.sleep(0.01)  # the creation lies before ``since``
    since = int(time.time() * 1000) - 1

    # As an administrator would in the console: the bootstrap admin, not identity's account.
    admin.call("PUT", f"/users/{user_id}", json={"enabled": False}).raise_for_status()

    events = await accounts.user_events_since(since)
    mine = [e for e in events if e.user_id == user_id]
    assert [e.operation for e in mine] == ["UPDATE"]
    assert all(e.time_ms > since for e in events)
    assert [e.time_ms for e in events] == sorted(e.time_ms for e in events)


async def test_list_users_pages(accounts: KeycloakAccounts) -> None:
    for _ in range(3):
        await new_user(accounts, new_login())
    first = await accounts.list_users(0, 2)
    second = await accounts.list_users(2, 2)
    assert len(first) == 2
    assert second
    assert not {a.user_id for a in first} & {a.user_id for a in second}


async def test_unreachable_keycloak_is_unavailable(infra: Infra) -> None:
    closed = KeycloakAccounts(
        f"http://127.0.0.1:{free_port()}", REALM, "zhurnal-identity", identity_secret(infra), 2.0
    )
    try:
        with pytest.raises(Unavailable):
            await closed.get_user(str(uuid.uuid4()))
        with pytest.raises(Unavailable):
            await closed.find_by_login(new_login())
        with pytest.raises(Unavailable):
            await new_user(closed, new_login())
        with pytest.raises(Unavailable):
            await closed.user_events_since(0)
    finally:
        await closed.aclose()
