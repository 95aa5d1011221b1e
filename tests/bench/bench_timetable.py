"""Benchmarks of the timetable (`make bench`; never part of `make test`): generating the dated
lessons of a study year and checking them for conflicts, in pure Python.

The target (issue: curriculum, timetable): a year for an institution with 60 groups, about
12,000 lessons, is generated in under 2 seconds. Every figure is the median of RUNS runs and
is quoted next to baselines measured in the same run on the same machine: building as many
plain tuples of the same fields, and sorting as many (date, time) pairs.
"""

from __future__ import annotations

import json
import platform
import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from statistics import median
from typing import Any

from zhurnal_curriculum.domain.calendar import StudyYear
from zhurnal_curriculum.domain.timetable import (
    Lesson,
    Slot,
    WeekParity,
    check_slot,
    conflicts,
    conflicts_among,
    generate,
)
from zhurnal_kit.pytest_plugin import ROOT

RUNS = 5
TARGET_S = 2.0
RESULTS: dict[str, Any] = {"python": platform.python_version(), "runs": RUNS}


def timed(work: Callable[[], object]) -> float:
    """The median wall time of RUNS runs of ``work``, in seconds."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return median(times)


def study_year() -> StudyYear:
    """2026/2027, six-day week, the usual holidays and days off."""
    year = StudyYear.create(
        institution_id="bench",
        name="2026/2027",
        starts=date(2026, 9, 1),
        ends=date(2027, 5, 31),
        working_days=frozenset(range(6)),
    )
    for starts, ends in [
        (date(2026, 10, 26), date(2026, 11, 4)),
        (date(2026, 12, 29), date(2027, 1, 11)),
        (date(2027, 2, 23), date(2027, 2, 23)),
        (date(2027, 3, 8), date(2027, 3, 8)),
        (date(2027, 3, 22), date(2027, 3, 31)),
        (date(2027, 5, 1), date(2027, 5, 3)),
        (date(2027, 5, 9), date(2027, 5, 11)),
    ]:
        year = year.with_holiday(starts, ends)
    return year


def centre_slots(groups: int = 60) -> list[Slot]:
    """A creativity centre: each association meets three afternoons a week for two 45-minute
    lessons (six a week); a teacher leads three associations in one room; the third
    association of each teacher alternates two subjects on its last day (odd / even weeks)."""
    starts = [clock(14, 0), clock(15, 50), clock(17, 40)]
    slots = []
    for g in range(groups):
        teacher, shift = g % 20, g // 20
        days = (0, 2, 4) if teacher % 2 == 0 else (1, 3, 5)
        first = starts[shift]
        second = (datetime.combine(date.min, first) + timedelta(minutes=55)).time()
        for day in days:
            for start in (first, second):
                alternating = shift == 2 and day == days[-1]
                for parity in (WeekParity.ODD, WeekParity.EVEN) if alternating else (None,):
                    slots.append(
                        Slot.define(
                            group_id=f"g{g}",
                            subject_id=f"s{g}-{parity or 'every'}",
                            teacher_id=f"t{teacher}",
                            weekday=day,
                            start=start,
                            duration=45,
                            room=f"каб. {teacher + 1}",
                            parity=parity or WeekParity.EVERY,
                            effective_from=date(2026, 9, 1),
                        )
                    )
    return slots


def school_slots(classes: int = 60) -> list[Slot]:
    """A large school: six 45-minute lessons a day, Monday to Friday, for each class."""
    slots = []
    for g in range(classes):
        for day in range(5):
            for period in range(6):
                start = datetime.combine(date.min, clock(8, 30)) + timedelta(minutes=55 * period)
                slots.append(
                    Slot.define(
                        group_id=f"c{g}",
                        subject_id=f"s{period}",
                        # Distinct teachers across classes in each period: no conflicts.
                        teacher_id=f"t{(g + period + day) % classes}",
                        weekday=day,
                        start=start.time(),
                        duration=45,
                        room=str(g + 1),
                        effective_from=date(2026, 9, 1),
                    )
                )
    return slots


def baselines(lessons: list[Lesson]) -> dict[str, float]:
    """Building as many plain tuples of a lesson's fields, and sorting as many (date, time)
    pairs shuffled: the floor any generation in Python stands on."""
    fields = [
        (x.slot_id, x.group_id, x.subject_id, x.teacher_id, x.date, x.start, x.duration, x.room)
        for x in lessons
    ]
    pairs = [(x.date, x.start) for x in lessons]
    random.Random(7).shuffle(pairs)
    return {
        "plain_tuples_s": timed(lambda: [(*f, "scheduled") for f in fields]),
        "sort_pairs_s": timed(lambda: sorted(pairs)),
    }


def record(name: str, seconds: float, lessons: list[Lesson], **extra: Any) -> None:
    base = baselines(lessons)
    RESULTS[name] = {
        "lessons": len(lessons),
        "median_s": seconds,
        **base,
        "ratio_to_plain_tuples": seconds / base["plain_tuples_s"],
        "ratio_to_sort_pairs": seconds / base["sort_pairs_s"],
        **extra,
    }


def test_generate_a_year_for_60_groups() -> None:
    year, slots = study_year(), centre_slots()
    lessons = generate(slots, year, year.starts, year.ends)
    assert 11_000 <= len(lessons) <= 13_500
    seconds = timed(lambda: generate(slots, year, year.starts, year.ends))
    record("generate_year_60_groups", seconds, lessons, slots=len(slots), target_s=TARGET_S)
    assert seconds < TARGET_S


def test_conflict_check_of_the_year() -> None:
    year, slots = study_year(), centre_slots()
    lessons = generate(slots, year, year.starts, year.ends)
    assert conflicts_among(lessons) == []
    seconds = timed(lambda: conflicts_among(lessons))
    record("conflicts_among_year_60_groups", seconds, lessons)
    # The same year checked as candidates against the stored timetable.
    record(
        "conflicts_year_against_itself_60_groups",
        timed(lambda: conflicts(lessons, lessons)),
        lessons,
    )


def test_check_a_new_slot_against_the_year() -> None:
    year, slots = study_year(), centre_slots()
    free = Slot.define(
        group_id="g0",
        subject_id="extra",
        teacher_id="t0",
        weekday=0,
        start=clock(10, 0),
        duration=45,
        room="каб. 1",
        effective_from=year.starts,
    )
    new_lessons = check_slot(free, slots, year, year.starts, year.ends)
    seconds = timed(lambda: check_slot(free, slots, year, year.starts, year.ends))
    # It generates and indexes the whole year to check the slot: the year is the scale.
    year_lessons = generate(slots, year, year.starts, year.ends)
    record(
        "check_slot_against_year_60_groups",
        seconds,
        year_lessons,
        slots=len(slots),
        new_slot_lessons=len(new_lessons),
    )


def test_school_shaped_year_60_classes() -> None:
    """Six lessons a day for 60 classes: five times the target's lessons, for scale."""
    year, slots = study_year(), school_slots()
    lessons = generate(slots, year, year.starts, year.ends)
    assert conflicts_among(lessons) == []
    seconds = timed(lambda: generate(slots, year, year.starts, year.ends))
    record("generate_year_60_classes_6_a_day", seconds, lessons, slots=len(slots))
    record(
        "conflicts_among_year_60_classes_6_a_day", timed(lambda: conflicts_among(lessons)), lessons
    )


def teardown_module() -> None:
    out = ROOT / "artifacts" / "bench-timetable.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2, ensure_ascii=False))
    print("\n" + json.dumps(RESULTS, indent=2, ensure_ascii=False))
