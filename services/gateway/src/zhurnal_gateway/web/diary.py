"""Pages of the diary: a student's (or their guardian's) week and marks per period (R-2.2).

A student reads their own diary; a guardian reads one linked child's at a time and switches
between them. Which student is shown comes from the address (``?student=``), and the journal
decides whether the signed-in person may read that diary: a student id that is not the
viewer's own or their child's is refused by the service (an error page), never merely hidden.

Subjects are named from curriculum's list of the institution's subjects (readable by anyone
who may read the institution). Students and guardians may not read curriculum's calendar:
the journal's diary carries the study periods of its lessons and final marks (name and
dates), and a period it does not name is shown by its order in the year.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from zhurnal.identity.v1 import identity_pb2, people_pb2
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_gateway.api import journal as journal_api
from zhurnal_gateway.api import subjects as subjects_api
from zhurnal_gateway.api.deps import GatewayDep
from zhurnal_gateway.api.journal import DiaryLesson, FinalMark, Mark, Period
from zhurnal_gateway.bootstrap import Gateway
from zhurnal_gateway.web.render import MenuItem, language, menu_item, page
from zhurnal_gateway.web.viewer import Viewer, ViewerDep
from zhurnal_kit.errors import invalid

router = APIRouter(include_in_schema=False)
MENU: list[MenuItem] = [menu_item("/diary", "Diary", "student", "guardian")]

# The journal answers at most 400 days at once: the marks page reads a year back and a month
# ahead of today, which holds the whole current study year.
YEAR_BACK = timedelta(days=366)
YEAR_AHEAD = timedelta(days=31)
ID_MAX = 36

# English message ids of the attendance statuses (the API's names).
ATTENDANCE_TEXT = {
    "present": "present",
    "excused": "absent, excused",
    "unexcused": "absent, unexcused",
    "ill": "ill",
    "late": "late",
}


# ------------------------------------------------------------------ pure helpers


def monday_of(value: date) -> date:
    """The Monday of ``value``'s week."""
    return value - timedelta(days=value.weekday())


def parse_week(text: str, today: date) -> date:
    """The Monday of the week ``?week=`` names (any day of it); this week when empty."""
    if not text:
        return monday_of(today)
    try:
        return monday_of(date.fromisoformat(text))
    except ValueError:
        raise invalid("week", "must be a date as YYYY-MM-DD") from None


def checked_id(text: str, name: str) -> str:
    """An id from the address, as the services take them."""
    text = text.strip()
    if len(text) > ID_MAX:
        raise invalid(name, f"must be at most {ID_MAX} characters")
    return text


def chosen_student(viewer: Viewer, requested: str, children: Sequence[str]) -> str:
    """Whose diary to show: the one asked for (the journal decides if it may be read), else
    the viewer's own when they are a student, else their first child; "" when none."""
    if requested:
        return requested
    if viewer.has("student") and viewer.person_id:
        return viewer.person_id
    return children[0] if children else ""


def name_order(child: tuple[str, str]) -> tuple[bool, str, str]:
    """Children in the order of their names (Ё as Е), unnamed ones last."""
    child_id, name = child
    return (not name, name.casefold().replace("ё", "е"), child_id)


def school_year_label(day: date) -> str:
    """The school year a day falls in, '2025/2026' (years start in autumn)."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}/{first + 1}"


def subject_code(subject_id: str) -> str:
    """A short, stable code of a subject whose name the diary does not carry."""
    return subject_id[:8]


@dataclass
class Day:
    """A day of the week view with its lessons by time."""

    date: date
    lessons: list[DiaryLesson]


def week_days(monday: date, lessons: Iterable[DiaryLesson]) -> list[Day]:
    """Monday to Sunday, each with its lessons in order of time."""
    days = [Day(monday + timedelta(days=i), []) for i in range(7)]
    for item in lessons:
        offset = (item.lesson.date - monday).days
        if 0 <= offset < 7:
            days[offset].lessons.append(item)
    for day in days:
        day.lessons.sort(key=lambda item: (item.lesson.start, item.lesson.id))
    return days


def current_year_id(lessons: Sequence[DiaryLesson], today: date) -> str:
    """The study year of today: that of the latest lesson up to today, else the next one's."""
    past = [item for item in lessons if item.lesson.date <= today]
    if past:
        return max(past, key=lambda item: item.lesson.date).lesson.study_year_id
    ahead = [item for item in lessons if item.lesson.date > today]
    if ahead:
        return min(ahead, key=lambda item: item.lesson.date).lesson.study_year_id
    return ""


