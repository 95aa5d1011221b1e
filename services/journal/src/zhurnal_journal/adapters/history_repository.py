"""The history chain in the journal database (R-1.6): staging, chaining, verifying, reading.

A use case stages its changes in history_pending, in its own transaction and without a lock;
the chainer (``chain_pending``) moves them into the chain in batches (ADR 15). Records are only
ever inserted: the service's database role may not update or delete them and a trigger refuses
it to everyone else (migration 0003). Chaining locks the institution's row of history_head, so
one transaction at a time extends an institution's chain and seq has no gaps.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_journal.adapters.tables import (
    history_head,
    history_pending,
    history_record,
    lesson,
    substitution,
)
from zhurnal_journal.domain.history import (
    GENESIS_HASH,
    ChainVerifier,
    Change,
    HistoryRecord,
    VerifyResult,
    link,
    staged,
)
from zhurnal_kit.errors import invalid
from zhurnal_kit.paging import decode_cursor, encode_cursor
from zhurnal_kit.sql import Prepared

# Pending changes chained per transaction: a few seconds of a busy district's saves, so the
# head's lock is taken once for many saves and never held long.
CHAIN_BATCH = 5000

_PENDING_COLUMNS = [c for c in history_pending.c if c.name != "id"]
_STAGE = Prepared(
    insert(history_pending).values({c.name: bindparam(c.name) for c in _PENDING_COLUMNS}).inline()
)
_LOCK_HEAD = Prepared(
    insert(history_head)
    .values(institution_id=bindparam("institution_id"), seq=0, hash=GENESIS_HASH)
    .on_conflict_do_update(
        index_elements=[history_head.c.institution_id],
        set_={"updated_at": history_head.c.updated_at},
    )
    .returning(history_head.c.seq, history_head.c.hash)
)
_TAKE_PENDING = Prepared(
    history_pending.delete()
    .where(
        history_pending.c.id.in_(
            select(history_pending.c.id)
            .where(history_pending.c.institution_id == bindparam("institution_id"))
            .order_by(history_pending.c.id)
            .limit(bindparam("limit"))
        )
    )
    .returning(history_pending.c.id, *_PENDING_COLUMNS)
)
_PENDING_INSTITUTIONS = select(history_pending.c.institution_id).distinct()
_CHAIN = Prepared(
    insert(history_record).values({c.name: bindparam(c.name) for c in history_record.c}).inline()
)

# Records read per statement while verifying: an institution's chain runs to millions, and a
# batch of this size is a few megabytes.
VERIFY_BATCH = 5000

_COLUMNS = [history_record.c[f.name] for f in fields(HistoryRecord)]

# Every institution with a chain: a loose index scan of history_record's primary key (one
# probe per institution, not a pass over millions of rows), and every head, so a chain whose
# records were all removed is still verified.
_INSTITUTIONS = text(
    """
    WITH RECURSIVE found(institution_id) AS (
        (SELECT institution_id FROM history_record ORDER BY institution_id LIMIT 1)
        UNION ALL
        SELECT (SELECT r.institution_id FROM history_record r
                WHERE r.institution_id > found.institution_id
                ORDER BY r.institution_id LIMIT 1)
        FROM found WHERE found.institution_id IS NOT NULL
    )
    SELECT institution_id FROM found WHERE institution_id IS NOT NULL
    UNION
    SELECT institution_id FROM history_head
    ORDER BY institution_id
    """
)


class LessonOwner(NamedTuple):
    """A lesson's institution, its teacher and those substituting on it now."""

    teacher_id: str
    institution_id: str
    substitute_ids: tuple[str, ...]


def _record(row: Any) -> HistoryRecord:
    return HistoryRecord(**row._mapping)


