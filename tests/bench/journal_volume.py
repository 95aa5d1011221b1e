"""The data of the journal benchmarks (tests/bench/bench_journal.py), written straight into the
journal database with server-side SQL: a year of lessons, attendance and marks for many
institutions, the lessons a save benchmark fills in, and what pgbench's transactions of one
SaveLesson's writes need in a database (``seed_floor``).

Identities (the institution the benchmarks call as, its teacher and deputy) are made through the
services; everything here is volume the journal only needs in its own tables: students are
synthetic ids enrolled in the journal's projection, which is all attendance and marks check.
"""

from __future__ import annotations

import time as clock
import uuid
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

import asyncpg

from zhurnal_journal.domain.marking import default_scales

# The SQL below writes these as literals: 30 students a group, 4 lessons a school day, Moscow.
STUDENTS = 30
TIME_ZONE = "Europe/Moscow"


def synthetic_id(*parts: object) -> str:
    """A stable uuid of a synthetic thing."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "zhurnal-bench:" + ":".join(map(str, parts))))


def default_scale_id(institution_id: str) -> str:
    """The id of the institution's default (five-point) scale, created on its first save."""
    return next(s.id for s in default_scales(institution_id) if s.is_default)


def weekdays(starts: date, ends: date) -> list[date]:
    """Monday to Friday from ``starts`` to ``ends``."""
    return [
        starts + timedelta(days=n)
        for n in range((ends - starts).days + 1)
        if (starts + timedelta(days=n)).weekday() < 5
    ]


@dataclass(frozen=True)
class Year:
    """The study year every benchmark institution is in: lessons on the school days of the 34
    weeks up to yesterday, three periods, the middle one a quarter of exactly 50 school days
    (ten weeks ending at least a week before today)."""

    starts: date
    grid_starts: date
    grid_ends: date
    ends: date

    @classmethod
    def around(cls, today: date) -> Year:
        monday = today - timedelta(days=today.weekday())
        starts = monday - timedelta(weeks=34)
        grid_starts = monday - timedelta(weeks=12)
        return cls(starts, grid_starts, grid_starts + timedelta(weeks=10, days=-1), today)

    @property
    def periods(self) -> list[tuple[str, date, date]]:
        """(name, starts, ends) of the year's periods; the second is the grid's."""
        return [
            ("Первая часть", self.starts, self.grid_starts - timedelta(days=1)),
            ("Четверть", self.grid_starts, self.grid_ends),
            ("Последняя часть", self.grid_ends + timedelta(days=1), self.ends + timedelta(120)),
        ]


@dataclass
class Volume:
    """What ``load_year`` wrote and how long it took."""

    institutions: int = 0
    groups: int = 0
    students: int = 0
    lessons: int = 0
    attendance: int = 0
    marks: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    sizes_mb: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "institutions": self.institutions,
            "groups": self.groups,
            "students": self.students,
            "lessons_with_entries": self.lessons,
            "attendance_rows": self.attendance,
            "mark_rows": self.marks,
            "generation_s": {k: round(v, 2) for k, v in self.seconds.items()},
            "table_sizes_mb": self.sizes_mb,
        }


class _Clock:
    def __init__(self, volume: Volume) -> None:
        self.volume = volume
        self.last = clock.perf_counter()

    def lap(self, name: str) -> None:
        now = clock.perf_counter()
        self.volume.seconds[name] = now - self.last
        self.last = now


# The groups of the year: (number, id, institution, study year, default scale, the teacher and
# the subject of each day's first lesson when they are real: the grid group's).
_GROUPS = """
CREATE TEMP TABLE b_group (
    g int PRIMARY KEY, id text NOT NULL, institution_id text NOT NULL,
    study_year_id text NOT NULL, scale_id text NOT NULL, teacher0 text, subject0 text
)
"""

_DAYS = """
CREATE TEMP TABLE b_day AS
SELECT d::date AS day, (row_number() OVER (ORDER BY d))::int - 1 AS dn
FROM generate_series($1::date, $2::date, interval '1 day') AS d
WHERE extract(isodow FROM d) < 6
"""

