"""Late entries (R-3.2): a topic's first save is timed from the lesson's end and counted as
late when it comes after the deadline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from zhurnal_journal.adapters.timeliness_repository import DayCounts
from zhurnal_journal.service_layer.timeliness import Counts, export, record_topic_entry

LESSON_END = datetime(2026, 10, 5, 9, 15, tzinfo=UTC)
# The end of the lesson's day in Moscow.
DUE_AT = datetime(2026, 10, 5, 21, 0, tzinfo=UTC)


def institution() -> str:
    # A label of its own per test: the metrics live in the process-wide registry.
    return str(uuid.uuid4())


def sample(name: str, institution_id: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"institution_id": institution_id, **labels})


def test_a_topic_saved_before_the_deadline_is_not_late_and_its_delay_is_observed() -> None:
    school = institution()
    late = record_topic_entry(
        school,
        lesson_end=LESSON_END,
        due_at=DUE_AT,
        recorded_at=LESSON_END + timedelta(minutes=20),
    )
    assert late is False
    # The counter exists at 0, so the first late entry will show in increase().
    assert sample("zhurnal_journal_late_entries_total", school) == 0
    assert sample("zhurnal_journal_entry_delay_seconds_count", school) == 1
    assert sample("zhurnal_journal_entry_delay_seconds_sum", school) == 20 * 60
    assert sample("zhurnal_journal_entry_delay_seconds_bucket", school, le="900.0") == 0
    assert sample("zhurnal_journal_entry_delay_seconds_bucket", school, le="1800.0") == 1


def test_a_topic_saved_after_the_deadline_is_late_and_counted() -> None:
    school = institution()
    recorded_at = DUE_AT + timedelta(days=2)
    late = record_topic_entry(school, lesson_end=LESSON_END, due_at=DUE_AT, recorded_at=recorded_at)
    assert late is True
    assert sample("zhurnal_journal_late_entries_total", school) == 1
    delay = (recorded_at - LESSON_END).total_seconds()
    assert sample("zhurnal_journal_entry_delay_seconds_sum", school) == delay
    assert sample("zhurnal_journal_entry_delay_seconds_bucket", school, le="172800.0") == 0
    assert sample("zhurnal_journal_entry_delay_seconds_bucket", school, le="259200.0") == 1


def test_a_save_exactly_at_the_deadline_is_on_time() -> None:
    school = institution()
    assert not record_topic_entry(school, lesson_end=LESSON_END, due_at=DUE_AT, recorded_at=DUE_AT)
    assert sample("zhurnal_journal_late_entries_total", school) == 0


def test_a_topic_written_ahead_of_the_lesson_counts_as_no_delay() -> None:
    school = institution()
    assert not record_topic_entry(
        school,
        lesson_end=LESSON_END,
        due_at=DUE_AT,
        recorded_at=LESSON_END - timedelta(days=1),
    )
    assert sample("zhurnal_journal_entry_delay_seconds_sum", school) == 0
    assert sample("zhurnal_journal_entry_delay_seconds_bucket", school, le="300.0") == 1


def test_institutions_are_counted_apart() -> None:
    first, second = institution(), institution()
    for school in (first, first, second):
        record_topic_entry(
            school, lesson_end=LESSON_END, due_at=DUE_AT, recorded_at=DUE_AT + timedelta(hours=1)
        )
    assert sample("zhurnal_journal_late_entries_total", first) == 2
    assert sample("zhurnal_journal_late_entries_total", second) == 1


def test_gauges_are_set_per_institution_and_a_gone_institution_loses_its_series() -> None:
    busy, quiet = institution(), institution()
    export(
        Counts(
            institutions=frozenset({busy, quiet}),
            overdue={busy: 3},
            last_day={busy: DayCounts(due=8, overdue=2)},
        )
    )
    assert sample("zhurnal_journal_overdue_lessons", busy) == 3
    assert sample("zhurnal_journal_lessons_due_last_day", busy) == 8
    assert sample("zhurnal_journal_lessons_overdue_last_day", busy) == 2
    # Known but with nothing due: zeros, so an alert resolves on a series at 0.
    assert sample("zhurnal_journal_overdue_lessons", quiet) == 0
    assert sample("zhurnal_journal_lessons_due_last_day", quiet) == 0

    export(Counts(institutions=frozenset({quiet}), overdue={}, last_day={}))
    for gauge in (
        "zhurnal_journal_overdue_lessons",
        "zhurnal_journal_lessons_due_last_day",
        "zhurnal_journal_lessons_overdue_last_day",
    ):
        assert sample(gauge, busy) is None
        assert sample(gauge, quiet) == 0
