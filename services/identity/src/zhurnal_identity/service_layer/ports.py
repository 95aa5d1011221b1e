"""Ports the identity use cases depend on; adapters implement them, unit tests fake them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from zhurnal_identity.adapters.keycloak_bulk import NewAccount


@dataclass(frozen=True)
class Account:
    """A Keycloak user as identity sees it."""

    user_id: str
    login: str
    enabled: bool
    # The zhurnal_person_id attribute identity sets on accounts it creates ('' otherwise).
    person_id: str = ""


@dataclass(frozen=True)
class AccountEvent:
    """An admin event of the realm about a user (from Keycloak's own console or API)."""

    time_ms: int
    operation: str  # CREATE, UPDATE, DELETE, ACTION
    user_id: str


class AccountDirectory(Protocol):
    """Keycloak accounts. Every method raises zhurnal_kit.errors.Unavailable when Keycloak
    cannot be reached, so callers can compensate or retry."""

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
        """Create an enabled user whose password must be changed at first login; its id.

        Idempotent for the same person: when ``login`` exists with the same
        ``zhurnal_person_id`` attribute, that user's id is returned. Raises AlreadyExists
        (field ``login``) when the login belongs to someone else.
        """
        ...

    async def find_by_login(self, login: str) -> Account | None:
        """The user with this exact username, if any."""
        ...

    async def get_user(self, user_id: str) -> Account | None:
        """The user by id, or None when it does not exist (deleted)."""
        ...

    async def disable_user(self, user_id: str) -> None:
        """Disable the user and end all of their sessions at once."""
        ...

    async def delete_user(self, user_id: str) -> None:
        """Delete the user (compensation of a failed hire); no error when already gone."""
        ...

    async def user_events_since(self, time_ms: int) -> list[AccountEvent]:
        """Admin events on users after ``time_ms`` (epoch milliseconds), oldest first."""
        ...

    async def list_users(self, first: int, max_results: int) -> list[Account]:
        """A page of all users (for a full reconciliation)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class BulkAccounts(Protocol):
    """Creating many Keycloak accounts at once (imports)."""

    async def create_users(self, accounts: list[NewAccount]) -> dict[str, str]:
        """Create every account (login -> user id), or none: on failure the ones already made
        are deleted and Unavailable or AlreadyExists is raised."""
        ...

    async def delete_users(self, user_ids: list[str]) -> None:
        """Delete accounts (compensation)."""
        ...
