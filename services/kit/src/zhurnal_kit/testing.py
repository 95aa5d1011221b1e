"""Helpers for tests and the local demo (seeding users): never imported by a service.

Identity owns Keycloak accounts in production (issue 3); this is only what a test or the demo
seed needs to get a person with a role and a token from the real Keycloak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class KeycloakAdmin:
    """The realm's Admin REST API as the bootstrap admin of the local Keycloak."""

    base_url: str
    realm: str = "zhurnal"
    admin_user: str = "admin"
    admin_password: str = "admin"  # noqa: S105 (the local dev bootstrap admin, see docs)
    dev_client: str = "zhurnal-dev"

    def _admin_token(self, http: httpx.Client) -> str:
        response = http.post(
            f"{self.base_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self.admin_user,
                "password": self.admin_password,
            },
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def ensure_user(
        self,
        username: str,
        password: str,
        roles: list[str],
        *,
        first_name: str = "",
        last_name: str = "",
    ) -> str:
        """Create an enabled user with ``password`` (or enable an existing one) and ``roles``."""
        with httpx.Client(timeout=15.0) as http:
            headers = {"Authorization": f"Bearer {self._admin_token(http)}"}
            users = f"{self.base_url}/admin/realms/{self.realm}/users"
            found = (
                http.get(users, params={"username": username, "exact": "true"}, headers=headers)
                .raise_for_status()
                .json()
            )
            if found:
                # Kept as it is: the realm refuses a recent password again (passwordHistory).
                user_id = str(found[0]["id"])
                http.put(
                    f"{users}/{user_id}", headers=headers, json={"enabled": True}
                ).raise_for_status()
            else:
                http.post(
                    users,
                    headers=headers,
                    json={
                        "username": username,
                        "enabled": True,
                        "emailVerified": True,
                        "firstName": first_name or username,
                        "lastName": last_name or username,
                        "email": f"{username}@zhurnal.invalid",
                        "credentials": [
                            {"type": "password", "value": password, "temporary": False}
                        ],
                    },
                ).raise_for_status()
                found = (
                    http.get(users, params={"username": username, "exact": "true"}, headers=headers)
                    .raise_for_status()
                    .json()
                )
                user_id = str(found[0]["id"])
            wanted = [
                http.get(f"{self.base_url}/admin/realms/{self.realm}/roles/{role}", headers=headers)
                .raise_for_status()
                .json()
                for role in roles
            ]
            if wanted:
                http.post(
                    f"{users}/{user_id}/role-mappings/realm", headers=headers, json=wanted
                ).raise_for_status()
            return user_id

    def password_tokens(self, username: str, password: str) -> dict[str, str]:
        """Access and refresh tokens through the dev client's password grant."""
        with httpx.Client(timeout=15.0) as http:
            response = http.post(
                f"{self.base_url}/realms/{self.realm}/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": self.dev_client,
                    "username": username,
                    "password": password,
                    "scope": "openid",
                },
            )
            response.raise_for_status()
            return dict(response.json())

    def password_token(self, username: str, password: str) -> str:
        """An access token for ``username`` through the dev client's password grant."""
        return self.password_tokens(username, password)["access_token"]

    def refresh(self, refresh_token: str) -> dict[str, str]:
        """New tokens for a refresh token (fails once the session has ended)."""
        with httpx.Client(timeout=15.0) as http:
            response = http.post(
                f"{self.base_url}/realms/{self.realm}/protocol/openid-connect/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": self.dev_client,
                    "refresh_token": refresh_token,
                },
            )
            response.raise_for_status()
            return dict(response.json())

    def _user(self, http: httpx.Client, headers: dict[str, str], username: str) -> str:
        users = f"{self.base_url}/admin/realms/{self.realm}/users"
        found = (
            http.get(users, params={"username": username, "exact": "true"}, headers=headers)
            .raise_for_status()
            .json()
        )
        assert found, f"no Keycloak user {username!r}"
        return f"{users}/{found[0]['id']}"

    def set_password(self, username: str, password: str) -> None:
        """Set a permanent password and clear required actions (as if the person logged in
        once and changed the temporary one)."""
        with httpx.Client(timeout=15.0) as http:
            headers = {"Authorization": f"Bearer {self._admin_token(http)}"}
            user = self._user(http, headers, username)
            http.put(
                f"{user}/reset-password",
                headers=headers,
                json={
                    "type": "password",
                    "value": password,
                    "temporary": False,
                },
            ).raise_for_status()
            http.put(user, headers=headers, json={"requiredActions": []}).raise_for_status()

    def set_enabled(self, username: str, enabled: bool) -> None:
        """Enable or disable a user, as an administrator does in Keycloak's console."""
        with httpx.Client(timeout=15.0) as http:
            headers = {"Authorization": f"Bearer {self._admin_token(http)}"}
            user = self._user(http, headers, username)
            http.put(user, headers=headers, json={"enabled": enabled}).raise_for_status()

    def user(self, username: str) -> dict[str, object] | None:
        """The user's representation, or None."""
        with httpx.Client(timeout=15.0) as http:
            headers = {"Authorization": f"Bearer {self._admin_token(http)}"}
            found = (
                http.get(
                    f"{self.base_url}/admin/realms/{self.realm}/users",
                    params={"username": username, "exact": "true"},
                    headers=headers,
                )
                .raise_for_status()
                .json()
            )
            return dict(found[0]) if found else None

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The realm's Admin REST API (``path`` below /admin/realms/<realm>), as the
        bootstrap admin does it in the console; the response as it comes."""
        with httpx.Client(timeout=15.0) as http:
            headers = {"Authorization": f"Bearer {self._admin_token(http)}"}
            response = http.request(
                method,
                f"{self.base_url}/admin/realms/{self.realm}{path}",
                headers=headers,
                **kwargs,
            )
            response.read()
            return response
