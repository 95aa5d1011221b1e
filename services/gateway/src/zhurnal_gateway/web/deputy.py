"""Pages of the deputy (R-3.4, R-5, R-6.2, R-6.3): overdue lessons, journal monitoring, study
periods (closing, unlocking with a reason), lesson plans (approval) and the year opening.

Every page reads its data from the services with the person's own token: the services decide
what a director (read only) or a teacher (their own overdue lessons) may see and change.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from zhurnal.curriculum.v1 import calendar_pb2, curriculum_pb2, groups_pb2, opening_pb2, plans_pb2
from zhurnal.curriculum.v1.curriculum_pb2_grpc import CurriculumServiceStub
from zhurnal.identity.v1 import people_pb2
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_gateway.api.convert import day, moment
from zhurnal_gateway.api.deps import GatewayDep
from zhurnal_gateway.api.journal import TimelinessRow, timeliness_rows
from zhurnal_gateway.bootstrap import Gateway
from zhurnal_gateway.web.diary import subject_namer, subject_names
from zhurnal_gateway.web.render import MenuItem, menu_item, page
from zhurnal_gateway.web.viewer import Viewer, ViewerDep
from zhurnal_kit.errors import FieldViolation, PermissionDenied
from zhurnal_kit.grpc_errors import field_violations

router = APIRouter(include_in_schema=False)
MENU: list[MenuItem] = [
    menu_item("/overdue", "Overdue lessons", "deputy", "director", "teacher"),
    menu_item("/monitoring", "Journal monitoring", "deputy", "director"),
    menu_item("/periods", "Study periods", "deputy", "director"),
    menu_item("/plans", "Lesson plans", "deputy", "director"),
    menu_item("/opening", "Year opening", "deputy"),
]

LEADERS = ("deputy", "director")
PAGE_SIZE = 50
Id = Annotated[str, Query(max_length=36)]


# ---------------------------------------------------------------- pure helpers (unit-tested)


def person_name(person: people_pb2.Person) -> str:
    """«Фамилия Имя Отчество» of a person."""
    return " ".join(p for p in (person.last_name, person.first_name, person.patronymic) if p)


def week_of(some_day: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding ``some_day``."""
    monday = some_day - timedelta(days=some_day.weekday())
    return monday, monday + timedelta(days=6)


def duration_parts(seconds: int) -> tuple[int, int]:
    """Whole days and remaining hours of a duration in seconds."""
    hours = max(seconds, 0) // 3600
    return hours // 24, hours % 24


def form_values(body: bytes) -> dict[str, str]:
    """The fields of an urlencoded form (the last value of each)."""
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[-1] for name, values in parsed.items()}


def parse_day(text: str) -> date | None:
    """An ISO date typed into a form, or None."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Clock:
    """Days and moments as the institution's people read them (its time zone)."""

    zone: tzinfo = UTC

    def now(self) -> datetime:
        """The moment now at the institution."""
        return datetime.now(self.zone)

    def on(self, value: date | str | None) -> str:
        """A day as DD.MM.YYYY."""
        if isinstance(value, str):
            value = parse_day(value)
        return value.strftime("%d.%m.%Y") if value else "—"

    def when(self, value: datetime | None) -> str:
        """A moment as DD.MM.YYYY HH:MM in the institution's time zone."""
        return value.astimezone(self.zone).strftime("%d.%m.%Y %H:%M") if value else "—"

    def context(self) -> dict[str, Any]:
        """What templates format days and moments with."""
        return {"on": self.on, "when": self.when}


@dataclass(frozen=True)
class Tally:
    """Completeness and timeliness of one teacher's or one group's lessons (the journal's
    counts, R-3.2): due (past their deadline), recorded (with a topic), recorded after the
    deadline, and overdue (past it with no topic, the period not locked)."""

    key: str
    name: str = ""
    due: int = 0
    recorded: int = 0
    late: int = 0
    overdue: int = 0
    due_recorded: int = 0

    @property
    def completeness(self) -> int | None:
        """Of the lessons past their deadline, the share recorded, in whole percent (None with
        nothing due)."""
        return round(100 * self.due_recorded / self.due) if self.due else None


@dataclass
class Monitoring:
    """Tallies per teacher and per group, and the totals."""

    by_teacher: list[Tally] = field(default_factory=list)
    by_group: list[Tally] = field(default_factory=list)
    total: Tally = field(default_factory=lambda: Tally("total"))