# Four lessons a school day for every group; the subject of a slot rotates through nine.
_LESSONS = """
CREATE TEMP TABLE b_lesson AS
SELECT gen_random_uuid()::text AS id, g.g, g.id AS group_id, g.institution_id,
       g.study_year_id, g.scale_id, d.day, d.dn, k,
       CASE WHEN k = 0 AND g.teacher0 IS NOT NULL THEN g.teacher0
            ELSE md5('teacher' || g.institution_id || ((g.g + k) % 20))::uuid::text END
           AS teacher_id,
       CASE WHEN k = 0 AND g.subject0 IS NOT NULL THEN g.subject0
            ELSE md5('subject' || g.institution_id || ((d.dn + k) % 9))::uuid::text END
           AS subject_id,
       time '08:30' + k * interval '55 minutes' AS start,
       (d.day + time '08:30' + k * interval '55 minutes' + interval '45 minutes')
           AT TIME ZONE 'Europe/Moscow' AS due_at
FROM b_group g, b_day d, generate_series(0, 3) AS k
"""

_STUDENTS = """
CREATE TEMP TABLE b_student AS
SELECT g.g, g.id AS group_id, j, md5('student' || g.id || j)::uuid::text AS id
FROM b_group g, generate_series(0, 29) AS j
"""

_INSERT_LESSONS = """
INSERT INTO lesson (id, institution_id, study_year_id, group_id, subject_id, teacher_id, date,
    start, duration, status, due_at, topic, material, kind, homework, notes, version,
    responsible_teacher_id, entered_by, recorded_at, updated_at)
SELECT id, institution_id, study_year_id, group_id, subject_id, teacher_id, day, start, 45, 1,
       due_at, 'Тема урока № ' || (dn + 1), 'Учебник, § ' || (dn % 40 + 1), 1,
       '№ ' || (dn * 3 + k) || ', ' || (dn * 3 + k + 2), '', 1, teacher_id, teacher_id,
       due_at, due_at
FROM b_lesson
"""

_INSERT_ENROLMENTS = """
INSERT INTO enrolment (id, group_id, student_id, joined, "left")
SELECT md5('enrolment' || id)::uuid::text, group_id, id, $1::date, NULL FROM b_student
"""

# Every student of every lesson; about one in twenty-three absent (ill or unexcused).
_INSERT_ATTENDANCE = """
INSERT INTO attendance (lesson_id, student_id, institution_id, status, late_minutes, reason,
    entered_by, updated_at)
SELECT l.id, s.id, l.institution_id,
       CASE (l.dn * 7 + l.k * 3 + s.j) % 23 WHEN 0 THEN 3 WHEN 1 THEN 4 ELSE 1 END,
       0, '', l.teacher_id, l.due_at
FROM b_lesson l JOIN b_student s ON s.g = l.g
"""

# One mark for every third student of a lesson.
_INSERT_MARKS = """
INSERT INTO mark (id, lesson_id, student_id, institution_id, value, type_code, scale_id,
    weight, score, comment, entered_by, entered_at)
SELECT gen_random_uuid()::text, l.id, s.id, l.institution_id,
       (ARRAY['5', '4', '3', '4', '5', '2', '4'])[(l.dn + s.j) % 7 + 1], 'oral', l.scale_id,
       1.0, (ARRAY[5.0, 4.0, 3.0, 4.0, 5.0, 2.0, 4.0])[(l.dn + s.j) % 7 + 1], '',
       l.teacher_id, l.due_at
FROM b_lesson l JOIN b_student s ON s.g = l.g AND (s.j + l.dn + l.k) % 3 = 0
"""


