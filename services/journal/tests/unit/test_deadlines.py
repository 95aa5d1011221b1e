"""Topic deadlines (R-3.2) in the institution's time zone, across clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfoNotFoundError

import pytest

from zhurnal_journal.domain.deadlines import (
    DEFAULT_TIME_ZONE,
    EntriesDecision,
    TopicDeadline,
    end_of_day_at,
    entries_read_only,
    lesson_end_at,
    topic_due_at,
)

MONDAY = date(2026, 9, 7)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_moscow_end_of_day_is_the_next_local_midnight() -> None:
    due = topic_due_at(MONDAY, time(8, 30), 45, "Europe/Moscow", "end_of_day", 0)
    assert due == utc(2026, 9, 7, 21, 0)  # 24:00 at UTC+3
    assert due.tzinfo is not None and due.utcoffset() == UTC.utcoffset(None)


def test_vladivostok_is_due_seven_hours_before_moscow() -> None:
    vladivostok = topic_due_at(MONDAY, time(8, 30), 45, "Asia/Vladivostok", "end_of_day", 0)
    moscow = topic_due_at(MONDAY, time(8, 30), 45, "Europe/Moscow", "end_of_day", 0)
    assert vladivostok == utc(2026, 9, 7, 14, 0)  # 24:00 at UTC+10
    assert (moscow - vladivostok).total_seconds() == 7 * 3600


def test_lesson_end_is_the_local_start_plus_the_duration() -> None:
    assert lesson_end_at(MONDAY, time(8, 30), 45, "Europe/Moscow") == utc(2026, 9, 7, 6, 15)
    assert topic_due_at(MONDAY, time(8, 30), 45, "Asia/Vladivostok", "lesson_end", 0) == utc(
        2026, 9, 6, 23, 15
    )


def test_grace_is_added_to_either_rule() -> None:
    end_of_day = topic_due_at(MONDAY, time(8, 30), 45, "Europe/Moscow", "end_of_day", 3600)
    lesson_end = topic_due_at(MONDAY, time(8, 30), 45, "Europe/Moscow", "lesson_end", 90)
    assert end_of_day == utc(2026, 9, 7, 22, 0)
    assert lesson_end == utc(2026, 9, 7, 6, 16, 30)
    with pytest.raises(ValueError, match="grace_s"):
        topic_due_at(MONDAY, time(8, 30), 45, "Europe/Moscow", "lesson_end", -1)


def test_a_spring_forward_day_is_23_hours_long() -> None:
    # Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST.
    saturday, sunday = date(2026, 3, 28), date(2026, 3, 29)
    assert end_of_day_at(saturday, "Europe/Berlin") == utc(2026, 3, 28, 23, 0)  # CET
    assert end_of_day_at(sunday, "Europe/Berlin") == utc(2026, 3, 29, 22, 0)  # CEST
    # A lesson from 01:30 for an hour ends at 03:30 CEST: 60 real minutes.
    assert lesson_end_at(sunday, time(1, 30), 60, "Europe/Berlin") == utc(2026, 3, 29, 1, 30)
    # 02:30 does not exist that night: read with the offset before the change.
    assert lesson_end_at(sunday, time(2, 30), 45, "Europe/Berlin") == utc(2026, 3, 29, 2, 15)


def test_a_fall_back_day_is_25_hours_long() -> None:
    # Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET.
    sunday = date(2026, 10, 25)
    assert end_of_day_at(date(2026, 10, 24), "Europe/Berlin") == utc(2026, 10, 24, 22, 0)
    assert end_of_day_at(sunday, "Europe/Berlin") == utc(2026, 10, 25, 23, 0)
    # From 01:30 CEST for 90 real minutes: over the repeated hour, ending 02:00 CET.
    assert lesson_end_at(sunday, time(1, 30), 90, "Europe/Berlin") == utc(2026, 10, 25, 1, 0)
    # 02:30 happens twice: the first (CEST) is meant.
    assert lesson_end_at(sunday, time(2, 30), 30, "Europe/Berlin") == utc(2026, 10, 25, 1, 0)


def test_end_of_day_is_never_before_the_lesson_ends() -> None:
    # A 23:00 lesson of 60 minutes ends at the midnight; one ending later would be due then.
    assert topic_due_at(MONDAY, time(23, 0), 60, "Europe/Moscow", "end_of_day", 0) == utc(
        2026, 9, 7, 21, 0
    )
    assert topic_due_at(MONDAY, time(23, 30), 60, "Europe/Moscow", "end_of_day", 0) == utc(
        2026, 9, 7, 21, 30
    )


def test_an_unset_zone_is_the_default_and_an_unknown_one_is_refused() -> None:
    assert end_of_day_at(MONDAY, "") == end_of_day_at(MONDAY, DEFAULT_TIME_ZONE)
    with pytest.raises(ZoneInfoNotFoundError):
        TopicDeadline("end_of_day").in_zone("Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="rule"):
        topic_due_at(MONDAY, time(8, 30), 45, "Europe/Moscow", "whenever", 0)  # type: ignore[arg-type]


def test_the_configured_rule_dates_an_institutions_lessons() -> None:
    deadline = TopicDeadline("lesson_end", grace_s=600)
    in_vladivostok = deadline.in_zone("Asia/Vladivostok")
    assert in_vladivostok(MONDAY, time(8, 30), 45) == deadline.due_at(
        MONDAY, time(8, 30), 45, "Asia/Vladivostok"
    )
    assert in_vladivostok(MONDAY, time(8, 30), 45) == utc(2026, 9, 6, 23, 25)


def test_only_a_cancellation_keeping_entries_read_only_closes_them() -> None:
    assert entries_read_only(True, EntriesDecision.KEEP_READ_ONLY)
    assert not entries_read_only(True, None)
    assert not entries_read_only(False, EntriesDecision.KEEP_READ_ONLY)
    assert not entries_read_only(False, EntriesDecision.ENTRIES_FOLLOW)
