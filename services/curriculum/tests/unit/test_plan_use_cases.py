"""The lesson-plan use cases over small in-memory fakes: who may write which plan, versions,
all-or-nothing writes, and what approval publishes."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Any, cast

import pytest
from sqlalchemy.exc import IntegrityError

from zhurnal.curriculum.v1 import events_pb2
from zhurnal_curriculum.adapters.plan_repository import StoredPlan
from zhurnal_curriculum.domain.calendar import StudyYear
from zhurnal_curriculum.domain.groups import Group, GroupKind
from zhurnal_curriculum.domain.hours import CurriculumLine, Subject
from zhurnal_curriculum.domain.plans import LessonPlan, PlanStatus, PlanTopic
from zhurnal_curriculum.domain.timetable import Lesson, LessonStatus
from zhurnal_curriculum.service_layer import plans
from zhurnal_curriculum.service_layer.plans import WritePlan
from zhurnal_kit.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
)
from zhurnal_kit.events import Event

YEAR = StudyYear(
    id="y",
    institution_id="school",
    name="2026/2027",
    starts=date(2026, 9, 1),
    ends=date(2027, 5, 31),
)
SEVEN = replace(
    Group.create(
        institution_id="school",
        study_year_id="y",
        name="7А",
        kind=GroupKind.CLASS,
        years_of_study=frozenset({7}),
        starts=YEAR.starts,
    ),
    id="7a",
)


def topics(*hours: int) -> list[PlanTopic]:
    return [PlanTopic(i, f"Тема {i}", h) for i, h in enumerate(hours, start=1)]


# --- fakes ---------------------------------------------------------------------------------


class Years:
    async def get(self, year_id: str, *, for_update: bool = False) -> StudyYear | None:
        return YEAR if year_id == YEAR.id else None


class Groups:
    async def get(self, group_id: str) -> Group | None:
        return SEVEN if group_id == SEVEN.id else None

    async def of_year(self, year_id: str) -> list[Group]:
        return [SEVEN] if year_id == YEAR.id else []


class Hours:
    async def subjects(self, institution_id: str) -> list[Subject]:
        return [Subject.create(id="math", name="Математика")]

    async def curriculum(self, year_id: str) -> list[CurriculumLine]:
        return [CurriculumLine("7a", "math", 6)]


class People:
    async def holders(self, institution_id: str, roles: list[str], ids: list[str]) -> set[str]:
        return {i for i in ids if i in {"t1", "t2", "deputy"}}


@dataclass
class Plans:
    """Plans by id; ``race`` makes the next commit fail as a concurrent first save would."""

    stored: dict[str, StoredPlan] = field(default_factory=dict)
    lessons: list[Lesson] = field(default_factory=list)
    race: bool = False

    async def get(self, plan_id: str, *, for_update: bool = False) -> StoredPlan | None:
        return self.stored.get(plan_id)

    async def find(
        self, study_year_id: str, group_id: str, subject_id: str, *, for_update: bool = False
    ) -> StoredPlan | None:
        return next(
            (
                s
                for s in self.stored.values()
                if (s.plan.study_year_id, s.plan.group_id, s.plan.subject_id)
                == (study_year_id, group_id, subject_id)
            ),
            None,
        )

    async def add(self, plan: LessonPlan, *, institution_id: str) -> StoredPlan:
        self.stored[plan.id] = StoredPlan(plan, 1)
        return self.stored[plan.id]

    async def save(self, plan: LessonPlan, *, version: int) -> StoredPlan:
        self.stored[plan.id] = StoredPlan(plan, version)
        return self.stored[plan.id]


@dataclass
class Timetable:
    """The dated lessons the plans lie over (those of the Plans fake)."""

    plans: Plans

    async def get_lesson(self, lesson_id: str) -> tuple[Lesson, str, str] | None:
        found = next((x for x in self.plans.lessons if x.id == lesson_id), None)
        return (found, YEAR.id, YEAR.institution_id) if found else None

    async def held_lesson_ids(self, year_id: str, group_id: str, subject_id: str) -> list[str]:
        return [x.id for x in self.plans.lessons if x.status != LessonStatus.CANCELLED]


class Uow:
    """One transaction over the fakes: what is not committed is rolled back on exit."""

    def __init__(self, store: Plans) -> None:
        self.plans = store
        self.timetable = Timetable(store)
        self.study_years, self.groups, self.hours, self.people = (
            Years(),
            Groups(),
            Hours(),
            People(),
        )
        self.published: list[Event] = []
        self.commits = 0

    async def __aenter__(self) -> Uow:
        self._before = copy.deepcopy(self.plans.stored)
        self._staged: list[Event] = []
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.plans.stored = self._before

    def publish(self, event: Event) -> None:
        self._staged.append(event)

    async def commit(self) -> None:
        if self.plans.race:
            raise IntegrityError("insert into lesson_plan", {}, Exception("lesson_plan_unique"))
        self._before = copy.deepcopy(self.plans.stored)
        self.published += self._staged
        self.commits += 1


class Policy:
    """The policy as a teacher (only their own plans) or as the deputy sees it."""

    def __init__(self, person: str) -> None:
        self.person = person
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    async def require(self, action: str, *, institution_id: str, **resource: Any) -> None:
        teachers = tuple(resource.get("teacher_ids", ()))
        self.asked.append((action, teachers))
        if self.person == "deputy" or action == "curriculum.read":
            return
        if action == "plan.write" and self.person in teachers:
            return
        raise PermissionDenied(f"{action} is not allowed")


def as_(person: str) -> Any:
    """The policy as ``person`` sees it, standing for the kit's Authorizer."""
    return Policy(person)


