"""Pages of the teacher: today's lessons, the lesson form and the journal grid of a group.

The lesson form is a plain form (POST, then 303 to GET) saved with the journal's SaveLesson:
the version it was read at and an idempotency key generated when it was rendered, so a double
submit never doubles a mark. The grid is a table that works without script (each column links
to its lesson's form); static/grid.js makes it typed from the keyboard and saves through the
REST API (ADR 17). Every service call carries the person's token: the services decide what
the person may read and write. Subjects are named from curriculum's list of the institution's
subjects, and "today" is the institution's date (its time zone), as in the diary.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

import grpc
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from zhurnal.curriculum.v1 import calendar_pb2, groups_pb2
from zhurnal.curriculum.v1 import timetable_pb2 as tt
from zhurnal.identity.v1 import people_pb2
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_gateway.api.convert import to_day
from zhurnal_gateway.api.deps import GatewayDep
from zhurnal_gateway.api.journal import _KIND, _KIND_OF, _STATUS, _info, _lesson, get_grid
from zhurnal_gateway.web import diary
from zhurnal_gateway.web.diary import subject_namer, subject_names
from zhurnal_gateway.web.render import MenuItem, language, menu_item, page, translator
from zhurnal_gateway.web.viewer import Viewer, ViewerDep
from zhurnal_kit.grpc_errors import field_violations

router = APIRouter(include_in_schema=False)
MENU: list[MenuItem] = [
    menu_item("/today", "Today's lessons", "teacher"),
    menu_item("/journal", "Journal", "teacher", "deputy", "director"),
]

Id = Annotated[str, Path(min_length=1, max_length=36)]
STATUSES = ("present", "excused", "unexcused", "ill", "late")
KINDS = tuple(_KIND)
# What a grid cell shows for an attendance status (text, not colour only).
STATUS_SHORT = {"present": "", "excused": "у", "unexcused": "н", "ill": "б", "late": "оп"}
# How far around today the lists look for a person's lessons and groups.
LOOK_BACK = timedelta(days=60)
LOOK_AHEAD = timedelta(days=60)
SUBSTITUTION_WINDOW = timedelta(days=7)
_FORM_LIMIT = 4000


# ------------------------------------------------------------------ pure helpers


def person_name(person: people_pb2.Person) -> str:
    """ "Фамилия Имя Отчество" as a list of names shows it."""
    return " ".join(p for p in (person.last_name, person.first_name, person.patronymic) if p)


def short_date(value: date) -> str:
    """A day as the journal's columns show it: 27.11."""
    return value.strftime("%d.%m")


def day_text(iso: str) -> str:
    """A curriculum day as a person reads it: 01.12.2026."""
    return date.fromisoformat(iso).strftime("%d.%m.%Y") if iso else ""


def current_period(
    periods: list[calendar_pb2.StudyPeriod], today: date
) -> calendar_pb2.StudyPeriod | None:
    """The period holding ``today``; else the last one begun; else the first."""
    begun = [p for p in periods if p.starts.iso and date.fromisoformat(p.starts.iso) <= today]
    for period in begun:
        if not period.ends.iso or today <= date.fromisoformat(period.ends.iso):
            return period
    if begun:
        return begun[-1]
    return periods[0] if periods else None


_DESCRIPTIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^is longer than (?P<n>\d+) characters$"), "At most %(n)s characters."),
    (
        re.compile(r"^must be between 1 and the lesson's (?P<n>\d+) minutes$"),
        "From 1 to %(n)s minutes.",
    ),
    (
        re.compile(r"^is not on the scale «(?P<scale>.+)» \((?P<values>.+)\)$"),
        "Not a mark of the scale «%(scale)s». Allowed: %(values)s.",
    ),
]


def describe(lang: str, description: str) -> str:
    """A service's field error (English) in the person's language."""
    gettext, _ = translator(lang)
    for pattern, message in _DESCRIPTIONS:
        found = pattern.match(description)
        if found:
            return str(gettext(message, **found.groupdict()))
    return str(gettext(description))


@dataclass
class MarkRow:
    """A mark in the lesson form: ``id`` empty for a new one."""

    key: str
    student_id: str
    value: str = ""
    type_code: str = ""
    id: str = ""


