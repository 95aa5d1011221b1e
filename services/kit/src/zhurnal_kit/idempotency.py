"""Idempotency keys on write requests: a retried write returns the first write's response.

A key belongs to the caller who sent it: it is stored as a digest of the caller's subject and
the key, so another caller sending the same key (by chance or on purpose) neither gets the first
caller's response nor blocks their own write. Services' own work (consumers, schedulers) runs
as the anonymous caller and shares one scope.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_kit.auth import current_caller
from zhurnal_kit.sql import Prepared
from zhurnal_kit.tables import idempotency_record

_RECALL = Prepared(
    select(idempotency_record.c.response).where(
        idempotency_record.c.operation == bindparam("operation"),
        idempotency_record.c.key == bindparam("key"),
    )
)
_REMEMBER = Prepared(
    insert(idempotency_record)
    .values(operation=bindparam("operation"), key=bindparam("key"), response=bindparam("response"))
    .inline()
)


def scoped(key: str) -> str:
    """The stored form of the current caller's ``key`` (64 hex digits, whatever its length)."""
    subject = current_caller.get().subject
    return hashlib.sha256(f"{subject}\0{key}".encode()).hexdigest()


async def recall(session: AsyncSession, operation: str, key: str) -> bytes | None:
    """The stored response of the current caller's earlier request with this key, if any."""
    if not key:
        return None
    row = await _RECALL.fetchrow(session, operation=operation, key=scoped(key))
    return row[0] if row else None


async def remember(session: AsyncSession, operation: str, key: str, response: bytes) -> None:
    """Store the response in the write's own transaction (a concurrent twin then fails)."""
    if key:
        await _REMEMBER.execute(session, operation=operation, key=scoped(key), response=response)


async def forget(session: AsyncSession, operation: str, key: str) -> None:
    """Drop a stored response (its write was compensated, so a retry must run again)."""
    if key:
        await session.execute(
            idempotency_record.delete().where(
                idempotency_record.c.operation == operation, idempotency_record.c.key == scoped(key)
            )
        )


async def forget_response(session: AsyncSession, operation: str, response: bytes) -> None:
    """Drop the stored responses equal to ``response`` (when the key itself is not known)."""
    await session.execute(
        idempotency_record.delete().where(
            idempotency_record.c.operation == operation, idempotency_record.c.response == response
        )
    )