@dataclass
class SubjectRow:
    """A subject's marks in a period and the final mark (when set)."""

    subject_id: str
    marks: list[tuple[date, Mark]] = field(default_factory=list)
    final: str = ""


@dataclass
class PeriodMarks:
    """A study period of the current year: its lessons' dates and each subject's marks."""

    period_id: str
    number: int
    first: date
    last: date
    subjects: list[SubjectRow]
    # The period as the journal names it (None when the diary does not carry it).
    period: Period | None = None


def periods_of_year(
    lessons: Sequence[DiaryLesson],
    finals: Sequence[FinalMark],
    study_year_id: str,
    known: Sequence[Period] = (),
) -> list[PeriodMarks]:
    """The year's periods in order (of their start when known), with every subject that had a
    lesson or a final mark; ``known`` are the diary's periods with their names and dates."""
    named = {p.id: p for p in known}
    by_period: dict[str, list[DiaryLesson]] = defaultdict(list)
    for item in lessons:
        if item.lesson.study_year_id == study_year_id and item.lesson.period_id:
            by_period[item.lesson.period_id].append(item)
    final_of = {
        (m.period_id, m.subject_id): m.value
        for m in finals
        if m.study_year_id == study_year_id and m.period_id
    }
    periods = []

    def first_day(kv: tuple[str, list[DiaryLesson]]) -> tuple[date, date]:
        first = min(i.lesson.date for i in kv[1])
        return ((named[kv[0]].starts or first) if kv[0] in named else first, first)

    ordered = sorted(by_period.items(), key=first_day)
    for number, (period_id, items) in enumerate(ordered, start=1):
        rows: dict[str, SubjectRow] = {}
        for item in sorted(items, key=lambda i: (i.lesson.date, i.lesson.start)):
            row = rows.setdefault(item.lesson.subject_id, SubjectRow(item.lesson.subject_id))
            row.marks.extend((item.lesson.date, mark) for mark in item.marks)
        for (final_period, subject_id), value in final_of.items():
            if final_period == period_id:
                rows.setdefault(subject_id, SubjectRow(subject_id)).final = value
        periods.append(
            PeriodMarks(
                period_id=period_id,
                number=number,
                first=min(i.lesson.date for i in items),
                last=max(i.lesson.date for i in items),
                subjects=sorted(rows.values(), key=lambda r: r.subject_id),
                period=named.get(period_id),
            )
        )
    return periods


@dataclass
class YearFinals:
    """The final marks of one study year: per subject, the periods' marks and the year's."""

    study_year_id: str
    label: str
    periods: list[str]  # period ids in order
    subjects: list[tuple[str, list[str], str]]  # (subject id, value per period, year mark)


def _set_day(mark: FinalMark) -> date:
    return (mark.set_at or datetime.min.replace(tzinfo=UTC)).date()