def tallies(rows: Iterable[TimelinessRow], names: dict[str, str]) -> list[Tally]:
    """The journal's rows of one kind (teacher or group) with their names, in name order."""
    found = [
        Tally(
            r.key,
            names.get(r.key, ""),
            r.due,
            r.recorded,
            r.recorded_late,
            r.overdue,
            r.due_recorded,
        )
        for r in rows
    ]
    return sorted(found, key=lambda t: (t.name or "\uffff", t.key))


def total(rows: Iterable[Tally]) -> Tally:
    """The sum of tallies that count every lesson once (all teachers, or all groups)."""
    rows = list(rows)
    return Tally(
        "total",
        due=sum(r.due for r in rows),
        recorded=sum(r.recorded for r in rows),
        late=sum(r.late for r in rows),
        overdue=sum(r.overdue for r in rows),
        due_recorded=sum(r.due_recorded for r in rows),
    )


def choose_year(years: list[calendar_pb2.StudyYear], today: date, wanted: str = "") -> Any:
    """The study year asked for, else the one holding today, else the latest."""
    for year in years:
        if year.id == wanted:
            return year
    for year in years:
        starts, ends = day(year.starts), day(year.ends)
        if starts and ends and starts <= today <= ends:
            return year
    return max(years, key=lambda y: y.starts.iso) if years else None


# ---------------------------------------------------------------- reading the services


_ZONES: dict[str, tzinfo] = {}


async def _clock(gateway: Gateway, institution_id: str) -> Clock:
    """The institution's clock (its time zone from curriculum; UTC when unknown)."""
    if institution_id not in _ZONES:
        try:
            stub = CurriculumServiceStub(gateway.channels["curriculum"])
            reply = await stub.GetInstitutionCalendar(
                curriculum_pb2.GetInstitutionCalendarRequest(institution_id=institution_id)
            )
            _ZONES[institution_id] = ZoneInfo(reply.time_zone) if reply.time_zone else UTC
        except (grpc.aio.AioRpcError, ZoneInfoNotFoundError, ValueError, KeyError):
            return Clock()
    return Clock(_ZONES[institution_id])


async def _staff_names(gateway: Gateway, institution_id: str) -> dict[str, str]:
    """Names of the institution's staff by person id."""
    names: dict[str, str] = {}
    token = ""
    while True:
        reply = await gateway.people.ListPeople(
            people_pb2.ListPeopleRequest(
                institution_id=institution_id,
                kind=people_pb2.PERSON_KIND_STAFF,
                page_size=200,
                page_token=token,
            )
        )
        names.update({p.id: person_name(p) for p in reply.people})
        token = reply.next_page_token
        if not token:
            return names


async def _year_ids(gateway: Gateway, institution_id: str) -> list[str]:
    """The study years the journal knows periods of (for deputy and director)."""
    reply = await gateway.period_locks.ListPeriodLocks(
        pb.ListPeriodLocksRequest(institution_id=institution_id)
    )
    return list(dict.fromkeys(p.study_year_id for p in reply.periods))


async def _years(gateway: Gateway, year_ids: Iterable[str]) -> list[calendar_pb2.StudyYear]:
    replies = await asyncio.gather(
        *(gateway.calendar.GetStudyYear(calendar_pb2.GetStudyYearRequest(id=i)) for i in year_ids)
    )
    return sorted((r.study_year for r in replies), key=lambda y: y.starts.iso)


async def _group_names(gateway: Gateway, year_ids: Iterable[str]) -> dict[str, str]:
    replies = await asyncio.gather(
        *(
            gateway.groups.ListGroups(groups_pb2.ListGroupsRequest(study_year_id=i))
            for i in dict.fromkeys(year_ids)
            if i
        )
    )
    return {g.id: g.name for reply in replies for g in reply.groups}


@dataclass
class Scope:
    """The institution a page is about, its clock and study years, and the year shown."""

    institution_id: str
    clock: Clock
    years: list[calendar_pb2.StudyYear]
    year: Any

    def context(self) -> dict[str, Any]:
        """What every page of a study year shows."""
        return {"years": self.years, "year": self.year, **self.clock.context()}