@dataclass
class FormState:
    """What the lesson form shows: the saved lesson, or what was just submitted."""

    topic: str = ""
    material: str = ""
    kind: str = "lesson"
    homework: str = ""
    notes: str = ""
    attendance: dict[str, str] = field(default_factory=dict)
    late: dict[str, str] = field(default_factory=dict)
    marks: list[MarkRow] = field(default_factory=list)
    version: int = 0
    idempotency_key: str = ""
    recorded: bool = False
    # Students whose attendance is saved (the others are offered as present).
    marked: set[str] = field(default_factory=set)

    def marks_of(self, student_id: str) -> list[MarkRow]:
        """The form's mark rows of one student (existing first, the new one last)."""
        return [m for m in self.marks if m.student_id == student_id]


def state_of(entries: Any, roster: list[str], planned_kind: str = "lesson") -> FormState:
    """The form for a lesson as saved (a Lesson of the REST API's model); before anything is
    saved, the lesson plan's topic and kind."""
    record = entries.record
    state = FormState(
        topic=record.topic if record else entries.planned_topic,
        material=record.material if record else "",
        kind=record.kind if record else planned_kind,
        homework=record.homework if record else "",
        notes=record.notes if record else "",
        version=entries.version,
        idempotency_key=uuid.uuid4().hex,
        recorded=record is not None,
    )
    saved = {a.student_id: a for a in entries.attendance}
    state.marked = set(saved)
    for student in roster:
        found = saved.get(student)
        state.attendance[student] = found.status if found else "present"
        state.late[student] = str(found.late_minutes) if found and found.late_minutes else ""
    for mark in entries.marks:
        state.marks.append(
            MarkRow(f"m-{mark.id}", mark.student_id, mark.value, mark.type_code, mark.id)
        )
    for student in roster:
        state.marks.append(MarkRow(f"n-{student}", student))
    return state


def state_from_form(form: dict[str, str], roster: list[str], saved_marks: list[Any]) -> FormState:
    """The submitted form: the lesson's existing marks, and one new mark per student."""
    state = FormState(
        topic=form.get("topic", "").strip()[:_FORM_LIMIT],
        material=form.get("material", "").strip()[:_FORM_LIMIT],
        kind=form.get("kind", "lesson") if form.get("kind") in _KIND else "lesson",
        homework=form.get("homework", "").strip()[:_FORM_LIMIT],
        notes=form.get("notes", "").strip()[:_FORM_LIMIT],
        idempotency_key=form.get("idempotency_key", "")[:255],
        recorded=form.get("recorded") == "1",
    )
    try:
        state.version = int(form.get("version", "0"))
    except ValueError:
        state.version = 0
    for student in roster:
        status = form.get(f"att-{student}", "present")
        state.attendance[student] = status if status in _STATUS else "present"
        state.late[student] = form.get(f"late-{student}", "").strip()[:6]
    for mark in saved_marks:
        key = f"m-{mark.id}"
        state.marks.append(
            MarkRow(
                key,
                mark.student_id,
                form.get(f"{key}-value", "").strip()[:32],
                form.get(f"{key}-type", mark.type_code)[:32],
                mark.id,
            )
        )
    for student in roster:
        key = f"n-{student}"
        state.marks.append(
            MarkRow(
                key,
                student,
                form.get(f"{key}-value", "").strip()[:32],
                form.get(f"{key}-type", "")[:32],
            )
        )
    return state


