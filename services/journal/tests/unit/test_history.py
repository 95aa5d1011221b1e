"""The history chain (R-1.6): canonical JSON, record hashes, and verification naming the first
record that does not hold."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from zhurnal_journal.domain.history import (
    GENESIS_HASH,
    Change,
    ChangeAction,
    HistoryRecord,
    canonical_json,
    chain,
    record_hash,
    utc_iso,
    verify_chain,
)

AT = datetime(2026, 9, 1, 8, 30, 15, 123456, tzinfo=UTC)
SCHOOL = "inst-1"


def mark(n: int, action: ChangeAction = ChangeAction.CREATE) -> Change:
    after = {"value": "5", "student_id": f"s-{n}", "comment": "молодец"}
    return Change(
        entity="mark",
        entity_id=f"m-{n}",
        action=action,
        before=None if action == ChangeAction.CREATE else {"value": "4"},
        after=None if action == ChangeAction.DELETE else after,
        lesson_id="l-1",
        responsible_teacher_id="t-1",
    )


def records(n: int) -> list[HistoryRecord]:
    return chain(
        SCHOOL,
        [mark(i) for i in range(1, n + 1)],
        after_seq=0,
        after_hash=GENESIS_HASH,
        actor_id="p-1",
        client="web 10.0.0.1 Firefox",
        at=AT,
    )


def test_canonical_json_sorts_keys_without_spaces_and_keeps_cyrillic():
    text = canonical_json({"b": 1, "a": {"d": [1, 2], "c": "тема"}})
    assert text == '{"a":{"c":"тема","d":[1,2]},"b":1}'
    assert canonical_json(None) == "null"


def test_canonical_json_writes_dates_as_iso_and_refuses_other_objects():
    assert canonical_json({"on": date(2026, 9, 1)}) == '{"on":"2026-09-01"}'
    with pytest.raises(TypeError):
        canonical_json({"x": object()})
    with pytest.raises(ValueError, match="Out of range"):
        canonical_json({"x": float("nan")})


def test_times_are_hashed_in_utc_with_microseconds():
    moscow = timezone(timedelta(hours=3))
    assert utc_iso(datetime(2026, 9, 1, 11, 0, tzinfo=moscow)) == "2026-09-01T08:00:00.000000+00:00"
    with pytest.raises(ValueError, match="time zone"):
        utc_iso(datetime(2026, 9, 1, 11, 0))


def test_the_hash_covers_every_stored_column_but_itself():
    record = records(1)[0]
    content = {
        "institution_id": SCHOOL,
        "seq": 1,
        "at": "2026-09-01T08:30:15.123456+00:00",
        "actor_id": "p-1",
        "responsible_teacher_id": "t-1",
        "entity": "mark",
        "entity_id": "m-1",
        "action": 1,
        "before_json": "null",
        "after_json": record.after_json,
        "client": "web 10.0.0.1 Firefox",
        "lesson_id": "l-1",
        "prev_hash": GENESIS_HASH,
    }
    expected = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert record.hash == expected == record.content_hash()
    columns = {**content, "at": AT}
    assert record_hash(**columns) == record.hash
    for column, value in columns.items():
        if column == "at":
            changed = {**columns, "at": AT + timedelta(microseconds=1)}
        else:
            changed = {**columns, column: value + 1 if isinstance(value, int) else value + "x"}
        assert record_hash(**changed) != record.hash, column


def test_a_chain_links_each_record_to_the_one_before():
    chained = records(3)
    assert [r.seq for r in chained] == [1, 2, 3]
    assert chained[0].prev_hash == GENESIS_HASH
    assert chained[1].prev_hash == chained[0].hash
    assert chained[2].prev_hash == chained[1].hash
    assert chained[0].after_json == '{"comment":"молодец","student_id":"s-1","value":"5"}'
    assert chained[0].before_json == "null"


def test_a_chain_continues_from_where_it_ended():
    first = records(2)
    more = chain(
        SCHOOL,
        [mark(3, ChangeAction.UPDATE)],
        after_seq=2,
        after_hash=first[-1].hash,
        actor_id="p-2",
        client="web",
        at=AT + timedelta(minutes=1),
    )
    assert more[0].seq == 3 and more[0].prev_hash == first[-1].hash
    assert verify_chain([*first, *more], head=(3, more[0].hash)).intact


def test_an_intact_chain_is_intact():
    chained = records(5)
    result = verify_chain(chained, head=(5, chained[-1].hash))
    assert result.intact and result.records == 5
    assert result.first_broken_seq == 0 and result.problem == ""
    assert verify_chain([]).intact


def test_an_altered_record_is_named():
    chained = records(5)
    chained[2] = replace(chained[2], after_json='{"value":"2"}')
    result = verify_chain(chained)
    assert not result.intact
    assert result.first_broken_seq == 3 and result.records == 2
    assert "altered" in result.problem


def test_an_altered_and_rehashed_record_breaks_the_next_link():
    chained = records(5)
    forged = replace(chained[2], actor_id="someone-else")
    chained[2] = replace(forged, hash=forged.content_hash())
    result = verify_chain(chained)
    assert result.first_broken_seq == 4
    assert "does not link to record 3" in result.problem


def test_a_rehashed_end_differs_from_the_head():
    chained = records(3)
    head = (3, chained[-1].hash)
    forged = replace(chained[2], after_json="null")
    chained[2] = replace(forged, hash=forged.content_hash())
    assert verify_chain(chained).intact  # without the head nothing tells
    result = verify_chain(chained, head=head)
    assert result.first_broken_seq == 3 and "head" in result.problem


def test_a_missing_record_is_named():
    chained = records(5)
    del chained[2]
    result = verify_chain(chained)
    assert result.first_broken_seq == 3
    assert result.problem == "record 3 is missing (the next is 4)"
    chained = records(5)
    del chained[0:2]
    result = verify_chain(chained)
    assert result.first_broken_seq == 1
    assert result.problem == "records 1 to 2 are missing (the next is 3)"


def test_records_removed_from_the_end_are_found_with_the_head():
    chained = records(5)
    head = (5, chained[-1].hash)
    result = verify_chain(chained[:3], head=head)
    assert not result.intact
    assert result.first_broken_seq == 4 and result.records == 3
    assert "records 4 to 5 are missing from the end" in result.problem
    result = verify_chain([], head=head)
    assert result.first_broken_seq == 1


def test_a_record_beyond_the_head_is_named():
    chained = records(3)
    result = verify_chain(chained, head=(2, chained[1].hash))
    assert result.first_broken_seq == 3 and "beyond the end" in result.problem


def test_a_first_record_not_linked_to_the_start_is_named():
    chained = records(2)
    forged = replace(chained[0], prev_hash="f" * 64)
    chained[0] = replace(forged, hash=forged.content_hash())
    result = verify_chain(chained)
    assert result.first_broken_seq == 1 and "the start of the chain" in result.problem


def test_a_repeated_record_is_named():
    chained = records(3)
    result = verify_chain([chained[0], chained[1], chained[1], chained[2]])
    assert result.first_broken_seq == 2 and result.records == 2
    assert "out of order or repeated" in result.problem


def test_verification_stops_reading_at_the_first_break():
    chained = records(4)
    chained[1] = replace(chained[1], client="forged")
    read: list[int] = []

    def feed():
        for record in chained:
            read.append(record.seq)
            yield record

    assert verify_chain(feed()).first_broken_seq == 2
    assert read == [1, 2]