def year_finals(
    finals: Sequence[FinalMark],
    lessons: Sequence[DiaryLesson],
    *,
    skip: str = "",
    known: Sequence[Period] = (),
) -> list[YearFinals]:
    """Final marks grouped by study year (newest first), the year ``skip`` left out; periods
    in order of their start when ``known`` (the diary's periods) has them, else of their
    marks."""
    starts = {p.id: p.starts for p in known if p.starts}
    first_lesson: dict[str, date] = {}
    for item in lessons:
        year = item.lesson.study_year_id
        first_lesson[year] = min(first_lesson.get(year, item.lesson.date), item.lesson.date)
    by_year: dict[str, list[FinalMark]] = defaultdict(list)
    for mark in finals:
        if mark.study_year_id != skip:
            by_year[mark.study_year_id].append(mark)
    years = []
    for year_id, marks in by_year.items():
        started = first_lesson.get(year_id) or min(_set_day(m) for m in marks)
        period_set: dict[str, date] = {}
        for m in marks:
            if m.period_id:
                period_set[m.period_id] = min(period_set.get(m.period_id, _set_day(m)), _set_day(m))
        periods = sorted(period_set, key=lambda p: (starts.get(p, period_set[p]), p))
        subjects: dict[str, tuple[dict[str, str], list[str]]] = {}
        for m in marks:
            per_period, year_mark = subjects.setdefault(m.subject_id, ({}, []))
            if m.period_id:
                per_period[m.period_id] = m.value
            else:
                year_mark.append(m.value)
        years.append(
            YearFinals(
                study_year_id=year_id,
                label=school_year_label(started),
                periods=periods,
                subjects=[
                    (subject_id, [per.get(p, "") for p in periods], "".join(year_mark[:1]))
                    for subject_id, (per, year_mark) in sorted(subjects.items())
                ],
            )
        )
    return sorted(years, key=lambda y: y.label, reverse=True)


# ------------------------------------------------------------------ reading the services


def _person_name(person: people_pb2.Person) -> str:
    return " ".join(p for p in (person.last_name, person.first_name, person.patronymic) if p)


async def children_names(gateway: Gateway, viewer: Viewer) -> list[tuple[str, str]]:
    """The viewer's linked children as (id, name); a child identity will not show keeps its
    place without a name."""

    async def one(child_id: str) -> tuple[str, str]:
        try:
            reply = await gateway.people.GetPerson(people_pb2.GetPersonRequest(id=child_id))
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                raise
            return child_id, ""
        return child_id, _person_name(reply.person)

    return list(await asyncio.gather(*(one(c) for c in viewer.children_ids)))


