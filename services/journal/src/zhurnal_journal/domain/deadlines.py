"""When a lesson's topic is due (R-3.2), and when a cancelled lesson's entries stay closed.

R-3.2 says topics are entered on the day of the lesson. The district chooses how strictly:
by the end of the lesson's day in the institution's time zone ("end_of_day"), or from the end
of the lesson itself ("lesson_end"), plus a grace period either way. Lessons are dated in local
time (curriculum's dates and times are naive); the institution's IANA zone turns them into
instants, so a deadline in Vladivostok falls seven hours before the same one in Moscow.

Local times that a daylight-saving change skips or repeats are read as zoneinfo does with
fold=0: a skipped time takes the offset before the change (02:30 on a spring-forward night is
03:30 of the new offset), a repeated one is its first occurrence. Durations are real minutes,
added after the start became an instant, so a lesson across a change lasts what it lasts.

No I/O: the projection computes deadlines when it stores lessons, and again when identity
tells it an institution's zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

TopicDue = Literal["end_of_day", "lesson_end"]

# The zone the journal dates lessons in until identity's InstitutionCreated arrives (the
# topics are not ordered against each other, so lessons may come first). Most of the
# district's institutions are in it; the rest are corrected when their zone arrives.
DEFAULT_TIME_ZONE = "Europe/Moscow"


def _zone(time_zone: str) -> ZoneInfo:
    # An empty zone is an institution whose zone identity left unset: the default applies.
    return ZoneInfo(time_zone or DEFAULT_TIME_ZONE)


def lesson_start_at(lesson_date: date, start: time, time_zone: str) -> datetime:
    """The instant (UTC) a lesson starts: its local date and time in the institution's zone."""
    return datetime.combine(lesson_date, start, tzinfo=_zone(time_zone)).astimezone(UTC)


def lesson_end_at(lesson_date: date, start: time, duration_min: int, time_zone: str) -> datetime:
    """The instant (UTC) a lesson ends: its start plus ``duration_min`` real minutes."""
    return lesson_start_at(lesson_date, start, time_zone) + timedelta(minutes=duration_min)


def end_of_day_at(lesson_date: date, time_zone: str) -> datetime:
    """The instant (UTC) the lesson's local day ends: the next local midnight.

    Computed as the midnight itself, not as start of day + 24 hours: days of a clock change
    are 23 or 25 hours long.
    """
    return datetime.combine(
        lesson_date + timedelta(days=1), time(0), tzinfo=_zone(time_zone)
    ).astimezone(UTC)


def topic_due_at(
    lesson_date: date,
    start: time,
    duration_min: int,
    time_zone: str,
    rule: TopicDue,
    grace_s: int,
) -> datetime:
    """The instant (UTC) by which the lesson's topic must be recorded (R-3.2).

    ``end_of_day``: the next local midnight after the lesson's day, plus ``grace_s``; never
    before the lesson has ended (a lesson ending at 24:00 is due when it ends).
    ``lesson_end``: the lesson's end plus ``grace_s``.
    """
    if grace_s < 0:
        raise ValueError("grace_s must not be negative")
    ends = lesson_end_at(lesson_date, start, duration_min, time_zone)
    if rule == "end_of_day":
        due = max(end_of_day_at(lesson_date, time_zone), ends)
    elif rule == "lesson_end":
        due = ends
    else:
        raise ValueError(f"unknown topic deadline rule {rule!r}")
    return due + timedelta(seconds=grace_s)


@dataclass(frozen=True)
class TopicDeadline:
    """The district's deadline rule for topics, as configured (JournalSettings)."""

    rule: TopicDue
    grace_s: int = 0

    def due_at(self, lesson_date: date, start: time, duration_min: int, time_zone: str) -> datetime:
        """The topic deadline of one lesson of an institution in ``time_zone``."""
        return topic_due_at(lesson_date, start, duration_min, time_zone, self.rule, self.grace_s)

    def in_zone(self, time_zone: str) -> Callable[[date, time, int], datetime]:
        """The deadline of lessons of one institution: (date, start, duration) -> due_at."""
        _zone(time_zone)  # an unknown zone fails here, before any lesson is touched
        return lambda lesson_date, start, duration_min: self.due_at(
            lesson_date, start, duration_min, time_zone
        )


class EntriesDecision(StrEnum):
    """What curriculum decided for a changed lesson's journal entries (its EntriesDecision)."""

    ENTRIES_FOLLOW = "entries-follow"
    KEEP_READ_ONLY = "keep-read-only"
    KEEP_AS_EXTRA = "keep-as-extra"


def entries_read_only(cancelled: bool, decision: EntriesDecision | None) -> bool:
    """A lesson's entries can no longer be written: it was cancelled and the deputy chose to
    keep its entries read-only (R-1.6: entries are history, never dropped). A cancelled
    lesson without entries had nothing to keep; a lesson that is held again is writable."""
    return cancelled and decision == EntriesDecision.KEEP_READ_ONLY
