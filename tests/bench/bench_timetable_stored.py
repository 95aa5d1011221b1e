"""Benchmarks of the stored timetable through the running curriculum service (`make bench`;
never part of `make test`).

Targets (issue: curriculum, timetable): storing the dated lessons of a year for an institution
with 60 groups (about 12,000 lessons) in under 2 seconds, and listing a teacher's lessons for
a week in under 20 ms at the 99th percentile. Figures are quoted next to baselines measured
in the same run: pgbench inserting as many lesson rows in one transaction into a table shaped
and indexed like `lesson`, and a bare gRPC health check of the same process.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from pathlib import Path
from statistics import median, quantiles
from typing import Any

from bench.bench_timetable import centre_slots, study_year
from e2e.test_institution_slice import wait_for
from e2e.world import (
    Curriculum,
    Identity,
    create_group,
    define_subject,
    hire,
    new_institution,
    unique,
)
from grpc_health.v1 import health_pb2, health_pb2_grpc

from zhurnal.curriculum.v1 import calendar_pb2, groups_pb2, hours_pb2
from zhurnal.curriculum.v1 import timetable_pb2 as pb
from zhurnal.identity.v1 import access_pb2, people_pb2
from zhurnal_curriculum.domain.timetable import WeekParity
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.pytest_plugin import ROOT, Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

RUNS = 3
CALLS = 400
TARGET_YEAR_S = 2.0
TARGET_WEEK_P99_MS = 20.0
RESULTS: dict[str, Any] = {"runs": RUNS, "calls": CALLS}

_PARITY = {
    WeekParity.EVERY: pb.WEEK_PARITY_EVERY,
    WeekParity.ODD: pb.WEEK_PARITY_ODD,
    WeekParity.EVEN: pb.WEEK_PARITY_EVEN,
}

# 12,000 rows shaped like `lesson`, with its indexes, in one transaction: the floor.
PGBENCH_SCRIPT = """
BEGIN;
CREATE TEMP TABLE bench_lesson (LIKE lesson INCLUDING ALL) ON COMMIT DROP;
INSERT INTO bench_lesson (id, study_year_id, institution_id, slot_id, group_id, subject_id,
  teacher_id, date, starts_at, duration, room, status, change_reason)
SELECT md5(i::text)::uuid::text, 'y', 'i', md5((i % 400)::text), md5((i % 60)::text),
  md5((i % 90)::text), md5((i % 20)::text), date '2026-09-01' + (i % 270),
  time '14:00' + (i % 5) * interval '55 minutes', 45, 'каб. 1', 'scheduled', ''