async def _drop_indexes(conn: asyncpg.Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the indexes (primary keys too) of ``tables``; the statements that restore them.

    Building an index once over the loaded rows is many times faster than keeping it up to date
    row by row; the schema is the same afterwards (pg_restore loads data the same way).
    """
    constraints = await conn.fetch(
        "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def "
        "FROM pg_constraint WHERE conrelid = ANY($1::regclass[]) AND contype IN ('p', 'u')",
        list(tables),
    )
    indexes = await conn.fetch(
        "SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def "
        "FROM pg_index WHERE indrelid = ANY($1::regclass[]) AND indexrelid NOT IN "
        "(SELECT conindid FROM pg_constraint WHERE conrelid = ANY($1::regclass[]))",
        list(tables),
    )
    for c in constraints:
        await conn.execute(f'ALTER TABLE {c["tbl"]} DROP CONSTRAINT "{c["conname"]}"')
    for i in indexes:
        await conn.execute(f"DROP INDEX {i['name']}")
    return [
        f'ALTER TABLE {c["tbl"]} ADD CONSTRAINT "{c["conname"]}" {c["def"]}' for c in constraints
    ] + [i["def"] for i in indexes]


async def _restore_indexes(conn: asyncpg.Connection, statements: list[str]) -> None:
    for statement in statements:
        await conn.execute(statement)


async def load_year(
    conn: asyncpg.Connection,
    year: Year,
    *,
    institutions: int,
    groups_each: int,
    grid_group: tuple[str, str, str, str] | None = None,
) -> Volume:
    """A year of recorded lessons with attendance and marks for ``institutions`` synthetic
    institutions of ``groups_each`` groups (30 students each), and for ``grid_group``
    (group id, institution id, teacher id, subject id: a real institution's group whose first
    lesson of every day is that teacher's subject). Runs ANALYZE at the end."""
    volume = Volume()
    clock = _Clock(volume)
    await conn.execute("SET synchronous_commit = off")
    await conn.execute("SET work_mem = '64MB'")
    await conn.execute("SET maintenance_work_mem = '512MB'")
    async with conn.transaction():
        await conn.execute(_GROUPS)
        rows = []
        for i in range(institutions):
            inst = synthetic_id("institution", i)
            for n in range(groups_each):
                rows.append(
                    (
                        len(rows) + 1,
                        synthetic_id("group", i, n),
                        inst,
                        synthetic_id("year", i),
                        synthetic_id("scale", i),
                        None,
                        None,
                    )
                )
        if grid_group is not None:
            group_id, institution_id, teacher_id, subject_id = grid_group
            rows.append(
                (
                    len(rows) + 1,
                    group_id,
                    institution_id,
                    synthetic_id("year", institution_id),
                    default_scale_id(institution_id),
                    teacher_id,
                    subject_id,
                )
            )
        await conn.copy_records_to_table("b_group", records=rows)
        await conn.execute(_DAYS, year.starts, year.ends - timedelta(days=1))
        await conn.execute(_LESSONS)
        await conn.execute(_STUDENTS)
        await conn.execute("ANALYZE b_group, b_day, b_lesson")
        await conn.execute("ANALYZE b_student")
        await conn.execute(
            "INSERT INTO institution (id, code, time_zone) "
            "SELECT DISTINCT institution_id, 'bench-' || left(institution_id, 8), $1 "
            "FROM b_group ON CONFLICT (id) DO NOTHING",
            TIME_ZONE,
        )
        periods = [
            (synthetic_id("period", inst, n), synthetic_id("year", inst), inst, name, s, e)
            for inst in sorted({r[2] for r in rows})
            for n, (name, s, e) in enumerate(year.periods)
        ]
        await conn.executemany(
            "INSERT INTO study_period (id, study_year_id, institution_id, name, starts, ends) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            periods,
        )
        await conn.execute(_INSERT_ENROLMENTS, year.starts)
        clock.lap("groups_students_periods")
        rebuild = await _drop_indexes(conn, ("attendance", "mark"))
        volume.lessons = int((await conn.execute(_INSERT_LESSONS)).split()[-1])
        clock.lap("lessons")
        volume.attendance = int((await conn.execute(_INSERT_ATTENDANCE)).split()[-1])
        clock.lap("attendance")
        volume.marks = int((await conn.execute(_INSERT_MARKS)).split()[-1])
        clock.lap("marks")
        await _restore_indexes(conn, rebuild)
        clock.lap("indexes")
        volume.institutions = len({r[2] for r in rows})
        volume.groups = len(rows)
        volume.students = len(rows) * STUDENTS
        for table in ("b_lesson", "b_student", "b_day", "b_group"):
            await conn.execute(f"DROP TABLE {table}")
    await conn.execute("ANALYZE")
    clock.lap("analyze")
    volume.seconds["total"] = sum(volume.seconds.values())
    for table in ("lesson", "attendance", "mark", "enrolment"):
        size = await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", table)
        volume.sizes_mb[table] = round(size / 2**20, 1)
    return volume


# Lessons of a real institution's teacher that nobody has filled in yet, on school days of the
# year up to yesterday (attendance is refused before the lesson's day), spread over groups of
# 30 enrolled students; up to seven a day per group.
_SAVE_LESSONS = """
INSERT INTO lesson (id, institution_id, study_year_id, group_id, subject_id, teacher_id, date,
    start, duration, status, due_at)
SELECT l.id, $1, $2, l.group_id, l.subject_id, $3, l.day, l.start, 45, 1,
       (l.day + l.start + interval '45 minutes') AT TIME ZONE 'Europe/Moscow'
FROM unnest($4::text[], $5::text[], $6::text[], $7::date[], $8::time[])
    AS l(id, group_id, subject_id, day, start)
"""


@dataclass(frozen=True)
class SaveLessons:
    """The lessons a save benchmark fills in, with the students enrolled in each's group."""

    lessons: list[tuple[str, list[str]]]
    groups: int


async def add_save_lessons(
    conn: asyncpg.Connection,
    year: Year,
    *,
    institution_id: str,
    teacher_id: str,
    groups: int,
    count: int,
) -> SaveLessons:
    """``count`` empty lessons of ``teacher_id`` in ``groups`` new groups of the institution
    (30 synthetic students enrolled in each) on the school days before today."""
    study_year_id = synthetic_id("year", institution_id)
    days = weekdays(year.starts, year.ends - timedelta(days=1))
    group_ids = [synthetic_id("save-group", institution_id, n) for n in range(groups)]
    students = {g: [synthetic_id("save-student", g, j) for j in range(STUDENTS)] for g in group_ids}
    await conn.executemany(
        'INSERT INTO enrolment (id, group_id, student_id, joined, "left") '
        "VALUES ($1, $2, $3, $4, NULL)",
        [
            (synthetic_id("enrolment", g, s), g, s, year.starts)
            for g in group_ids
            for s in students[g]
        ],
    )
    ids, group_col, subjects, dates, starts = [], [], [], [], []
    for n in range(count):
        group = group_ids[n % groups]
        day = days[-1 - (n // groups) % len(days)]
        slot = n // (groups * len(days))
        assert slot < 7, "too many lessons for the year's school days"
        ids.append(str(uuid.uuid4()))
        group_col.append(group)
        subjects.append(synthetic_id("save-subject", n % groups))
        dates.append(day)
        starts.append(time(8 + (30 + 55 * slot) // 60, (30 + 55 * slot) % 60))
    await conn.execute(
        _SAVE_LESSONS,
        institution_id,
        study_year_id,
        teacher_id,
        ids,
        group_col,
        subjects,
        dates,
        starts,
    )
    by_group = dict(zip(ids, group_col, strict=True))
    return SaveLessons([(i, students[by_group[i]]) for i in ids], groups)


async def seed_floor(
    dsn: str, url: str, *, prefixes: tuple[str, ...], clients: int, per_client: int
) -> dict[str, str]:
    """What pgbench's save transactions need in a journal database (the service's or a scratch
    one): an institution with its default marking scheme, a period, a group of 30 students and
    empty lessons ``md5(prefix || client || '-' || i)`` for every prefix, client (from 0) and
    i (from 1); the pgbench variables naming them."""
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from zhurnal_journal.adapters.marking_repository import MarkingRepository

    institution_id = synthetic_id("floor-institution")
    teacher_id = synthetic_id("floor-teacher")
    group_id = synthetic_id("floor-group")
    study_year_id = synthetic_id("floor-year")
    day = date.today() - timedelta(days=1)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO institution (id, code, time_zone) VALUES ($1, 'floor', $2)",
                institution_id,
                TIME_ZONE,
            )
            await conn.execute(
                "INSERT INTO study_period (id, study_year_id, institution_id, name, starts, ends) "
                "VALUES ($1, $2, $3, 'Период', $4, $5)",
                synthetic_id("floor-period"),
                study_year_id,
                institution_id,
                day - timedelta(days=200),
                day + timedelta(days=100),
            )
            await conn.execute(
                'INSERT INTO enrolment (id, group_id, student_id, joined, "left") '
                "SELECT md5('floor-enrolment' || j)::uuid::text, $1, "
                "md5('floor-student' || j)::uuid::text, $2, NULL "
                "FROM generate_series(0, 29) AS j",
                group_id,
                day - timedelta(days=200),
            )
            await conn.execute(
                """
                INSERT INTO lesson (id, institution_id, study_year_id, group_id, subject_id,
                    teacher_id, date, start, duration, status, due_at)
                SELECT md5(p || c || '-' || i)::uuid::text, $1, $2, $3, $4, $5, $6::date,
                    time '10:00', 45, 1, ($6::date + time '10:45') AT TIME ZONE 'Europe/Moscow'
                FROM unnest($7::text[]) AS p, generate_series(0, $8 - 1) AS c,
                    generate_series(1, $9) AS i
                """,
                institution_id,
                study_year_id,
                group_id,
                synthetic_id("floor-subject"),
                teacher_id,
                day,
                list(prefixes),
                clients,
                per_client,
            )
    finally:
        await conn.close()
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            await MarkingRepository(session).ensure_defaults(institution_id)
            await session.commit()
    finally:
        await engine.dispose()
    return {
        "inst": institution_id,
        "teacher": teacher_id,
        "scale": default_scale_id(institution_id),
        "year": study_year_id,
        "group": group_id,
        "day": day.isoformat(),
    }
