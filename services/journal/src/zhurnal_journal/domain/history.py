"""The history of every change (R-1.6): what a change record says, and its hash chain.

Every create, update and delete of an entry becomes a record: who, when, the entry before and
after, from which client. A use case stages its changes; a chainer links them (ADR 15).
Records of an institution form one chain: record n carries the hash
of record n-1 (``prev_hash``) and its own hash over everything it stores, so a record altered,
removed or slipped in afterwards no longer fits and ``verify_chain`` names the first that does
not. The hash covers the stored text of before and after (canonical JSON), so verification
needs nothing but the stored rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import IntEnum
from typing import Any
from uuid import UUID

# The prev_hash of an institution's first record.
GENESIS_HASH = "0" * 64


class ChangeAction(IntEnum):
    """journal.v1.ChangeAction."""

    CREATE = 1
    UPDATE = 2
    DELETE = 3


@dataclass(frozen=True)
class Change:
    """One change of one entry, as a use case states it (before it is chained).

    ``entity`` names the kind of entry: lesson_record, attendance, mark, final_mark,
    period_unlock, settings, mark_scale, mark_type. ``before`` is None for a create and
    ``after`` None for a delete; both hold plain JSON values (dates, times, UUIDs and decimals
    are written as strings, see ``canonical_json``).
    """

    entity: str
    entity_id: str
    action: ChangeAction
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    lesson_id: str = ""
    responsible_teacher_id: str = ""


def _plain(value: Any) -> Any:
    # Entries hold dates and times; their ISO form is as exact as the value and sorts the same.
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value of a history record")


def canonical_json(value: Any) -> str:
    """``value`` as one JSON text: keys sorted, no spaces, non-ASCII kept as it is.

    The same value always gives the same text, which is what is stored and hashed. NaN and
    infinities are refused (JSON has none).
    """
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_plain,
    )


def utc_iso(at: datetime) -> str:
    """``at`` in UTC, ISO-8601 with microseconds: the form hashed (PostgreSQL keeps
    microseconds, so a stored time reads back to the same text)."""
    if at.tzinfo is None:
        raise ValueError("a history time must carry its time zone")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def record_hash(
    *,
    institution_id: str,
    seq: int,
    at: datetime,
    actor_id: str,
    responsible_teacher_id: str,
    entity: str,
    entity_id: str,
    action: int,
    before_json: str,
    after_json: str,
    client: str,
    lesson_id: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of the canonical JSON of every stored column of a record but the hash.

    Column names are part of the hashed text, so a value moved to another column changes it.
    """
    content = {
        "institution_id": institution_id,
        "seq": int(seq),
        "at": utc_iso(at),
        "actor_id": actor_id,
        "responsible_teacher_id": responsible_teacher_id,
        "entity": entity,
        "entity_id": entity_id,
        "action": int(action),
        "before_json": before_json,
        "after_json": after_json,
        "client": client,
        "lesson_id": lesson_id,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class HistoryRecord:
    """One stored record: the columns of history_record."""

    institution_id: str
    seq: int
    at: datetime
    actor_id: str
    responsible_teacher_id: str
    entity: str
    entity_id: str
    action: int
    before_json: str
    after_json: str
    client: str
    lesson_id: str
    prev_hash: str
    hash: str

    def content_hash(self) -> str:
        """The hash this record's contents call for (equal to ``hash`` unless altered)."""
        return record_hash(
            **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "hash"}
        )


def staged(
    institution_id: str, change: Change, *, actor_id: str, client: str, at: datetime
) -> dict[str, Any]:
    """The columns of a record of ``change`` but its place in the chain (seq, prev_hash and
    hash): what a use case stages for the chainer, before/after already canonical JSON."""
    return {
        "institution_id": institution_id,
        "at": at,
        "actor_id": actor_id,
        "responsible_teacher_id": change.responsible_teacher_id,
        "entity": change.entity,
        "entity_id": change.entity_id,
        "action": int(change.action),
        "before_json": canonical_json(change.before),
        "after_json": canonical_json(change.after),
        "client": client,
        "lesson_id": change.lesson_id,
    }


