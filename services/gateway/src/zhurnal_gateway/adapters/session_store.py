"""Session rows in the gateway's database, and the encryption of their tokens.

The browser holds a random session id; the row is keyed by its SHA-256 and its tokens are
sealed with AES-GCM under a key derived from the id (HKDF). Without the cookie a row is useless.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zhurnal_gateway.adapters.tables import session as session_table

_TOKEN_KEY_INFO = b"zhurnal-gateway/session-tokens/v1"
_TOKEN_COLUMNS = ("access_token", "refresh_token", "id_token")


def id_hash(session_id: str) -> bytes:
    """What the database knows of a session id."""
    return hashlib.sha256(session_id.encode("ascii", "replace")).digest()


def derive_key(secret: bytes, info: bytes) -> bytes:
    """A 256-bit key for ``info`` from a high-entropy secret (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-GCM: 12-byte random nonce followed by the ciphertext and tag."""
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """The plaintext of ``seal``; ValueError when it was not sealed with this key and aad."""
    try:
        return AESGCM(key).decrypt(sealed[:12], sealed[12:], aad)
    except (InvalidTag, ValueError) as exc:
        raise ValueError("cannot open sealed data") from exc


@dataclass(frozen=True)
class Tokens:
    """The session's tokens in clear (only in memory, for one request)."""

    access: str
    refresh: str
    id: str


@dataclass(frozen=True)
class SessionRow:
    """A session as stored (tokens still sealed)."""

    id_hash: bytes
    subject: str
    idp_session_id: str
    sealed: dict[str, bytes]
    access_expires_at: datetime
    csrf_secret: str
    created_at: datetime
    last_seen_at: datetime
    validated_at: datetime
    expires_at: datetime

    def tokens(self, session_id: str) -> Tokens:
        """Open the tokens with the key only the cookie's session id gives."""
        return open_tokens(session_id, self.sealed)


def open_tokens(session_id: str, sealed: dict[str, bytes]) -> Tokens:
    """The token columns of ``session_id``'s row in clear; ValueError for another id."""
    key = derive_key(session_id.encode("ascii"), _TOKEN_KEY_INFO)
    hashed = id_hash(session_id)
    opened = {
        c: unseal(key, sealed[c], hashed + c.encode()).decode("utf-8") for c in _TOKEN_COLUMNS
    }
    return Tokens(opened["access_token"], opened["refresh_token"], opened["id_token"])


def sealed_tokens(session_id: str, tokens: Tokens) -> dict[str, bytes]:
    """The three token columns, sealed for ``session_id``."""
    key = derive_key(session_id.encode("ascii"), _TOKEN_KEY_INFO)
    hashed = id_hash(session_id)
    values = {"access_token": tokens.access, "refresh_token": tokens.refresh, "id_token": tokens.id}
    return {c: seal(key, v.encode("utf-8"), hashed + c.encode()) for c, v in values.items()}


def _row(mapping: sa.RowMapping) -> SessionRow:
    return SessionRow(
        id_hash=bytes(mapping["id_hash"]),
        subject=mapping["subject"],
        idp_session_id=mapping["idp_session_id"],
        sealed={c: bytes(mapping[c]) for c in _TOKEN_COLUMNS},
        access_expires_at=mapping["access_expires_at"],
        csrf_secret=mapping["csrf_secret"],
        created_at=mapping["created_at"],
        last_seen_at=mapping["last_seen_at"],
        validated_at=mapping["validated_at"],
        expires_at=mapping["expires_at"],
    )


class SessionStore:
    """SQL on the session table."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def insert(
        self,
        session_id: str,
        *,
        subject: str,
        idp_session_id: str,
        tokens: Tokens,
        access_expires_at: datetime,
        csrf_secret: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Store a new session."""
        async with self.engine.begin() as conn:
            await conn.execute(
                session_table.insert().values(
                    id_hash=id_hash(session_id),
                    subject=subject,
                    idp_session_id=idp_session_id,
                    **sealed_tokens(session_id, tokens),
                    access_expires_at=access_expires_at,
                    csrf_secret=csrf_secret,
                    created_at=now,
                    last_seen_at=now,
                    validated_at=now,
                    expires_at=expires_at,
                )
            )

    async def get(self, hashed: bytes) -> SessionRow | None:
        """The session row, if any."""
        async with self.engine.connect() as conn:
            found = (
                (
                    await conn.execute(
                        sa.select(session_table).where(session_table.c.id_hash == hashed)
                    )
                )
                .mappings()
                .first()
            )
        return _row(found) if found else None

    @staticmethod
    async def get_for_update(conn: AsyncConnection, hashed: bytes) -> SessionRow | None:
        """The row locked until ``conn``'s transaction ends (one refresh at a time)."""
        found = (
            (
                await conn.execute(
                    sa.select(session_table)
                    .where(session_table.c.id_hash == hashed)
                    .with_for_update()
                )
            )
            .mappings()
            .first()
        )
        return _row(found) if found else None

    @staticmethod
    async def store_refresh(
        conn: AsyncConnection,
        session_id: str,
        *,
        tokens: Tokens,
        access_expires_at: datetime,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Keep the tokens of a successful refresh; the session counts as validated now."""
        await conn.execute(
            session_table.update()
            .where(session_table.c.id_hash == id_hash(session_id))
            .values(
                **sealed_tokens(session_id, tokens),
                access_expires_at=access_expires_at,
                validated_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )

    async def touch(self, hashed: bytes, *, now: datetime, expires_at: datetime) -> None:
        """Record activity (moves the idle deadline)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                session_table.update()
                .where(session_table.c.id_hash == hashed)
                .values(last_seen_at=now, expires_at=expires_at)
            )

    async def delete(self, hashed: bytes) -> None:
        """End the session locally."""
        async with self.engine.begin() as conn:
            await conn.execute(session_table.delete().where(session_table.c.id_hash == hashed))

    async def delete_expired(self, now: datetime) -> int:
        """Sweep sessions past their deadline; the number removed."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                session_table.delete().where(session_table.c.expires_at < now)
            )
        return int(result.rowcount or 0)
