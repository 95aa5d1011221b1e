"""Creating many Keycloak accounts fast (imports: a school starts with 2,000 students).

Keycloak hashes a plain password with its realm's PBKDF2 settings (hundreds of thousands of
iterations), which makes one account cost a noticeable fraction of a second of CPU. A
temporary password is random (96 bits) and good for one login only, after which Keycloak
demands a new one and hashes that with the realm's policy; so we hash the temporary one
ourselves with few iterations and hand Keycloak the hash. Brute force is hopeless against
96 random bits whatever the iteration count. The users are created with a few requests in
flight at once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
from dataclasses import dataclass

import httpx

from zhurnal_kit.errors import AlreadyExists, FieldViolation, Unavailable

TEMPORARY_HASH_ITERATIONS = 1000
CONCURRENCY = 8


@dataclass(frozen=True)
class NewAccount:
    """An account to create: login, names, the person it belongs to, a temporary password."""

    login: str
    first_name: str
    last_name: str
    email: str
    person_id: str
    temporary_password: str


def hashed_credential(
    password: str, *, iterations: int = TEMPORARY_HASH_ITERATIONS
) -> dict[str, object]:
    """A Keycloak pbkdf2-sha256 password credential, temporary, from its plain value."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, dklen=32)
    return {
        "type": "password",
        "temporary": True,
        "secretData": json.dumps(
            {
                "value": base64.b64encode(digest).decode(),
                "salt": base64.b64encode(salt).decode(),
                "additionalParameters": {},
            }
        ),
        "credentialData": json.dumps(
            {"hashIterations": iterations, "algorithm": "pbkdf2-sha256", "additionalParameters": {}}
        ),
    }


class KeycloakBulkAccounts:
    """Bulk creation through the Admin REST API with the identity service account."""

    def __init__(
        self,
        *,
        server_url: str,
        realm: str,
        client_id: str,
        client_secret: str,
        timeout: float = 15.0,
    ) -> None:
        self._base = server_url.rstrip("/")
        self._realm = realm
        self._client = (client_id, client_secret)
        self._timeout = timeout

    async def _token(self, http: httpx.AsyncClient) -> str:
        reply = await http.post(
            f"{self._base}/realms/{self._realm}/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self._client[0],
                "client_secret": self._client[1],
            },
        )
        reply.raise_for_status()
        return str(reply.json()["access_token"])

    async def create_users(self, accounts: list[NewAccount]) -> dict[str, str]:
        """Create every account (login -> user id). On failure the ones made are deleted."""
        created: dict[str, str] = {}
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            try:
                headers = {"Authorization": f"Bearer {await self._token(http)}"}
            except httpx.HTTPError as error:
                raise Unavailable(f"Keycloak did not answer: {error}") from None
            users = f"{self._base}/admin/realms/{self._realm}/users"
            gate = asyncio.Semaphore(CONCURRENCY)

            async def create(account: NewAccount) -> None:
                async with gate:
                    reply = await http.post(
                        users,
                        headers=headers,
                        json={
                            "username": account.login,
                            "enabled": True,
                            "firstName": account.first_name,
                            "lastName": account.last_name,
                            "email": account.email or None,
                            "emailVerified": False,
                            "attributes": {"zhurnal_person_id": [account.person_id]},
                            "requiredActions": ["UPDATE_PASSWORD"],
                            "credentials": [hashed_credential(account.temporary_password)],
                        },
                    )
                    if reply.status_code == 409:
                        field = "email" if "email" in reply.text.lower() else "login"
                        raise AlreadyExists(
                            f"{field} of {account.login!r} is taken in Keycloak",
                            [FieldViolation(field, "is already used by another account")],
                        )
                    reply.raise_for_status()
                    created[account.login] = reply.headers["Location"].rsplit("/", 1)[1]

            # Every request finishes before we judge, so nothing is created after the clean-up.
            outcomes = await asyncio.gather(*(create(a) for a in accounts), return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors:
            await self.delete_users(list(created.values()))
            if isinstance(errors[0], AlreadyExists):
                raise errors[0]
            raise Unavailable(f"Keycloak did not create the accounts: {errors[0]}")
        return created

    async def delete_users(self, user_ids: list[str]) -> None:
        """Delete accounts (compensation); missing ones are fine."""
        if not user_ids:
            return
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            headers = {"Authorization": f"Bearer {await self._token(http)}"}
            gate = asyncio.Semaphore(CONCURRENCY)

            async def delete(user_id: str) -> None:
                async with gate:
                    await http.delete(
                        f"{self._base}/admin/realms/{self._realm}/users/{user_id}", headers=headers
                    )

            await asyncio.gather(*(delete(u) for u in user_ids), return_exceptions=True)