def world(*stored: LessonPlan) -> tuple[Plans, Any]:
    """The fakes, the unit of work typed loosely: it stands for CurriculumUnitOfWork."""
    store = Plans({p.id: StoredPlan(p, 1) for p in stored})
    return store, Uow(store)


def plan_of(teacher: str, *hours: int) -> LessonPlan:
    return LessonPlan.create(
        group_id="7a",
        subject_id="math",
        teacher_id=teacher,
        study_year_id="y",
        topics=topics(*hours),
    )


def write(
    teacher: str, version: int = 0, *, group_id: str = "7a", subject_id: str = "math"
) -> WritePlan:
    return WritePlan("y", group_id, subject_id, teacher, version)


async def save(uow: Any, caller: str, command: WritePlan, *hours: int) -> plans.PlanView:
    return await plans.save_plan(uow, as_(caller), command, topics(*hours))


def violated(error: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


# --- writing -------------------------------------------------------------------------------


async def test_a_teacher_saves_their_plan_as_a_draft_with_what_is_off() -> None:
    store, uow = world()
    authorizer = Policy("t1")
    view = await plans.save_plan(uow, cast(Any, authorizer), write("t1"), topics(2, 2))
    assert authorizer.asked == [("plan.write", ("t1",))]
    assert (view.version, view.curriculum_hours, view.plan.status) == (1, 6, PlanStatus.DRAFT)
    assert [p.message for p in view.problems] == [
        "План: 4 ч, по учебному плану 6 ч (не хватает 2 ч)."
    ]
    assert list(store.stored) == [view.plan.id]


async def test_a_teacher_may_not_take_a_colleagues_plan_over() -> None:
    theirs = plan_of("t2", 6)
    store, uow = world(theirs)
    authorizer = Policy("t1")
    with pytest.raises(PermissionDenied):
        await plans.save_plan(uow, cast(Any, authorizer), write("t1", 1), topics(6))
    # Asked for the new teacher, then for the one whose plan it is.
    assert authorizer.asked == [("plan.write", ("t1",)), ("plan.write", ("t2",))]
    assert store.stored[theirs.id] == StoredPlan(theirs, 1)


async def test_the_deputy_hands_a_plan_over_and_it_is_a_draft_again() -> None:
    approved = replace(plan_of("t2", 6), status=PlanStatus.APPROVED, approved_by="deputy")
    store, uow = world(approved)
    view = await save(uow, "deputy", write("t1", 1), 6)
    assert (view.plan.id, view.plan.teacher_id, view.version) == (approved.id, "t1", 2)
    assert (view.plan.status, view.plan.approved_by) == (PlanStatus.DRAFT, "")
    assert store.stored[approved.id].version == 2


async def test_unknown_group_subject_and_teacher_are_named_together() -> None:
    store, uow = world()
    command = write("stranger", group_id="8b", subject_id="art")
    with pytest.raises(InvalidArgument) as caught:
        await save(uow, "deputy", command, 6)
    assert set(violated(caught)) == {"group_id", "subject_id", "teacher_id"}
    assert store.stored == {}


async def test_topics_are_checked_before_anything_is_asked() -> None:
    _, uow = world()
    authorizer = Policy("t1")
    bad = [PlanTopic(1, "", 2), PlanTopic(3, "Дроби", 30)]
    with pytest.raises(InvalidArgument) as caught:
        await plans.save_plan(uow, cast(Any, authorizer), write("t1"), bad)
    assert set(violated(caught)) == {"topics[0].text", "topics[1].order", "topics[1].hours"}
    assert authorizer.asked == []


async def test_versions_keep_writers_from_saving_over_what_they_did_not_see() -> None:
    mine = plan_of("t1", 6)
    store, uow = world(mine)
    with pytest.raises(AlreadyExists) as exists:
        await save(uow, "t1", write("t1", 0), 6)
    assert "version 1" in violated(exists)["expected_version"]
    with pytest.raises(Conflict) as stale:
        await save(uow, "t1", write("t1", 7), 6)
    assert "version 1" in violated(stale)["expected_version"]
    assert (await save(uow, "t1", write("t1", 1), 3, 3)).version == 2
    assert store.stored[mine.id].version == 2


async def test_a_plan_given_a_version_that_does_not_exist_is_not_created() -> None:
    store, uow = world()
    with pytest.raises(Conflict):
        await save(uow, "t1", write("t1", 2), 6)
    assert store.stored == {}


async def test_two_first_saves_racing_leave_one_plan_and_tell_the_other() -> None:
    store, uow = world()
    store.race = True
    with pytest.raises(AlreadyExists) as caught:
        await save(uow, "t1", write("t1"), 6)
    assert "expected_version" in violated(caught)
    assert store.stored == {}


# --- import --------------------------------------------------------------------------------

GOOD = "Тема;Часы\nНатуральные числа;2\nДроби;4\n".encode()
BAD = "Тема;Часы\nНатуральные числа;2\n;4\nДроби;сорок\n".encode()


async def import_(uow: Any, content: bytes, *, dry_run: bool = False) -> plans.ImportResult:
    return await plans.import_plan(
        uow,
        as_("t1"),
        write("t1"),
        fmt="csv",
        content=content,
        dry_run=dry_run,
    )


async def test_a_file_with_bad_rows_saves_nothing_and_names_each_row() -> None:
    store, uow = world()
    result = await import_(uow, BAD)
    assert [(p.line, p.column) for p in result.parsed.problems] == [(3, "Тема"), (4, "Часы")]
    assert (result.saved, store.stored, uow.commits) == (None, {}, 0)


async def test_a_dry_run_shows_what_would_be_and_saves_nothing() -> None:
    store, uow = world()
    result = await import_(uow, GOOD, dry_run=True)
    assert result.saved is None and store.stored == {} and uow.commits == 0
    assert result.parsed.total_hours == 6 and result.plan_problems == []
    saved = await import_(uow, GOOD)
    assert saved.saved is not None and list(store.stored) == [saved.saved.plan.id]


async def test_a_file_too_large_is_refused_before_it_is_read() -> None:
    _, uow = world()
    with pytest.raises(InvalidArgument) as caught:
        await import_(uow, b"x" * (plans.MAX_FILE_BYTES + 1))
    assert "content" in violated(caught)


# --- approval ------------------------------------------------------------------------------


async def test_approval_publishes_plan_approved_with_the_deputy_as_approver() -> None:
    draft = plan_of("t1", 2, 4)
    store, uow = world(draft)
    view = await plans.approve_plan(
        uow,
        as_("deputy"),
        _person("deputy-person"),
        plan_id=draft.id,
        expected_version=1,
    )
    assert (view.plan.status, view.plan.approved_by, view.version) == (
        PlanStatus.APPROVED,
        "deputy-person",
        2,
    )
    (event,) = uow.published
    assert (event.aggregate, event.aggregate_id, event.institution_id) == (
        "plan",
        draft.id,
        "school",
    )
    assert event.payload == events_pb2.PlanApproved(
        plan_id=draft.id,
        study_year_id="y",
        group_id="7a",
        subject_id="math",
        teacher_id="t1",
        approved_by="deputy-person",
        total_hours=6,
        topics=2,
    )
    assert store.stored[draft.id].version == 2


async def test_a_refused_approval_writes_and_publishes_nothing() -> None:
    short = plan_of("t1", 2)
    store, uow = world(short)
    asked: list[str] = []
    with pytest.raises(FailedPrecondition) as caught:
        await plans.approve_plan(
            uow,
            as_("deputy"),
            _person("deputy-person", asked),
            plan_id=short.id,
            expected_version=0,
        )
    assert "topics" in violated(caught)
    assert uow.published == [] and store.stored[short.id] == StoredPlan(short, 1)
    # A teacher is refused before anyone asks who they are.
    with pytest.raises(PermissionDenied):
        await plans.approve_plan(
            uow,
            as_("t1"),
            _person("t1-person", asked),
            plan_id=short.id,
            expected_version=0,
        )
    assert asked == ["deputy-person"]


def _person(person_id: str, asked: list[str] | None = None) -> plans.Approver:
    async def resolve() -> str:
        if asked is not None:
            asked.append(person_id)
        return person_id

    return resolve


# --- topics over lessons -------------------------------------------------------------------


async def test_cancelled_lessons_take_no_hour_of_the_plan() -> None:
    mine = plan_of("t1", 2, 1)
    store, uow = world(mine)
    store.lessons = [
        Lesson(
            f"l{i}",
            None,
            "7a",
            "math",
            "t1",
            date(2026, 9, i + 1),
            time(9),
            45,
            status=LessonStatus(status),
        )
        for i, status in enumerate(["scheduled", "cancelled", "moved", "scheduled"])
    ]
    found = {}
    for ref in store.lessons:
        planned = await plans.planned_topic(uow, as_("t2"), ref.id)
        assert planned.plan == mine
        found[ref.id] = planned.topic.order if planned.topic else None
    assert found == {"l0": 1, "l1": None, "l2": 1, "l3": 2}