FROM generate_series(1, {rows}) AS i;
COMMIT;
"""


def pgbench_latency_s(stack: Stack, tmp_path: Path, rows: int) -> float:
    """Mean seconds of one transaction inserting ``rows`` lesson rows (pgbench, 5 runs)."""
    script = tmp_path / "lessons.sql"
    script.write_text(PGBENCH_SCRIPT.format(rows=rows))
    url = stack.database_urls["curriculum"].replace("postgresql+asyncpg", "postgresql")
    pgbench = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))[-1]
    result = subprocess.run(
        [str(pgbench), "-n", "-c", "1", "-t", "5", "-f", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"latency average = ([\d.]+) ms", result.stdout)
    assert match, result.stdout
    return float(match.group(1)) / 1000


async def centre(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> tuple[Curriculum, str, str, list[pb.Slot], dict[str, str]]:
    """A creativity centre with 20 teachers, 60 associations and the bench's weekly template
    (tests/bench/bench_timetable.py: centre_slots); returns the deputy's client, the
    institution, the year, the slots as requests and teacher name -> person id."""
    institution = await new_institution(stack, district_admin)
    teachers: dict[str, str] = {}
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, institution, "deputy")
        for n in range(20):
            reply = await admin.call(
                admin.people.HireStaff,
                people_pb2.HireStaffRequest(
                    institution_id=institution,
                    last_name="Педагогова",
                    first_name="Анна",
                    position="педагог дополнительного образования",
                    login=unique("t"),
                    role=access_pb2.ROLE_TEACHER,
                ),
            )
            teachers[f"t{n}"] = reply.person.id
    cur = Curriculum(stack, deputy, timeout_s=120)
    shape = study_year()

    async def create() -> Any:
        return await cur.call(
            cur.calendar.CreateStudyYear,
            calendar_pb2.CreateStudyYearRequest(
                institution_id=institution,
                name=shape.name,
                starts=calendar_pb2.Day(iso=shape.starts.isoformat()),
                ends=calendar_pb2.Day(iso=shape.ends.isoformat()),
                working_days=sorted(shape.working_days),
            ),
        )

    year = (await wait_for(create, what="the study year")).study_year
    for item in shape.holidays:
        await cur.call(
            cur.calendar.AddHoliday,
            calendar_pb2.AddHolidayRequest(
                study_year_id=year.id,
                starts=calendar_pb2.Day(iso=item.starts.isoformat()),
                ends=calendar_pb2.Day(iso=item.ends.isoformat()),
            ),
        )
    template = centre_slots()
    groups: dict[str, str] = {}
    subjects: dict[str, str] = {}
    for item in template:
        if item.group_id not in groups:
            created = await create_group(
                cur.groups,
                cur.metadata,
                year.id,
                f"Объединение {item.group_id}",
                [1],
                kind=groups_pb2.GROUP_KIND_ASSOCIATION,
            )
            groups[item.group_id] = created.id
        if item.subject_id not in subjects:
            subject = await define_subject(
                cur.hours,
                cur.metadata,
                institution,
                f"Программа {item.subject_id}",
                kind=hours_pb2.SUBJECT_KIND_PROGRAMME,
            )
            subjects[item.subject_id] = subject.id
    slots = [
        pb.Slot(
            study_year_id=year.id,
            group_id=groups[s.group_id],
            subject_id=subjects[s.subject_id],
            teacher_id=teachers[s.teacher_id],
            weekday=s.weekday,
            start=pb.LocalTime(hour=s.start.hour, minute=s.start.minute),
            duration=s.duration,
            room=s.room or "",
            parity=_PARITY[s.parity],
        )
        for s in template
    ]

    async def known() -> Any:
        # The teachers reach curriculum through identity's events.
        return await cur.call(
            cur.hours.SetTeachingLoad,
            hours_pb2.SetTeachingLoadRequest(
                study_year_id=year.id,
                lines=[
                    hours_pb2.LoadLine(
                        teacher_id=teachers[s.teacher_id],
                        group_id=groups[s.group_id],
                        subject_id=subjects[s.subject_id],
                        hours=1,
                    )
                    for s in {
                        (x.teacher_id, x.group_id, x.subject_id): x for x in template
                    }.values()
                ],
            ),
        )

    await wait_for(known, timeout=120, what="the teachers to be known to curriculum")
    return cur, institution, year.id, slots, teachers


async def timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    reply = await call
    return time.perf_counter() - started, reply


async def test_store_the_year_and_list_a_teachers_week(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin, tmp_path: Path
) -> None:
    cur, institution, year_id, slots, teachers = await centre(stack, district_admin, keycloak)
    generate_s, unchanged_s, clear_s = [], [], []
    lessons = 0
    async with cur:
        for _ in range(RUNS):
            seconds, reply = await timed(
                cur.call(
                    cur.timetable.SetTimetable,
                    pb.SetTimetableRequest(study_year_id=year_id, slots=slots),
                )
            )
            generate_s.append(seconds)
            lessons = reply.change.added
            assert 11_000 <= lessons <= 13_500 and reply.change.removed == 0
            # The same template again: every lesson compared, nothing written.
            seconds, again = await timed(
                cur.call(
                    cur.timetable.SetTimetable,
                    pb.SetTimetableRequest(study_year_id=year_id, slots=reply.slots),
                )
            )
            assert again.change.added == again.change.updated == again.change.removed == 0
            unchanged_s.append(seconds)
            if len(generate_s) == RUNS:
                break  # keep the last year stored for the listing below
            seconds, cleared = await timed(
                cur.call(
                    cur.timetable.SetTimetable,
                    pb.SetTimetableRequest(study_year_id=year_id, slots=[]),
                )
            )
            assert cleared.change.removed == lessons
            clear_s.append(seconds)

        request = pb.ListLessonsRequest(
            institution_id=institution,
            teacher_id=teachers["t0"],
            to=calendar_pb2.Day(iso="2026-10-11"),
            **{"from": calendar_pb2.Day(iso="2026-10-05")},
        )
        week = (await cur.call(cur.timetable.ListLessons, request)).lessons
        assert len(week) >= 15  # three associations, six lessons a week each
        listing = [
            (await timed(cur.call(cur.timetable.ListLessons, request)))[0] for _ in range(CALLS)
        ]
        concurrent: list[float] = []

        async def client() -> None:
            for _ in range(CALLS // 4):
                concurrent.append((await timed(cur.call(cur.timetable.ListLessons, request)))[0])

        await asyncio.gather(*(client() for _ in range(4)))

    async with make_channel(stack.grpc_addrs["curriculum"]) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        bare = [
            (await timed(health.Check(health_pb2.HealthCheckRequest())))[0] for _ in range(CALLS)
        ]
    floor_s = pgbench_latency_s(stack, tmp_path, lessons)

    def pct(values: list[float]) -> dict[str, float]:
        cuts = quantiles(values, n=100)
        return {"p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000}

    RESULTS["store_year_60_groups"] = {
        "lessons": lessons,
        "slots": len(slots),
        "median_s": median(generate_s),
        "unchanged_median_s": median(unchanged_s),
        "clear_median_s": median(clear_s),
        "pgbench_insert_same_rows_s": floor_s,
        "ratio_to_pgbench_insert": median(generate_s) / floor_s,
        "target_s": TARGET_YEAR_S,
    }
    RESULTS["teacher_week_listing"] = {
        "lessons_in_week": len(week),
        "sequential": pct(listing),
        "four_clients": pct(concurrent),
        "bare_grpc_health_check": pct(bare),
        "p99_ratio_to_health_check": pct(listing)["p99_ms"] / pct(bare)["p99_ms"],
        "target_p99_ms": TARGET_WEEK_P99_MS,
    }
    assert median(generate_s) < TARGET_YEAR_S
    assert pct(listing)["p99_ms"] < TARGET_WEEK_P99_MS


def teardown_module() -> None:
    out = ROOT / "artifacts" / "bench-timetable-stored.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2, ensure_ascii=False))
    print("\n" + json.dumps(RESULTS, indent=2, ensure_ascii=False))