class HistoryRepository:
    """The history chain on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stage(
        self,
        institution_id: str,
        changes: Sequence[Change],
        *,
        actor_id: str,
        client: str,
        at: datetime,
    ) -> None:
        """Stage ``changes`` for the chainer: inserted with the caller's transaction, chained
        after it commits (by ``chain_pending``)."""
        if not changes:
            return
        await _STAGE.executemany(
            self.session,
            (
                staged(institution_id, change, actor_id=actor_id, client=client, at=at)
                for change in changes
            ),
        )

    async def pending_institutions(self) -> builtins.list[str]:
        """Institutions with staged changes not yet chained."""
        return sorted((await self.session.execute(_PENDING_INSTITUTIONS)).scalars())

    async def chain_pending(self, institution_id: str, *, limit: int = CHAIN_BATCH) -> int:
        """Chain up to ``limit`` of the institution's staged changes, oldest first; how many.

        Takes the institution's chain lock until the caller commits: the changes leave
        history_pending and join history_record in that one transaction, or neither.
        """
        head = await _LOCK_HEAD.fetchrow(self.session, institution_id=institution_id)
        assert head is not None, "the upsert of a head returns it"
        rows = await _TAKE_PENDING.fetch(self.session, institution_id=institution_id, limit=limit)
        if not rows:
            return 0
        records = link(
            (
                {c.name: row[c.name] for c in _PENDING_COLUMNS}
                for row in sorted(rows, key=lambda r: r["id"])
            ),
            after_seq=head["seq"],
            after_hash=head["hash"],
        )
        # vars(), not asdict(): asdict deep-copies every value, a cost at thousands of records.
        await _CHAIN.executemany(self.session, (vars(r) for r in records))
        await self.session.execute(
            update(history_head)
            .where(history_head.c.institution_id == institution_id)
            .values(seq=records[-1].seq, hash=records[-1].hash, updated_at=func.now())
        )
        return len(records)

    async def _records(
        self, institution_id: str, *, through: int | None
    ) -> AsyncIterator[HistoryRecord]:
        """The institution's records in seq order (up to ``through``), read in batches."""
        after = 0
        while True:
            query = (
                select(*_COLUMNS)
                .where(history_record.c.institution_id == institution_id)
                .where(history_record.c.seq > after)
                .order_by(history_record.c.seq)
                .limit(VERIFY_BATCH)
            )
            if through is not None:
                query = query.where(history_record.c.seq <= through)
            batch = (await self.session.execute(query)).all()
            for row in batch:
                yield _record(row)
            if len(batch) < VERIFY_BATCH:
                return
            after = batch[-1].seq

    async def verify(self, institution_id: str) -> VerifyResult:
        """Walk the institution's chain from its first record: intact, or the first record
        that does not hold (altered, missing, out of place, or removed from the end)."""
        head = (
            await self.session.execute(
                select(history_head.c.seq, history_head.c.hash).where(
                    history_head.c.institution_id == institution_id
                )
            )
        ).one_or_none()
        verifier = ChainVerifier()
        # Records committed after the head was read lie beyond it and belong to the next
        # verification; those up to it were committed with it (appending writes both).
        async for record in self._records(
            institution_id, through=head.seq if head is not None else None
        ):
            if verifier.feed(record):
                break
        if head is None:
            result = verifier.finish()
            if result.intact and result.records:
                # Appending always writes the head, so its absence means it was removed, and
                # with it the proof of where the chain ended.
                return VerifyResult(
                    False,
                    result.records,
                    verifier.last_seq,
                    f"the chain has no head: records after {verifier.last_seq} may have been "
                    "removed",
                )
            return result
        return verifier.finish((head.seq, head.hash))

    async def list(
        self,
        institution_id: str,
        *,
        lesson_id: str = "",
        entity_id: str = "",
        page_size: int,
        cursor: str = "",
    ) -> tuple[builtins.list[HistoryRecord], str]:
        """A page of the institution's records, newest first (of one lesson's entries or of
        one entry when asked), and the token of the next page ('' at the end)."""
        position = decode_cursor(cursor, 1)
        query = select(*_COLUMNS).where(history_record.c.institution_id == institution_id)
        if position is not None:
            try:
                before = int(position[0])
            except ValueError:
                raise invalid("page_token", "is not a token this service gave out") from None
            query = query.where(history_record.c.seq < before)
        if lesson_id:
            query = query.where(history_record.c.lesson_id == lesson_id)
        if entity_id:
            query = query.where(history_record.c.entity_id == entity_id)
        rows = (
            await self.session.execute(
                query.order_by(history_record.c.seq.desc()).limit(page_size + 1)
            )
        ).all()
        records = [_record(row) for row in rows[:page_size]]
        more = len(rows) > page_size
        return records, (encode_cursor(str(records[-1].seq)) if more else "")

    async def institutions(self) -> builtins.list[str]:
        """Every institution that has a history chain, in id order."""
        return list((await self.session.execute(_INSTITUTIONS)).scalars())

    async def lesson_owner(self, lesson_id: str, *, at: datetime) -> LessonOwner | None:
        """Who answers for a lesson (None when it is unknown): who may read its history
        besides the institution's management."""
        row = (
            await self.session.execute(
                select(lesson.c.teacher_id, lesson.c.institution_id).where(lesson.c.id == lesson_id)
            )
        ).one_or_none()
        if row is None:
            return None
        substitutes = (
            await self.session.execute(
                select(substitution.c.substitute_teacher_id).where(
                    substitution.c.lesson_id == lesson_id,
                    substitution.c.revoked_at.is_(None),
                    substitution.c.valid_from <= at,
                    substitution.c.valid_until > at,
                )
            )
        ).scalars()
        return LessonOwner(row.teacher_id, row.institution_id, tuple(substitutes))
