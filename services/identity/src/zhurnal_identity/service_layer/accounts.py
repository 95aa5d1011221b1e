"""Keeping Zhurnal and Keycloak in step (Keycloak stays a place where administrators work).

- Admin events (a user disabled, enabled, deleted or changed in Keycloak's console) are read
  every few seconds and reflected in the person's account status, with an event.
- A full reconciliation now and then catches anything the events missed (e.g. expired events).
- Hires that died half-way (PENDING for longer than a grace period) are undone on both sides.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from zhurnal.identity.v1 import events_pb2
from zhurnal_identity.adapters.protos import STATUS_TO_PROTO
from zhurnal_identity.domain.people import AccountStatus, Person
from zhurnal_identity.service_layer.access import utcnow
from zhurnal_identity.service_layer.people import PENDING_GRACE, UowFactory
from zhurnal_identity.service_layer.ports import Account, AccountDirectory
from zhurnal_kit.events import Event
from zhurnal_kit.idempotency import forget_response

log = logging.getLogger(__name__)

EVENTS_CURSOR = "keycloak_admin_events"


def _status(account: Account | None) -> AccountStatus:
    if account is None:
        return AccountStatus.DELETED
    return AccountStatus.ACTIVE if account.enabled else AccountStatus.DISABLED


async def _reflect(uows: UowFactory, person: Person, account: Account | None) -> bool:
    """Set the person's status from their account; True when it changed."""
    status = _status(account)
    if person.account_status in (status, AccountStatus.PENDING):
        return False
    async with uows() as uow:
        fresh = await uow.people.get(person.id)
        if fresh is None or fresh.account_status in (status, AccountStatus.PENDING):
            return False
        fresh.account_status = status
        await uow.people.save(fresh)
        uow.publish(
            Event(
                aggregate="person",
                aggregate_id=fresh.id,
                payload=events_pb2.AccountStatusChanged(
                    person_id=fresh.id, status=STATUS_TO_PROTO[status], reason="changed in Keycloak"
                ),
            )
        )
        await uow.commit()
    log.info(
        "account status reflected from Keycloak",
        extra={"person_id": person.id, "status": status.value},
    )
    return True


async def reflect_admin_events(uows: UowFactory, accounts: AccountDirectory) -> int:
    """Reflect users changed in Keycloak since the last run; how many people changed."""
    async with uows() as uow:
        since = await uow.cursors.get(
            EVENTS_CURSOR, int((utcnow() - timedelta(hours=1)).timestamp() * 1000)
        )
    events = await accounts.user_events_since(since)
    changed = 0
    for user_id in dict.fromkeys(e.user_id for e in events):
        async with uows() as uow:
            person = await uow.people.by_keycloak_id(user_id)
        if person is not None:
            changed += await _reflect(uows, person, await accounts.get_user(user_id))
    if events:
        async with uows() as uow:
            await uow.cursors.set(EVENTS_CURSOR, max(e.time_ms for e in events))
            await uow.commit()
    return changed


async def reconcile_all(uows: UowFactory, accounts: AccountDirectory, page: int = 500) -> int:
    """Compare every account with Keycloak's users; how many people changed."""
    users: dict[str, Account] = {}
    first = 0
    while batch := await accounts.list_users(first, page):
        users.update({u.user_id: u for u in batch})
        first += len(batch)
    async with uows() as uow:
        people = await uow.people.with_accounts()
    changed = 0
    for person in people:
        account = users.get(person.keycloak_user_id)
        if account is None:
            # Not in the listing: hired after it was read, or skipped as pages shifted under
            # users created meanwhile. Only Keycloak's answer for the user itself says deleted.
            account = await accounts.get_user(person.keycloak_user_id)
        changed += await _reflect(uows, person, account)
    return changed


async def undo_stale_pending(uows: UowFactory, accounts: AccountDirectory) -> int:
    """Remove hires that never finished, with any account made for them."""
    async with uows() as uow:
        stale = await uow.people.pending_before(utcnow() - PENDING_GRACE)
    for person in stale:
        account = await accounts.find_by_login(person.login)
        if account is not None and account.person_id == person.id:
            await accounts.delete_user(account.user_id)
        async with uows() as uow:
            # The hire's record names the person and its binding (older ones the person only).
            records = [person.id] + [
                f"{person.id} {b.id}" for b in await uow.bindings.open_for_person(person.id)
            ]
            await uow.people.delete(person.id)
            for operation in ("hire_staff", "register_student", "register_guardian"):
                for record in records:
                    await forget_response(uow.session, operation, record.encode())
            await uow.commit()
        log.warning("stale pending person removed", extra={"person_id": person.id})
    return len(stale)
