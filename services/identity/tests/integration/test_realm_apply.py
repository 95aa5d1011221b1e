"""deploy/keycloak/apply_realm.py against the running local Keycloak: idempotent, restores
drifted settings, and the realm it leaves has what the realm file promises (events, no offline
tokens, the identity service account's roles, OTP enforced for the roles configured)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import secrets
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from zhurnal_kit.pytest_plugin import Infra
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[4]
APPLY = ROOT / "deploy" / "keycloak" / "apply_realm.py"
REALM_FILE = ROOT / "deploy" / "keycloak" / "zhurnal-realm.json"
REALM = "zhurnal"
PASSWORD = "Postoyanny-Parol-2026"
REDIRECT = "http://localhost:1/cb"


def apply(infra: Infra, *args: str) -> str:
    """Run the script as keycloak.sh does (secrets from the run folder); its summary line."""
    secrets_dir = infra.run_dir / "secrets"
    env = {
        **os.environ,
        "ZHURNAL_GATEWAY_CLIENT_SECRET": (secrets_dir / "gateway-client-secret").read_text(),
        "ZHURNAL_IDENTITY_CLIENT_SECRET": (secrets_dir / "identity-client-secret").read_text(),
    }
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), str(APPLY), "--url", infra.keycloak_url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    return lines[0]


class RealmAdmin(KeycloakAdmin):
    """The realm's Admin REST API as the bootstrap admin (as in the console); errors raise."""

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return super().call(method, path, **kwargs).raise_for_status()

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` and its JSON."""
        return self.call("GET", path, params=params).json()


@pytest.fixture(scope="module")
def admin(infra: Infra) -> RealmAdmin:
    return RealmAdmin(infra.keycloak_url)


def test_second_run_changes_nothing(infra: Infra) -> None:
    apply(infra)
    assert apply(infra) == f"apply_realm: realm {REALM}: no changes"


def test_a_setting_changed_in_the_console_is_restored(infra: Infra, admin: RealmAdmin) -> None:
    apply(infra)
    admin.call("PUT", "", json={"accessTokenLifespan": 1234})
    try:
        summary = apply(infra)
    finally:
        restored = admin.get("")["accessTokenLifespan"]
    assert "accessTokenLifespan" in summary
    assert restored == 300
    assert apply(infra).endswith("no changes")


def test_the_realm_has_what_the_file_promises(infra: Infra, admin: RealmAdmin) -> None:
    apply(infra)
    realm = admin.get("")
    assert realm["eventsEnabled"]
    assert realm["eventsExpiration"] > 0
    assert realm["adminEventsEnabled"]
    # Without representations: Keycloak's event store must not copy personal data (152-FZ).
    assert not realm["adminEventsDetailsEnabled"]
    assert realm["bruteForceProtected"]
    assert realm["browserFlow"] == "browser-zhurnal"
    assert (realm["accessTokenLifespan"], realm["ssoSessionIdleTimeout"]) == (300, 1800)
    assert realm["ssoSessionMaxLifespan"] == 36000
    policy = realm["passwordPolicy"]
    assert "length(10)" in policy
    assert "notUsername" in policy
    assert "passwordHistory(" in policy

    # The identity service reads admin events with its own service account.
    identity = admin.get("/clients", clientId="zhurnal-identity")[0]
    account = admin.get(f"/clients/{identity['id']}/service-account-user")
    management = admin.get("/clients", clientId="realm-management")[0]
    roles = admin.get(f"/users/{account['id']}/role-mappings/clients/{management['id']}")
    assert "view-events" in {r["name"] for r in roles}

    # No offline tokens: the clients do not offer the offline_access scope at all.
    login = f"t.{uuid.uuid4().hex[:12]}"
    user_id = KeycloakAdmin(infra.keycloak_url).ensure_user(login, PASSWORD, ["teacher"])
    try:
        asked = httpx.post(
            f"{infra.keycloak_url}/realms/{REALM}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "zhurnal-dev",
                "username": login,
                "password": PASSWORD,
                "scope": "openid offline_access",
            },
        )
        assert asked.status_code == 400
        assert asked.json()["error"] == "invalid_scope"
    finally:
        admin.call("DELETE", f"/users/{user_id}")


def browser_login(base_url: str, username: str, password: str) -> httpx.Response:
    """The authorization code flow of zhurnal-gateway up to the first page after the password.
    Keycloak marks its cookies Secure, which httpx does not send over plain http: carried by
    hand. Keycloak's own redirects are followed; the application's redirect URI is not."""
    cookies: dict[str, str] = {}

    with httpx.Client(timeout=15.0) as http:

        def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
            cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
            response = http.request(method, url, headers={"Cookie": cookie}, **kwargs)
            for header in response.headers.get_list("set-cookie"):
                name, _, rest = header.partition("=")
                cookies[name] = rest.split(";", 1)[0]
            if response.is_redirect and response.headers["location"].startswith(base_url):
                return send("GET", response.headers["location"])
            return response

        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(secrets.token_urlsafe(48).encode()).digest()
        )
        page = send(
            "GET",
            f"{base_url}/realms/{REALM}/protocol/openid-connect/auth",
            params={
                "client_id": "zhurnal-gateway",
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": REDIRECT,
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
            },
        )
        action = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', page.text)
        assert action, page.text[-500:]
        return send(
            "POST",
            html.unescape(action.group(1)),
            data={"username": username, "password": password},
        )


def test_otp_is_enforced_for_the_roles_configured(
    infra: Infra, admin: RealmAdmin, tmp_path: Path
) -> None:
    # A role of its own, so nobody else's logins change while the test runs.
    role = f"otp-test-{uuid.uuid4().hex[:8]}"
    admin.call("POST", "/roles", json={"name": role})
    realm_file = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    realm_file["attributes"]["zhurnal.otpRoles"] = f"director, {role}"
    changed = tmp_path / "realm.json"
    changed.write_text(json.dumps(realm_file, ensure_ascii=False), encoding="utf-8")
    seed = KeycloakAdmin(infra.keycloak_url)
    staff = f"t.{uuid.uuid4().hex[:12]}"
    other = f"t.{uuid.uuid4().hex[:12]}"
    users = [seed.ensure_user(staff, PASSWORD, [role]), seed.ensure_user(other, PASSWORD, [])]
    try:
        assert "flow browser-zhurnal rebuilt" in apply(infra, "--realm-file", str(changed))
        assert apply(infra, "--realm-file", str(changed)).endswith("no changes")

        # The role's holder, with no OTP yet, is sent to set one up before getting in.
        page = browser_login(infra.keycloak_url, staff, PASSWORD)
        assert page.status_code == 200
        assert 'id="kc-totp-settings-form"' in page.text

        # Everybody else signs in with the password alone.
        response = browser_login(infra.keycloak_url, other, PASSWORD)
        assert response.is_redirect
        assert response.headers["location"].startswith(REDIRECT)
        assert "code=" in response.headers["location"]
    finally:
        restored = apply(infra)
        for user_id in users:
            admin.call("DELETE", f"/users/{user_id}")
        admin.call("DELETE", f"/roles/{role}")
    assert "flow browser-zhurnal rebuilt" in restored
    # Back to the file: a staff login is no longer asked for OTP.
    assert apply(infra).endswith("no changes")