async def _scope(gateway: Gateway, institution_id: str, wanted: str) -> Scope:
    clock, year_ids = await asyncio.gather(
        _clock(gateway, institution_id), _year_ids(gateway, institution_id)
    )
    years = await _years(gateway, year_ids)
    return Scope(institution_id, clock, years, choose_year(years, clock.now().date(), wanted))


NOT_A_LEADER = "This page is for the deputy and the director of an institution."


def _leader(viewer: Viewer, roles: tuple[str, ...] = LEADERS) -> str:
    """The institution the viewer leads; an error page (403) for anyone else. The services
    check the same again with the person's token."""
    institution = viewer.institution(*roles)
    if not institution:
        raise PermissionDenied(
            "the page is for the deputy and the director",
            [FieldViolation("role", NOT_A_LEADER)],
        )
    return institution


def _sorted_names(names: dict[str, str]) -> list[tuple[str, str]]:
    """(id, name) pairs in the order of the names, for a list to choose from."""
    return sorted(names.items(), key=lambda kv: (kv[1], kv[0]))


# ---------------------------------------------------------------- /overdue


@router.get("/overdue")
async def overdue(
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    teacher: Id = "",
    group: Id = "",
    page_token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Lessons past their deadline without a topic (R-3.2, R-3.4) with counts per teacher and
    group; a teacher sees only their own."""
    own_only = not viewer.has(*LEADERS)
    institution = _leader(viewer, ("teacher",) if own_only else LEADERS)
    if own_only:
        teacher = viewer.person_id
    reply = await gateway.journal.ListOverdue(
        pb.ListOverdueRequest(
            institution_id=institution,
            teacher_id=teacher,
            group_id=group,
            page_size=PAGE_SIZE,
            page_token=page_token,
        )
    )
    year_ids = {item.lesson.study_year_id for item in reply.lessons}
    if not own_only:
        year_ids.update(await _year_ids(gateway, institution))
    people, groups, clock, subjects = await asyncio.gather(
        _staff_names(gateway, institution),
        _group_names(gateway, year_ids),
        _clock(gateway, institution),
        subject_names(gateway, [institution]),
    )
    subject_name = subject_namer(subjects)
    lessons = [
        {
            "id": item.lesson.id,
            "link": item.link or f"/journal/lessons/{item.lesson.id}",
            "date": day(item.lesson.date),
            "start": f"{item.lesson.start.hour:02d}:{item.lesson.start.minute:02d}",
            "teacher": people.get(item.lesson.teacher_id, ""),
            "group": groups.get(item.lesson.group_id, ""),
            "subject": subject_name(item.lesson.subject_id),
            "due_at": moment(item.lesson, "due_at"),
            "late": duration_parts(item.overdue_s),
        }
        for item in reply.lessons
    ]
    query = {k: v for k, v in (("teacher", teacher), ("group", group)) if v and not own_only}
    context = {
        "own_only": own_only,
        "lessons": lessons,
        "by_teacher": [
            (tid, people.get(tid, ""), n) for tid, n in _sorted_counts(reply.by_teacher, people)
        ],
        "by_group": [
            (gid, groups.get(gid, ""), n) for gid, n in _sorted_counts(reply.by_group, groups)
        ],
        "total": sum(reply.by_teacher.values()),
        "teachers": _sorted_names(people),
        "groups": _sorted_names(groups),
        "teacher": teacher,
        "group": group,
        "next_link": "/overdue?" + urlencode({**query, "page_token": reply.next_page_token})
        if reply.next_page_token
        else "",
        "first_link": ("/overdue?" + urlencode(query)) if page_token else "",
        "filter_link": lambda **kw: "/overdue?" + urlencode({k: v for k, v in kw.items() if v}),
        **clock.context(),
    }
    return page(request, "deputy_overdue.html", context, viewer=viewer)


def _sorted_counts(counts: Any, names: dict[str, str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], names.get(kv[0], ""), kv[0]))


# ---------------------------------------------------------------- /monitoring


@router.get("/monitoring")
async def monitoring(
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    period: Id = "",
    week: Annotated[str, Query(max_length=10)] = "",
    year: Id = "",
) -> Response:
    """Completeness and timeliness per teacher and group for a week or a study period."""
    scope = await _scope(gateway, _leader(viewer), year)
    institution = scope.institution_id
    chosen, now = scope.year, scope.clock.now()
    today = now.date()
    errors: dict[str, str] = {}
    context: dict[str, Any] = {"week": week, "period": period, **scope.context()}
    if chosen is None:
        return page(request, "deputy_monitoring.html", context, viewer=viewer)
    selected = next((p for p in chosen.periods if p.id == period), None)
    if selected is not None:
        starts, ends = day(selected.starts), day(selected.ends)
    else:
        wanted = parse_day(week) if week else today
        if wanted is None:
            errors["week"] = "Enter a date as YYYY-MM-DD."
            wanted = today
        starts, ends = week_of(wanted)
    assert starts is not None and ends is not None
    people, groups, by_teacher, by_group = await asyncio.gather(
        _staff_names(gateway, institution),
        _group_names(gateway, [chosen.id]),
        timeliness_rows(gateway, [institution], starts, ends, "teacher"),
        timeliness_rows(gateway, [institution], starts, ends, "group"),
    )
    teachers = tallies(by_teacher, people)
    result = Monitoring(teachers, tallies(by_group, groups), total(teachers))
    context.update(
        {
            "starts": starts,
            "ends": ends,
            "selected": selected,
            "result": result,
            "errors": errors,
            "week_value": starts.isoformat() if selected is None else "",
            "previous_week": (starts - timedelta(days=7)).isoformat(),
            "next_week": (starts + timedelta(days=7)).isoformat(),
        }
    )
    return page(
        request,
        "deputy_monitoring.html",
        context,
        viewer=viewer,
        status_code=422 if errors else 200,
    )


# ---------------------------------------------------------------- /periods


@router.get("/periods")
async def periods(
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    year: Id = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The study year's periods with their state; closing and unlocking with a reason.

    A refused form comes back here with its errors and values (``FormRefused``)."""
    refused = _refused(request)
    year_id, errors, values = year, refused.errors, refused.values
    scope = await _scope(gateway, _leader(viewer), year_id)
    institution = scope.institution_id
    chosen, now = scope.year, scope.clock.now()
    rows: list[dict[str, Any]] = []
    if chosen is not None:
        locks_reply, people = await asyncio.gather(
            gateway.period_locks.ListPeriodLocks(
                pb.ListPeriodLocksRequest(institution_id=institution, study_year_id=chosen.id)
            ),
            _staff_names(gateway, institution),
        )
        locks = {lock.period.id: lock for lock in locks_reply.periods}
        for period in chosen.periods:
            lock = locks.get(period.id)
            unlocks = [
                {
                    "reason": u.reason,
                    "by": people.get(u.unlocked_by, ""),
                    "at": moment(u, "unlocked_at"),
                    "until": moment(u, "expires_at"),
                    "active": (moment(u, "expires_at") or now) > now,
                }
                for u in (lock.unlocks if lock else [])
            ]
            rows.append(
                {
                    "period": period,
                    "starts": day(period.starts),
                    "ends": day(period.ends),
                    "closed": period.closed,
                    "closed_at": moment(period, "closed_at"),
                    "closed_by": people.get(period.closed_by, ""),
                    "unlocked_until": max(
                        (u["until"] for u in unlocks if u["active"] and u["until"]),
                        default=None,
                    ),
                    "unlocks": unlocks,
                    # A repeated submission of the same form unlocks once.
                    "key": uuid.uuid4().hex,
                    # The journal learns of a closing from curriculum's events.
                    "journal_locked": lock.locked if lock else None,
                }
            )
    context = {
        "rows": rows,
        "done": done,
        "errors": errors,
        "values": values,
        "may_manage": viewer.has("deputy"),
        **scope.context(),
    }
    return page(
        request, "deputy_periods.html", context, viewer=viewer, status_code=422 if errors else 200
    )


@dataclass(frozen=True)
class FormRefused:
    """A form the page shows again: messages by field (English ids) and what was typed."""

    errors: dict[Any, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def _refused(request: Request) -> FormRefused:
    """The refused form a POST handler hands to its page (none on a plain GET)."""
    found = getattr(request.state, "refused", None)
    return found if isinstance(found, FormRefused) else FormRefused()


def _violations(exc: grpc.aio.AioRpcError, known: Iterable[str], fallback: str) -> dict[str, str]:
    """Field errors of a refused call, by form field (anything else goes to ``fallback``)."""
    found: dict[str, str] = {}
    known = set(known)
    for violation in field_violations(exc):
        name = violation.field if violation.field in known else fallback
        found.setdefault(name, violation.description)
    return found


@dataclass(frozen=True)
class PeriodAction:
    """A period form: how it is checked here, the service call, its fields, and the notice."""

    check: Callable[[dict[str, str]], dict[str, str]]
    change: Callable[[dict[str, str]], Awaitable[object]]
    fields: tuple[str, ...]
    done: str


async def _change_period(
    request: Request, viewer: Viewer, gateway: Gateway, period_id: str, action: PeriodAction
) -> Response:
    """Check a period's form, make the change, and go back to the periods; or show the form
    again with the errors next to its fields (the first field takes errors of no field)."""
    form = form_values(await request.body())
    year_id = form.get("study_year_id", "")
    found = action.check(form)
    if not found:
        try:
            await action.change(form)
        except grpc.aio.AioRpcError as exc:
            found = _violations(exc, action.fields, action.fields[0])
            if not found or exc.code() == grpc.StatusCode.PERMISSION_DENIED:
                raise
    if found:
        request.state.refused = FormRefused(
            {(period_id, name): message for name, message in found.items()},
            {**form, "period": period_id},
        )
        return await periods(request, viewer, gateway, year_id)
    return RedirectResponse(
        "/periods?" + urlencode({"year": year_id, "done": action.done}), status_code=303
    )


@router.post("/periods/{period_id}/close")
async def close_period(
    request: Request, period_id: str, viewer: ViewerDep, gateway: GatewayDep
) -> Response:
    """Close a period (curriculum): the journal makes its entries read-only (R-6.3)."""

    def check(form: dict[str, str]) -> dict[str, str]:
        if form.get("confirm") == "yes":
            return {}
        return {"confirm": "Confirm that the period is checked and may close."}

    async def change(form: dict[str, str]) -> object:
        return await gateway.calendar.ClosePeriod(
            calendar_pb2.ClosePeriodRequest(
                study_year_id=form.get("study_year_id", ""), period_id=period_id
            )
        )

    action = PeriodAction(check, change, ("confirm",), "closed")
    return await _change_period(request, viewer, gateway, period_id, action)


@router.post("/periods/{period_id}/unlock")
async def unlock_period(
    request: Request, period_id: str, viewer: ViewerDep, gateway: GatewayDep
) -> Response:
    """Open a closed period for corrections, with a written reason, for a bounded time."""

    def check(form: dict[str, str]) -> dict[str, str]:
        hours = form.get("hours", "").strip()
        return {"hours": "Enter a whole number of hours."} if hours and not hours.isdigit() else {}

    async def change(form: dict[str, str]) -> object:
        return await gateway.period_locks.UnlockPeriod(
            pb.UnlockPeriodRequest(
                period_id=period_id,
                reason=form.get("reason", ""),
                hours=int(form.get("hours", "").strip() or 0),
                idempotency_key=form.get("idempotency_key", "") or uuid.uuid4().hex,
            )
        )

    action = PeriodAction(check, change, ("reason", "hours"), "unlocked")
    return await _change_period(request, viewer, gateway, period_id, action)


# ---------------------------------------------------------------- /plans


@router.get("/plans")
async def plans(
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    year: Id = "",
    group: Id = "",
) -> Response:
    """The lesson plans of the study year, drafts first."""
    scope = await _scope(gateway, _leader(viewer), year)
    institution = scope.institution_id
    chosen = scope.year
    rows: list[dict[str, Any]] = []
    groups: dict[str, str] = {}
    if chosen is not None:
        reply, people, groups, subjects = await asyncio.gather(
            gateway.plans.ListPlans(
                plans_pb2.ListPlansRequest(study_year_id=chosen.id, group_id=group)
            ),
            _staff_names(gateway, institution),
            _group_names(gateway, [chosen.id]),
            subject_names(gateway, [institution]),
        )
        rows = sorted(
            (_plan_row(p, people, groups, subject_namer(subjects)) for p in reply.plans),
            key=lambda r: (r["approved"], r["group"], r["subject"].casefold(), r["plan"].id),
        )
    context = {
        "rows": rows,
        "groups": _sorted_names(groups),
        "group": group,
        **scope.context(),
    }
    return page(request, "deputy_plans.html", context, viewer=viewer)


def _instant(text: str) -> datetime | None:
    """An RFC 3339 instant of curriculum (None when unset or unreadable)."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _plan_row(
    plan: plans_pb2.LessonPlan,
    people: dict[str, str],
    groups: dict[str, str],
    subject_name: Callable[[str], str],
) -> dict[str, Any]:
    return {
        "plan": plan,
        "group": groups.get(plan.group_id, ""),
        "subject": subject_name(plan.subject_id),
        "teacher": people.get(plan.teacher_id, ""),
        "approved": plan.status == plans_pb2.PLAN_STATUS_APPROVED,
        "approved_by": people.get(plan.approved_by, ""),
        "approved_at": _instant(plan.approved_at),
        "curriculum_hours": plan.curriculum_hours if plan.HasField("curriculum_hours") else None,
        "hours_match": plan.HasField("curriculum_hours")
        and plan.curriculum_hours == plan.total_hours,
    }


@router.get("/plans/{plan_id}")
async def plan(
    request: Request,
    plan_id: str,
    viewer: ViewerDep,
    gateway: GatewayDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """One lesson plan with its topics and what is off with it; approving it (a refused
    approval comes back here with curriculum's reasons)."""
    errors = list(_refused(request).errors.values())
    institution = _leader(viewer)
    reply = await gateway.plans.GetPlan(plans_pb2.GetPlanRequest(plan_id=plan_id))
    people, groups, clock, subjects = await asyncio.gather(
        _staff_names(gateway, institution),
        _group_names(gateway, [reply.plan.study_year_id]),
        _clock(gateway, institution),
        subject_names(gateway, [institution]),
    )
    context = {
        "row": _plan_row(reply.plan, people, groups, subject_namer(subjects)),
        "plan": reply.plan,
        "problems": list(reply.problems),
        "blocking": any(p.severity == "error" for p in reply.problems),
        "lessons": reply.lessons,
        "without_lessons": set(reply.topics_without_lessons),
        "done": done,
        "errors": errors,
        "may_approve": viewer.has("deputy"),
        **clock.context(),
    }
    return page(
        request, "deputy_plan.html", context, viewer=viewer, status_code=422 if errors else 200
    )


# Refusals whose description names ids or versions: said in the person's words instead.
_PLAN_FIELD_MESSAGES = {
    "status": "The plan is already approved.",
    "expected_version": "The plan changed since you opened it: open it again.",
}


@router.post("/plans/{plan_id}/approve")
async def approve_plan(
    request: Request, plan_id: str, viewer: ViewerDep, gateway: GatewayDep
) -> Response:
    """The deputy approves a plan whose hours equal the curriculum's."""
    form = form_values(await request.body())
    version_text = form.get("version", "0")
    try:
        await gateway.plans.ApprovePlan(
            plans_pb2.ApprovePlanRequest(
                plan_id=plan_id,
                expected_version=int(version_text) if version_text.isdigit() else 0,
            )
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (
            grpc.StatusCode.FAILED_PRECONDITION,
            grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.ABORTED,
        ):
            raise
        messages = [
            _PLAN_FIELD_MESSAGES.get(v.field, v.description) for v in field_violations(exc)
        ] or ["The plan was not approved."]
        request.state.refused = FormRefused(dict(enumerate(messages)))
        return await plan(request, plan_id, viewer, gateway)
    return RedirectResponse(f"/plans/{plan_id}?done=approved", status_code=303)


# ---------------------------------------------------------------- /opening


@router.get("/opening")
async def opening(
    request: Request, viewer: ViewerDep, gateway: GatewayDep, year: Id = ""
) -> Response:
    """The year-opening checklist: what the study year has and what it still lacks (R-5)."""
    institution = _leader(viewer, ("deputy",))
    scope = await _scope(gateway, institution, year)
    chosen = scope.year
    checklist = None
    groups: dict[str, str] = {}
    if chosen is not None:
        checklist, groups = await asyncio.gather(
            gateway.opening.GetOpeningChecklist(
                opening_pb2.GetOpeningChecklistRequest(study_year_id=chosen.id)
            ),
            _group_names(gateway, [chosen.id]),
        )
    context = {
        "checklist": checklist,
        "required": opening_pb2.CHECKLIST_LEVEL_REQUIRED,
        "groups": groups,
        **scope.context(),
    }
    return page(request, "deputy_opening.html", context, viewer=viewer)
