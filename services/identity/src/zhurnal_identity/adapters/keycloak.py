"""Keycloak accounts (the AccountDirectory port) through the Admin REST API.

Identity acts as the service account of the confidential client ``zhurnal-identity``
(client credentials; realm-management roles manage-users, view-users, query-users,
view-events). python-keycloak's ``a_`` methods are natively async (httpx), so nothing runs
in threads; python-keycloak fetches and renews the service account's token itself.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any, TypeVar

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakConnectionError, KeycloakError
from pydantic import SecretStr

from zhurnal_identity.service_layer.ports import Account, AccountEvent
from zhurnal_kit.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    Unavailable,
)

T = TypeVar("T")

PERSON_ID_ATTRIBUTE = "zhurnal_person_id"
# Admin events are read in pages of this size until a short page.
EVENTS_PAGE = 500
# Keycloak's names of user fields -> the port's argument names, for its 400 answers.
_FIELDS = {
    "username": "login",
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
}


class KeycloakAccounts:
    """``AccountDirectory`` on a real Keycloak realm."""

    def __init__(
        self,
        server_url: str,
        realm: str,
        client_id: str,
        client_secret: SecretStr | str,
        timeout: float = 10.0,
    ) -> None:
        secret = (
            client_secret.get_secret_value()
            if isinstance(client_secret, SecretStr)
            else client_secret
        )
        self._connection = KeycloakOpenIDConnection(
            server_url=server_url.rstrip("/") + "/",
            realm_name=realm,
            client_id=client_id,
            client_secret_key=secret,
            grant_type="client_credentials",
            # python-keycloak types it as int; httpx takes any number of seconds.
            timeout=timeout,  # type: ignore[arg-type]
        )
        self._admin = KeycloakAdmin(connection=self._connection)

    async def aclose(self) -> None:
        """Close the HTTP connections (the admin API's and the token endpoint's)."""
        await self._connection.aclose()
        await self._connection.keycloak_openid.connection.aclose()

    async def create_user(
        self,
        *,
        login: str,
        first_name: str,
        last_name: str,
        email: str,
        person_id: str,
        temporary_password: str,
    ) -> str:
        payload: dict[str, Any] = {
            "username": login,
            "firstName": first_name,
            "lastName": last_name,
            "enabled": True,
            "emailVerified": False,
            "attributes": {PERSON_ID_ATTRIBUTE: [person_id]},
            "credentials": [{"type": "password", "value": temporary_password, "temporary": True}],
            "requiredActions": ["UPDATE_PASSWORD"],
        }
        if email:
            payload["email"] = email
        try:
            return await _call(self._admin.a_create_user(payload))
        except KeycloakError as e:
            if e.response_code == 409:
                return await self._existing(login, person_id, e)
            if e.response_code == 400:
                raise _invalid(e) from e
            raise

    async def _existing(self, login: str, person_id: str, conflict: KeycloakError) -> str:
        """After a 409: the same person's account (a retried create) or someone else's."""
        account = await self.find_by_login(login)
        if account is not None and account.person_id == person_id:
            return account.user_id
        if account is not None:
            raise AlreadyExists(
                "the login is taken", [FieldViolation("login", "the login is taken")]
            ) from conflict
        # The username is free, so the realm refused a duplicate e-mail address.
        raise AlreadyExists(
            "the e-mail address belongs to another account",
            [FieldViolation("email", "the e-mail address belongs to another account")],
        ) from conflict

    async def find_by_login(self, login: str) -> Account | None:
        users = await _call(
            self._admin.a_get_users({"username": login, "exact": True, "first": 0, "max": 2})
        )
        # exact=true still compares case-insensitively; Keycloak keeps usernames lower-case.
        found = [u for u in users if u.get("username") == login.lower()]
        return _account(found[0]) if found else None

    async def get_user(self, user_id: str) -> Account | None:
        try:
            return _account(await _call(self._admin.a_get_user(user_id)))
        except KeycloakError as e:
            if e.response_code == 404:
                return None
            raise

    async def disable_user(self, user_id: str) -> None:
        """Disable, then end every session (a disabled user's tokens would otherwise keep
        working until they expire). A user already deleted is left as it is: there is nothing
        left to sign in with."""
        try:
            await _call(self._admin.a_update_user(user_id, {"enabled": False}))
            await _call(self._admin.a_user_logout(user_id))
        except KeycloakError as e:
            if e.response_code != 404:
                raise

    async def delete_user(self, user_id: str) -> None:
        try:
            await _call(self._admin.a_delete_user(user_id))
        except KeycloakError as e:
            if e.response_code != 404:
                raise

    async def user_events_since(self, time_ms: int) -> list[AccountEvent]:
        events: list[AccountEvent] = []
        first = 0
        while True:
            page = await _call(
                self._admin.a_get_admin_events(
                    {
                        "resourceTypes": "USER",
                        # Keycloak 26 takes epoch milliseconds here (inclusive); filtered
                        # again below for the strict "after".
                        "dateFrom": str(time_ms),
                        "direction": "asc",
                        "first": first,
                        "max": EVENTS_PAGE,
                    }
                )
            )
            for event in page:
                path = str(event.get("resourcePath", ""))
                if event.get("time", 0) > time_ms and path.startswith("users/"):
                    events.append(
                        AccountEvent(
                            time_ms=int(event["time"]),
                            operation=str(event.get("operationType", "")),
                            user_id=path.split("/")[1],
                        )
                    )
            if len(page) < EVENTS_PAGE:
                break
            first += len(page)
        events.sort(key=lambda ev: ev.time_ms)  # stable: same-millisecond events keep order
        return events

    async def list_users(self, first: int, max_results: int) -> list[Account]:
        users = await _call(self._admin.a_get_users({"first": first, "max": max_results}))
        return [_account(u) for u in users]


async def _call(call: Awaitable[T]) -> T:
    """Await a python-keycloak call; unreachable, timed out or failing (5xx) Keycloak becomes
    Unavailable, so callers can compensate or retry. 4xx answers stay KeycloakError: the
    callers above handle the ones they expect; others are bugs or misconfiguration."""
    try:
        return await call
    except KeycloakConnectionError as e:
        raise Unavailable(f"Keycloak cannot be reached: {e}") from e
    except KeycloakError as e:
        if e.response_code is not None and e.response_code >= 500:
            raise Unavailable(f"Keycloak failed: {e}") from e
        raise


def _invalid(error: KeycloakError) -> InvalidArgument:
    """Keycloak's 400 on a new user: a user-profile field ({"field": ...}) or the password."""
    try:
        body = json.loads(error.response_body or b"{}")
    except ValueError:
        body = {}
    field = _FIELDS.get(str(body.get("field", "")), "")
    if not field and "password" in str(body).lower():
        field = "temporary_password"
    text = str(body.get("errorMessage") or body.get("error_description") or error)
    return InvalidArgument(text, [FieldViolation(field, text)] if field else [])


def _account(user: dict[str, Any]) -> Account:
    values = (user.get("attributes") or {}).get(PERSON_ID_ATTRIBUTE) or [""]
    return Account(
        user_id=str(user["id"]),
        login=str(user.get("username", "")),
        enabled=bool(user.get("enabled", False)),
        person_id=str(values[0]),
    )