def save_request(
    lesson_id: str, state: FormState, roster: list[str], *, held: bool = True
) -> tuple[Any, dict[str, str]]:
    """The SaveLesson request for a submitted form, and which form field each of its parts is.

    The record is sent when anything of it is filled in (or it was saved before); attendance
    for every student of the roster; the marks as the lesson's whole set (a cleared value
    removes its mark). Before the lesson's day only the record is sent: attendance and marks
    belong to a lesson that took place.
    """
    where: dict[str, str] = {}
    request = pb.SaveLessonRequest(
        lesson_id=lesson_id,
        expected_version=state.version,
        idempotency_key=state.idempotency_key,
    )
    if state.recorded or any((state.topic, state.material, state.homework, state.notes)):
        request.record.CopyFrom(
            pb.LessonRecord(
                topic=state.topic,
                material=state.material,
                kind=_KIND[state.kind],
                homework=state.homework,
                notes=state.notes,
            )
        )
    for name in ("topic", "material", "kind", "homework", "notes"):
        where[f"record.{name}"] = name
    if not held:
        return request, where
    for index, student in enumerate(roster):
        status = state.attendance.get(student, "present")
        late_text = state.late.get(student, "")
        late = int(late_text) if late_text.isdigit() else 0
        if status == "late" and not late_text.isdigit():
            late = -1 if late_text else 0
        request.attendance.append(
            pb.Attendance(
                student_id=student,
                status=_STATUS[status],
                late_minutes=late if status == "late" else 0,
            )
        )
        where[f"attendance[{index}].status"] = f"att-{student}"
        where[f"attendance[{index}].late_minutes"] = f"late-{student}"
        where[f"attendance[{index}].student_id"] = f"att-{student}"
    marks = []
    for row in state.marks:
        if not row.value:
            continue
        where[f"marks[{len(marks)}].value"] = f"{row.key}-value"
        where[f"marks[{len(marks)}].type_code"] = f"{row.key}-type"
        where[f"marks[{len(marks)}].id"] = f"{row.key}-value"
        where[f"marks[{len(marks)}].student_id"] = f"{row.key}-value"
        marks.append(
            pb.MarkInput(
                id=row.id, student_id=row.student_id, value=row.value, type_code=row.type_code
            )
        )
    request.marks.CopyFrom(pb.LessonMarks(marks=marks))
    return request, where


def cell_marks(marks: list[Any]) -> dict[tuple[str, str], list[dict[str, str]]]:
    """The grid's marks per (lesson, student), as the cells carry them for grid.js."""
    cells: dict[tuple[str, str], list[dict[str, str]]] = {}
    for mark in marks:
        cells.setdefault((mark.lesson_id, mark.student_id), []).append(
            {
                "id": mark.id,
                "value": mark.value,
                "type_code": mark.type_code,
                "comment": mark.comment,
            }
        )
    return cells


# ------------------------------------------------------------------ reading the services


async def _names(gateway: Any, person_ids: list[str]) -> dict[str, str]:
    """Names of people (each read once; one that cannot be read shows as unknown)."""
    wanted = list(dict.fromkeys(p for p in person_ids if p))

    async def one(person_id: str) -> str:
        try:
            reply = await gateway.people.GetPerson(people_pb2.GetPersonRequest(id=person_id))
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                return ""
            raise
        return person_name(reply.person)

    found = await asyncio.gather(*(one(p) for p in wanted))
    return dict(zip(wanted, found, strict=True))


async def _lessons(
    gateway: Any, institution_id: str, start: date, end: date, **which: str
) -> list[Any]:
    """Timetable lessons of an institution in [start, end] (of a teacher or group when given)."""
    found: list[Any] = []
    token = ""
    while True:
        reply = await gateway.timetable.ListLessons(
            tt.ListLessonsRequest(
                institution_id=institution_id,
                **{"from": to_day(start)},
                to=to_day(end),
                page_size=2000,
                page_token=token,
                **which,
            )
        )
        found.extend(reply.lessons)
        token = reply.next_page_token
        if not token:
            return found