def link(
    entries: Iterable[Mapping[str, Any]], *, after_seq: int, after_hash: str
) -> list[HistoryRecord]:
    """The records of staged ``entries`` (as ``staged`` makes them), in order, continuing a
    chain that ends at record ``after_seq`` with hash ``after_hash`` (0 and GENESIS_HASH for a
    new chain)."""
    records: list[HistoryRecord] = []
    seq, prev_hash = after_seq, after_hash
    for entry in entries:
        seq += 1
        content = {**entry, "seq": seq, "prev_hash": prev_hash}
        record = HistoryRecord(**content, hash=record_hash(**content))
        records.append(record)
        prev_hash = record.hash
    return records


def chain(
    institution_id: str,
    changes: Iterable[Change],
    *,
    after_seq: int,
    after_hash: str,
    actor_id: str,
    client: str,
    at: datetime,
) -> list[HistoryRecord]:
    """The records of ``changes``, in order, continuing a chain that ends at record
    ``after_seq`` with hash ``after_hash``."""
    return link(
        (staged(institution_id, c, actor_id=actor_id, client=client, at=at) for c in changes),
        after_seq=after_seq,
        after_hash=after_hash,
    )


@dataclass(frozen=True)
class Break:
    """The first record of a chain that does not hold, and why."""

    seq: int
    problem: str


@dataclass(frozen=True)
class VerifyResult:
    """What verifying a chain found: intact, or the first broken record.

    ``records`` counts the records found to hold (all of them when intact).
    """

    intact: bool
    records: int
    first_broken_seq: int = 0
    problem: str = ""


class ChainVerifier:
    """Checks a chain record by record, in seq order, so a chain of millions can be fed in
    batches without holding it. ``feed`` answers the first break; after it, nothing more is
    checked."""

    def __init__(self) -> None:
        self.checked = 0
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.broken: Break | None = None

    def feed(self, record: HistoryRecord) -> Break | None:
        """Check the next record; the break it reveals (None while the chain holds)."""
        if self.broken:
            return self.broken
        expected = self.last_seq + 1
        if record.seq < expected:
            self.broken = Break(record.seq, f"record {record.seq} is out of order or repeated")
        elif record.seq > expected:
            missing = (
                f"record {expected} is missing"
                if record.seq == expected + 1
                else f"records {expected} to {record.seq - 1} are missing"
            )
            self.broken = Break(expected, f"{missing} (the next is {record.seq})")
        elif record.content_hash() != record.hash:
            self.broken = Break(
                record.seq, f"record {record.seq} was altered: its hash does not match its contents"
            )
        elif record.prev_hash != self.last_hash:
            what = "the start of the chain" if record.seq == 1 else f"record {record.seq - 1}"
            self.broken = Break(
                record.seq,
                f"record {record.seq} does not link to {what} (one of them was rewritten)",
            )
        else:
            self.checked += 1
            self.last_seq, self.last_hash = record.seq, record.hash
        return self.broken

    def finish(self, head: tuple[int, str] | None = None) -> VerifyResult:
        """The result once every record is fed. ``head`` is the chain's end as appending
        recorded it (seq, hash): with it, records removed from the end are found too."""
        if self.broken is None and head is not None:
            head_seq, head_hash = head
            if head_seq > self.last_seq:
                first = self.last_seq + 1
                missing = (
                    f"record {first} is missing"
                    if head_seq == first
                    else f"records {first} to {head_seq} are missing"
                )
                self.broken = Break(first, f"{missing} from the end of the chain")
            elif head_seq < self.last_seq:
                self.broken = Break(
                    head_seq + 1,
                    f"record {head_seq + 1} lies beyond the end of the chain (not appended)",
                )
            elif head_hash != self.last_hash:
                self.broken = Break(
                    self.last_seq,
                    f"record {self.last_seq} is not the record the chain ended with "
                    "(its hash differs from the head's)",
                )
        if self.broken:
            return VerifyResult(False, self.checked, self.broken.seq, self.broken.problem)
        return VerifyResult(True, self.checked)


def verify_chain(
    records: Iterable[HistoryRecord], head: tuple[int, str] | None = None
) -> VerifyResult:
    """Verify one institution's chain given in seq order: intact, or the first record whose
    seq, hash or link does not hold. With ``head``, records removed from the end are found
    too."""
    verifier = ChainVerifier()
    for record in records:
        if verifier.feed(record):
            break
    return verifier.finish(head)