async def mark_type_names(gateway: Gateway, institution_ids: Iterable[str]) -> dict[str, str]:
    """The names of the institutions' mark types by code (codes stay shown when unreadable)."""

    async def one(institution_id: str) -> list[pb.MarkType]:
        try:
            reply = await gateway.marking.ListMarkTypes(
                pb.ListMarkTypesRequest(institution_id=institution_id)
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                raise
            return []
        return list(reply.types)

    found = await asyncio.gather(*(one(i) for i in sorted(set(institution_ids))))
    return {t.code: t.name for types in found for t in types}


async def subject_names(gateway: Gateway, institution_ids: Iterable[str]) -> dict[str, str]:
    """Subject id -> name over the institutions (anyone who may read an institution may read
    its subjects; an unreadable one leaves its subjects shown by code)."""

    async def one(institution_id: str) -> dict[str, str]:
        try:
            return await subjects_api.subject_names(gateway, institution_id)
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                raise
            return {}

    found = await asyncio.gather(*(one(i) for i in sorted(set(institution_ids)) if i))
    return {k: v for names in found for k, v in names.items()}


def subject_namer(names: dict[str, str]) -> Callable[[str], str]:
    """For templates: a subject's name, or its short code when no name is known."""
    return lambda subject_id: names.get(subject_id) or subject_code(subject_id)


async def read_diary(
    gateway: Gateway, viewer: Viewer, student_id: str, starts: date, ends: date
) -> journal_api.Diary:
    """The student's diary from the journal (which refuses anyone who may not read it), as
    the REST API answers it."""
    return await journal_api.get_diary(student_id, gateway, viewer.session.caller, starts, ends)


@dataclass
class Whose:
    """The student whose diary a page shows, and the children a guardian switches between."""

    student_id: str
    name: str
    children: list[tuple[str, str]]


async def whose(gateway: Gateway, viewer: Viewer, requested: str) -> Whose:
    """Whose diary: the student asked for, else the viewer's own or their first child (by
    name)."""
    children = sorted(await children_names(gateway, viewer), key=name_order)
    student_id = chosen_student(viewer, checked_id(requested, "student"), [c for c, _ in children])
    name = viewer.name if student_id == viewer.person_id else dict(children).get(student_id, "")
    return Whose(student_id, name, children)


def local_today(time_zone: str, now: datetime) -> date:
    """The day it is at ``now`` in the institution's time zone (UTC when it is unknown)."""
    try:
        zone: tzinfo = ZoneInfo(time_zone) if time_zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return now.astimezone(zone).date()


async def today(gateway: Gateway, viewer: Viewer) -> date:
    """Today where the viewer learns (their institution's time zone): which week is this week
    and what is past."""
    institution_id = viewer.institution("student", "guardian")
    time_zone = ""
    if institution_id:
        try:
            reply = await gateway.identity.GetInstitution(
                identity_pb2.GetInstitutionRequest(id=institution_id)
            )
            time_zone = reply.institution.time_zone
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                raise
    return local_today(time_zone, datetime.now(UTC))


def _dates(lang: str) -> dict[str, object]:
    """Date formatting for templates in the page's language."""

    def long(value: date) -> str:
        return format_date(value, "EEEE, d MMMM", locale=lang)

    def short(value: date) -> str:
        return format_date(value, "d MMMM yyyy", locale=lang)

    def numeric(value: date) -> str:
        return value.strftime("%d.%m.%Y")

    return {"long_date": long, "short_date": short, "numeric_date": numeric}


# ------------------------------------------------------------------ routes


@router.get("/diary")
async def week(
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    week_of: Annotated[str, Query(alias="week", max_length=40)] = "",
    student: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """A week of the diary: each day's lessons with topic, homework, attendance and marks."""
    now = await today(gateway, viewer)
    monday = parse_week(week_of.strip(), now)
    target = await whose(gateway, viewer, student)
    context: dict[str, object] = {
        "whose": target,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "this_week": monday_of(now),
        "today": now,
        "attendance_text": ATTENDANCE_TEXT,
        "subject_name": subject_code,
        **_dates(language(request)),
    }
    if not target.student_id:
        return page(request, "diary_week.html", {**context, "days": []}, viewer=viewer)
    lessons = (
        await read_diary(gateway, viewer, target.student_id, monday, monday + timedelta(days=6))
    ).lessons
    institutions = {item.lesson.institution_id for item in lessons}
    types = await mark_type_names(gateway, institutions)
    names = await subject_names(gateway, institutions | {viewer.institution()})
    context.update(
        days=week_days(monday, lessons), mark_types=types, subject_name=subject_namer(names)
    )
    return page(request, "diary_week.html", context, viewer=viewer)


@router.get("/diary/marks")
async def marks(
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    student: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Marks per period of the current study year with the final marks, and the final marks
    of every earlier year (R-2.2)."""
    target = await whose(gateway, viewer, student)
    context: dict[str, object] = {
        "whose": target,
        "subject_name": subject_code,
        **_dates(language(request)),
    }
    if not target.student_id:
        return page(request, "diary_marks.html", context, viewer=viewer)
    now = await today(gateway, viewer)
    found = await read_diary(gateway, viewer, target.student_id, now - YEAR_BACK, now + YEAR_AHEAD)
    lessons, finals = found.lessons, found.final_marks
    year_id = current_year_id(lessons, now)
    institutions = {item.lesson.institution_id for item in lessons}
    types = await mark_type_names(gateway, institutions)
    names = await subject_names(gateway, institutions | {viewer.institution()})
    year_marks = {
        m.subject_id: m.value for m in finals if m.study_year_id == year_id and not m.period_id
    }
    context.update(
        periods=periods_of_year(lessons, finals, year_id, found.periods) if year_id else [],
        year_marks=sorted(year_marks.items()),
        past_years=year_finals(finals, lessons, skip=year_id, known=found.periods),
        period_of={p.id: p for p in found.periods},
        mark_types=types,
        subject_name=subject_namer(names),
    )
    return page(request, "diary_marks.html", context, viewer=viewer)