async def _group_names(gateway: Any, year_ids: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for year_id in sorted(year_ids):
        reply = await gateway.groups.ListGroups(groups_pb2.ListGroupsRequest(study_year_id=year_id))
        names.update({g.id: g.name for g in reply.groups})
    return names


async def _periods(gateway: Any, year_id: str) -> list[calendar_pb2.StudyPeriod]:
    reply = await gateway.calendar.GetStudyYear(calendar_pb2.GetStudyYearRequest(id=year_id))
    return list(reply.study_year.periods)


def _institution(viewer: Viewer) -> str:
    return viewer.institution("teacher") or viewer.institution("deputy", "director")


async def local_today(gateway: Any, viewer: Viewer, institution_id: str = "") -> date:
    """Today in the institution's time zone (the teacher's, else the one they manage), not the
    server's. The diary's ``today`` reads the time zone of the institution where the viewer
    learns, so it is asked as if the viewer learnt in this one (the viewer is only read there,
    never sent to a service: the person's token still goes with the call)."""
    institution_id = institution_id or _institution(viewer)
    if not institution_id:
        return await diary.today(gateway, viewer)
    there = dataclasses.replace(viewer, bindings=((institution_id, "student"),))
    return await diary.today(gateway, there)


# ------------------------------------------------------------------ today


@router.get("/today")
async def today_page(request: Request, viewer: ViewerDep, gateway: GatewayDep) -> Response:
    """The teacher's lessons of today, their overdue lessons and those they substitute."""
    institution = viewer.institution("teacher")
    today = await local_today(gateway, viewer)
    lessons: list[Any] = []
    overdue: list[Any] = []
    substituted: list[Any] = []
    states: dict[str, Any] = {}
    if institution:
        window = await _lessons(
            gateway,
            institution,
            today - SUBSTITUTION_WINDOW,
            today + SUBSTITUTION_WINDOW,
            teacher_id=viewer.person_id,
        )
        lessons = [item for item in window if item.date.iso == today.isoformat()]
        substituted = [item for item in window if item.substituted]
        overdue_reply = await gateway.journal.ListOverdue(
            pb.ListOverdueRequest(
                institution_id=institution, teacher_id=viewer.person_id, page_size=100
            )
        )
        overdue = [
            {
                "lesson": _info(item.lesson),
                "link": item.link or f"/journal/lessons/{item.lesson.id}",
            }
            for item in overdue_reply.lessons
        ]

        async def state(lesson_id: str) -> tuple[str, Any]:
            reply = await gateway.journal.GetLesson(
                pb.GetLessonRequest(lesson_id=lesson_id, without_planned_topic=True)
            )
            return lesson_id, reply.lesson

        states = dict(await asyncio.gather(*(state(item.id) for item in lessons)))
    years = {item.study_year_id for item in lessons + substituted}
    years |= {item["lesson"].study_year_id for item in overdue}
    groups, teachers, subjects = await asyncio.gather(
        _group_names(gateway, years),
        _names(gateway, [item.teacher_id for item in substituted]),
        subject_names(gateway, [institution]),
    )
    return page(
        request,
        "teacher_today.html",
        {
            "today": today,
            "lessons": lessons,
            "states": states,
            "overdue": overdue,
            "substituted": substituted,
            "groups": groups,
            "teachers": teachers,
            "has_institution": bool(institution),
            "day_text": day_text,
            "subject_name": subject_namer(subjects),
        },
        viewer=viewer,
    )


# ------------------------------------------------------------------ the lesson form


async def _form_page(
    request: Request,
    viewer: Viewer,
    gateway: Any,
    entries: Any,
    state: FormState,
    *,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    notice: str = "",
    warnings: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    lesson = _lesson(entries)
    roster = list(lesson.roster)
    extra = [m.student_id for m in lesson.marks if m.student_id not in roster]
    names = await _names(gateway, roster + extra + [lesson.lesson.teacher_id])
    students = sorted(roster + list(dict.fromkeys(extra)), key=lambda s: (names.get(s) or "~", s))
    types_reply = await gateway.marking.ListMarkTypes(
        pb.ListMarkTypesRequest(institution_id=lesson.lesson.institution_id)
    )
    groups, subjects, today = await asyncio.gather(
        _group_names(gateway, {lesson.lesson.study_year_id}),
        subject_names(gateway, [lesson.lesson.institution_id]),
        local_today(gateway, viewer, lesson.lesson.institution_id),
    )
    return page(
        request,
        "teacher_lesson.html",
        {
            "lesson": lesson,
            "info": lesson.lesson,
            "group_name": groups.get(lesson.lesson.group_id, ""),
            "subject_name": subject_namer(subjects)(lesson.lesson.subject_id),
            "teacher_name": names.get(lesson.lesson.teacher_id, ""),
            "students": students,
            "roster": set(roster),
            "names": names,
            "state": state,
            "types": [t for t in types_reply.types if not t.archived],
            "statuses": STATUSES,
            "kinds": KINDS,
            "errors": errors or {},
            "general": general or [],
            "notice": notice,
            "warnings": warnings or [],
            "saved": request.query_params.get("saved") == "1",
            "planned": not lesson.record and bool(lesson.planned_topic),
            "read_only": lesson.lesson.read_only,
            "held": lesson.lesson.date <= today,
        },
        viewer=viewer,
        status_code=status_code,
    )


async def _read_lesson(gateway: Any, lesson_id: str) -> Any:
    reply = await gateway.journal.GetLesson(pb.GetLessonRequest(lesson_id=lesson_id))
    return reply.lesson


WARNINGS = {
    "record.topic": "The topic has no Cyrillic letter: by the regulation, topics are written "
    "in Russian. Please check it.",
}


@router.get("/journal/lessons/{lesson_id}")
async def lesson_form(
    lesson_id: Id,
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    warn: Annotated[list[str], Query(max_length=10)] = [],  # noqa: B006
) -> Response:
    """The lesson form: topic (the plan's as default), attendance and marks."""
    entries = await _read_lesson(gateway, lesson_id)
    planned_kind = (
        _KIND_OF.get(entries.planned_kind, "lesson") if entries.planned_topic else "lesson"
    )
    state = state_of(_lesson(entries), list(entries.roster), planned_kind)
    warnings = [WARNINGS[w] for w in warn if w in WARNINGS]
    return await _form_page(request, viewer, gateway, entries, state, warnings=warnings)


@router.post("/journal/lessons/{lesson_id}")
async def save_lesson_form(
    lesson_id: Id, request: Request, viewer: ViewerDep, gateway: GatewayDep
) -> Response:
    """Save the form; field errors and conflicts re-render it, success goes back to GET."""
    # A plain urlencoded form (the CSRF check has read it the same way).
    body = (await request.body()).decode("utf-8", "replace")
    form = dict(parse_qsl(body, keep_blank_values=True, max_num_fields=2000))
    entries = await _read_lesson(gateway, lesson_id)
    roster = list(entries.roster)
    state = state_from_form(form, roster, list(entries.marks))
    if not state.idempotency_key:
        state.idempotency_key = uuid.uuid4().hex
    today = await local_today(gateway, viewer, entries.lesson.institution_id)
    held = date.fromisoformat(entries.lesson.date.iso) <= today
    message, where = save_request(lesson_id, state, roster, held=held)
    try:
        reply = await gateway.journal.SaveLesson(
            message, metadata=(("x-zhurnal-client", "web lesson form"),)
        )
    except grpc.aio.AioRpcError as exc:
        lang = language(request)
        violations = field_violations(exc)
        current = await _read_lesson(gateway, lesson_id)
        if exc.code() in (grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION):
            # Changed meanwhile, or not writable now: the lesson as it is, and why.
            conflict = exc.code() == grpc.StatusCode.ABORTED
            return await _form_page(
                request,
                viewer,
                gateway,
                current,
                state_of(_lesson(current), list(current.roster)),
                notice="conflict" if conflict else "read_only",
                general=([state.topic] if state.topic else [])
                if conflict
                else [describe(lang, v.description) for v in violations],
                status_code=409,
            )
        if exc.code() != grpc.StatusCode.INVALID_ARGUMENT or not violations:
            raise
        errors: dict[str, str] = {}
        general: list[str] = []
        for violation in violations:
            text = describe(lang, violation.description)
            target = where.get(violation.field)
            if target:
                errors.setdefault(target, text)
            else:
                general.append(text)
        state.version = current.version
        return await _form_page(
            request,
            viewer,
            gateway,
            current,
            state,
            errors=errors,
            general=general,
            status_code=422,
        )
    query = "saved=1" + "".join(f"&warn={w.field}" for w in reply.warnings if w.field in WARNINGS)
    return RedirectResponse(f"/journal/lessons/{lesson_id}?{query}", status_code=303)


# ------------------------------------------------------------------ the journal and its grid


@router.get("/journal")
async def journal_page(request: Request, viewer: ViewerDep, gateway: GatewayDep) -> Response:
    """The groups whose journal the person keeps (a teacher) or reads (management)."""
    today = await local_today(gateway, viewer)
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    teacher = viewer.institution("teacher")
    manager = viewer.institution("deputy", "director")
    found: list[Any] = []
    if teacher:
        found = await _lessons(
            gateway, teacher, today - LOOK_BACK, today + LOOK_AHEAD, teacher_id=viewer.person_id
        )
        for item in found:
            if not item.substituted:
                entries.setdefault(
                    (item.group_id, item.subject_id),
                    {
                        "group_id": item.group_id,
                        "subject_id": item.subject_id,
                        "year": item.study_year_id,
                    },
                )
    if manager:
        around = await _lessons(
            gateway, manager, today - timedelta(days=14), today + timedelta(days=14)
        )
        found += around
        for item in around:
            entries.setdefault(
                (item.group_id, ""),
                {"group_id": item.group_id, "subject_id": "", "year": item.study_year_id},
            )
    years = {e["year"] for e in entries.values()}
    groups, names = await asyncio.gather(
        _group_names(gateway, years), subject_names(gateway, [teacher, manager])
    )
    subject_name = subject_namer(names)
    periods = {year: current_period(await _periods(gateway, year), today) for year in years}
    rows = []
    for (group_id, subject_id), entry in entries.items():
        period = periods.get(entry["year"])
        if period is None:
            continue
        rows.append(
            {
                "name": groups.get(group_id, group_id),
                "subject": subject_name(subject_id) if subject_id else "",
                "mine": bool(subject_id),
                "period": period.name,
                "href": f"/journal/groups/{group_id}?period_id={period.id}"
                + (f"&subject_id={subject_id}" if subject_id else ""),
            }
        )
    rows.sort(key=lambda r: (not r["mine"], r["name"], r["subject"].casefold()))
    return page(request, "teacher_journal.html", {"rows": rows}, viewer=viewer)


@router.get("/journal/groups/{group_id}")
async def grid_page(
    group_id: Id,
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    period_id: Annotated[str, Query(max_length=36)] = "",
    subject_id: Annotated[str, Query(max_length=36)] = "",
) -> Response:
    """The journal grid of a group (students x lessons), typed by grid.js."""
    today = await local_today(gateway, viewer)
    if not period_id:
        institution = _institution(viewer)
        around = await _lessons(
            gateway, institution, today - LOOK_BACK, today + LOOK_AHEAD, group_id=group_id
        )
        if not around:
            return page(
                request, "teacher_journal.html", {"rows": [], "no_lessons": True}, viewer=viewer
            )
        period = current_period(await _periods(gateway, around[0].study_year_id), today)
        if period is None:
            return page(
                request, "teacher_journal.html", {"rows": [], "no_lessons": True}, viewer=viewer
            )
        target = f"/journal/groups/{group_id}?period_id={period.id}"
        return RedirectResponse(
            target + (f"&subject_id={subject_id}" if subject_id else ""), status_code=303
        )
    grid = await get_grid(group_id, gateway, None, period_id, subject_id)  # type: ignore[arg-type]
    names = await _names(gateway, [s.student_id for s in grid.students])
    order = sorted(
        range(len(grid.students)),
        key=lambda i: (names.get(grid.students[i].student_id) or "~", i),
    )
    marks = cell_marks(grid.marks)
    lessons = [c for c in grid.lessons if c.lesson.status != "cancelled"]
    rows = []
    for i in order:
        student = grid.students[i]
        cells = []
        for column in lessons:
            status = column.attendance[i] if i < len(column.attendance) else None
            late = column.late_minutes[i] if i < len(column.late_minutes) else 0
            cell_values = marks.get((column.lesson.id, student.student_id), [])
            cells.append(
                {
                    "lesson": column,
                    "status": status or "",
                    "late": late,
                    "marks": cell_values,
                    "marks_json": json.dumps(cell_values, ensure_ascii=False),
                    "enrolled": (student.joined is None or student.joined <= column.lesson.date)
                    and (student.left is None or column.lesson.date <= student.left),
                }
            )
        rows.append(
            {
                "student_id": student.student_id,
                "name": names.get(student.student_id, ""),
                "cells": cells,
            }
        )
    year_id = lessons[0].lesson.study_year_id if lessons else ""
    periods = await _periods(gateway, year_id) if year_id else []
    groups = await _group_names(gateway, {year_id}) if year_id else {}
    institution = lessons[0].lesson.institution_id if lessons else _institution(viewer)
    subjects = await subject_names(gateway, [institution]) if subject_id else {}
    return page(
        request,
        "teacher_grid.html",
        {
            "grid": grid,
            "group_name": groups.get(group_id, ""),
            "lessons": lessons,
            "rows": rows,
            "periods": periods,
            "period_id": period_id,
            "subject_id": subject_id,
            "subject_name": subject_namer(subjects)(subject_id) if subject_id else "",
            "group_id": group_id,
            "short": STATUS_SHORT,
            "short_date": short_date,
            "writer": viewer.has("teacher"),
            "today": today,
        },
        viewer=viewer,
    )
