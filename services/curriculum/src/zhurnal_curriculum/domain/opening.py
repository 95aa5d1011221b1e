"""Opening the study year (R-5): groups promoted from the previous year, and the checklist.

The deputy opens a year step by step: the year and its periods, the groups (promoted from
last year), students, curriculum, teaching load, timetable and lesson plans. This module
decides, without any I/O, what promotion makes of each group and what the year still lacks.

Promotion. A class moves up a year: «7А» becomes «8А» with year of study 8; a class in the
institution's final year (11 unless said otherwise, 9 in a basic school) graduates and is
not created. An association of additional education continues under its own name; each of
its years of study goes up by one, because its continuing students are a year further in
the programme, but never past MAX_YEAR_OF_STUDY (a year there stays, so {11, 12} becomes
{12}): associations do not graduate, and the deputy skips one whose programme has ended.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from zhurnal_curriculum.domain.calendar import StudyYear
from zhurnal_curriculum.domain.groups import MAX_YEAR_OF_STUDY, Group, GroupKind
from zhurnal_curriculum.domain.hours import (
    CurriculumLine,
    LoadLine,
    Names,
    Subject,
    SubjectKind,
    check_load,
    natural_key,  # the deputy's order, as check_load sorts
)
from zhurnal_curriculum.domain.plans import PlanStatus
from zhurnal_kit.errors import AlreadyExists, FieldViolation, InvalidArgument, invalid

FINAL_YEAR = 11
MAX_GROUP_NAME = 100

# The reasons written on the new enrolments (the order that moves the students).
CLASS_REASON = "Перевод в следующий класс"
ASSOCIATION_REASON = "Продолжение обучения"

_NUMBER = re.compile(r"[0-9]+")


# --- promotion ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextName:
    """A group's name for the next year, with a remark for the deputy when it is doubtful."""

    name: str
    note: str = ""


def next_name(name: str, year_of_study: int | None = None) -> NextName:
    """«7А» → «8А», «10-Б» → «11-Б», «5 класс» → «6 класс».

    The number raised is the one equal to ``year_of_study`` when the name has it (so «Школа 2,
    7А» of year 7 becomes «Школа 2, 8А»), else the first number. A name without a number is
    kept, and the note says so.
    """
    name = name.strip()
    numbers = list(_NUMBER.finditer(name))
    if not numbers:
        return NextName(name, f"в названии «{name}» нет номера класса — название оставлено")
    chosen = next((m for m in numbers if int(m.group()) == year_of_study), numbers[0])
    digits = chosen.group()
    raised = str(int(digits) + 1).zfill(len(digits))  # «07А» → «08А»
    note = ""
    if year_of_study is not None and int(digits) != year_of_study:
        note = f"номер в названии «{name}» не совпадает с годом обучения {year_of_study}"
    return NextName(name[: chosen.start()] + raised + name[chosen.end() :], note)


def graduates(item: Group, final_year: int = FINAL_YEAR) -> bool:
    """A class in (or, by mistake, past) the final year; associations never graduate."""
    return item.kind == GroupKind.CLASS and max(item.years_of_study) >= final_year


def next_years(item: Group) -> frozenset[int]:
    """The years of study of the group's successor (see the module's note on associations)."""
    return frozenset(min(y + 1, MAX_YEAR_OF_STUDY) for y in item.years_of_study)


class Outcome(StrEnum):
    """What becomes of a group of the previous year."""

    PROMOTED = "promoted"
    GRADUATED = "graduated"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Override:
    """The deputy's decision for one group (GroupPromotion): skip, rename, leave students."""

    group_id: str
    skip: bool = False
    name: str = ""  # empty: the computed name
    without_students: bool = False


@dataclass(frozen=True)
class Promotion:
    """What promotion does with one group of the previous year."""

    source: Group
    outcome: Outcome
    name: str = ""  # the new group's name when promoted
    years_of_study: frozenset[int] = frozenset()
    carry_students: bool = False
    note: str = ""  # for the deputy, in Russian
    # The position of the deputy's override in the request, to name its fields in errors.
    override_index: int | None = None
    renamed: bool = False

    @property
    def join_reason(self) -> str:
        """The reason on the carried students' enrolments."""
        return CLASS_REASON if self.source.kind == GroupKind.CLASS else ASSOCIATION_REASON

    def group_in(self, year: StudyYear) -> Group:
        """The new group, from the first to the last day of ``year``."""
        return Group.create(
            institution_id=year.institution_id,
            study_year_id=year.id,
            name=self.name,
            kind=self.source.kind,
            years_of_study=self.years_of_study,
            starts=year.starts,
            ends=year.ends,
        )

    def name_field(self) -> str:
        """The request field a clash of this promotion's name is reported on."""
        if self.renamed:
            return f"promotions[{self.override_index}].name"
        return "to_study_year_id"  # the computed name is taken in the new year


@dataclass(frozen=True)
class PromotedGroup:
    """One group of the previous year and what became of it."""

    promotion: Promotion
    # The new group (also in a dry run, where it is never written); None when not created.
    group: Group | None = None
    carried: tuple[str, ...] = ()  # students enrolled into the new group
    # On the old group's roster of the last day but no longer students of the institution.
    not_carried: tuple[str, ...] = ()


@dataclass(frozen=True)
class PromotionResult:
    """The mapping of old groups to new ones, with counts."""

    groups: list[PromotedGroup]
    dry_run: bool

    def count(self, outcome: Outcome) -> int:
        """How many groups had ``outcome``."""
        return sum(1 for g in self.groups if g.promotion.outcome == outcome)

    @property
    def students_carried(self) -> int:
        """Enrolments made (or that would be made)."""
        return sum(len(g.carried) for g in self.groups)


def plan_promotion(
    groups: Sequence[Group],
    overrides: Sequence[Override] = (),
    *,
    final_year: int = FINAL_YEAR,
    carry_students: bool = False,
    taken: Collection[str] = (),
    year_name: str = "",
) -> list[Promotion]:
    """What promotion makes of each group, in the order the deputy reads them (7А before 10А).

    ``taken``: the names of groups already in the new year (``year_name``); any new name among
    them is AlreadyExists naming the group, so a second promotion writes nothing. Bad
    overrides are InvalidArgument naming ``promotions[i]``.
    """
    if not 1 <= final_year <= MAX_YEAR_OF_STUDY:
        raise invalid("final_year", f"must be a year of study from 1 to {MAX_YEAR_OF_STUDY}")
    by_id = {g.id: g for g in groups}
    problems: list[FieldViolation] = []
    chosen: dict[str, tuple[int, Override]] = {}
    for i, item in enumerate(overrides):
        if item.group_id not in by_id:
            problems.append(
                FieldViolation(
                    f"promotions[{i}].group_id", "is not a group of the previous study year"
                )
            )
        elif item.group_id in chosen:
            first = chosen[item.group_id][0]
            problems.append(
                FieldViolation(f"promotions[{i}].group_id", f"repeats promotions[{first}]")
            )
        else:
            chosen[item.group_id] = (i, item)
        if len(item.name.strip()) > MAX_GROUP_NAME:
            problems.append(
                FieldViolation(
                    f"promotions[{i}].name", f"must be at most {MAX_GROUP_NAME} characters"
                )
            )

    plan: list[Promotion] = []
    for source in sorted(groups, key=lambda g: natural_key(g.name)):
        index, decision = chosen.get(source.id, (None, Override(source.id)))
        if decision.skip:
            plan.append(
                Promotion(
                    source,
                    Outcome.SKIPPED,
                    note="пропущена по решению завуча",
                    override_index=index,
                )
            )
            continue
        if graduates(source, final_year):
            if decision.name.strip():
                problems.append(
                    FieldViolation(
                        f"promotions[{index}].name",
                        f"«{source.name}» graduates (final year {final_year}): no group is created",
                    )
                )
            year = max(source.years_of_study)
            note = "выпускной класс — в новом году не создаётся"
            if year > final_year:
                note += f" (год обучения {year} больше последнего, {final_year})"
            plan.append(Promotion(source, Outcome.GRADUATED, note=note, override_index=index))
            continue
        if source.kind == GroupKind.CLASS:
            computed = next_name(source.name, max(source.years_of_study))
        else:
            computed = NextName(source.name)  # an association keeps its name
        renamed = bool(decision.name.strip())
        plan.append(
            Promotion(
                source,
                Outcome.PROMOTED,
                name=decision.name.strip() if renamed else computed.name,
                years_of_study=next_years(source),
                carry_students=carry_students and not decision.without_students,
                note="" if renamed else computed.note,
                override_index=index,
                renamed=renamed,
            )
        )
    if problems:
        raise InvalidArgument("the promotions are not valid", problems)
    _refuse_clashes(plan, taken, year_name)
    return plan


def _refuse_clashes(plan: list[Promotion], taken: Collection[str], year_name: str) -> None:
    promoted = [p for p in plan if p.outcome == Outcome.PROMOTED]
    seen: dict[str, Promotion] = {}
    twice = []
    for item in promoted:
        other = seen.setdefault(item.name, item)
        if other is not item:
            # Point at the deputy's rename when there is one: that is what to change.
            renamed = next((p for p in (item, other) if p.renamed), None)
            twice.append(
                FieldViolation(
                    renamed.name_field() if renamed else "promotions",
                    f"«{item.source.name}» and «{other.source.name}» would both become "
                    f"«{item.name}»: rename or skip one of them",
                )
            )
    if twice:
        raise InvalidArgument("two groups would get the same name", twice)
    existing = set(taken)
    clashes = [
        FieldViolation(
            item.name_field(),
            f"«{item.name}» (from «{item.source.name}») is already a group of the study year"
            f" «{year_name}»",
        )
        for item in promoted
        if item.name in existing
    ]
    if clashes:
        names = ", ".join(f"«{p.name}»" for p in promoted if p.name in existing)
        raise AlreadyExists(f"the new study year already has {names}", clashes)


# --- the checklist --------------------------------------------------------------------------


class Level(StrEnum):
    """Whether an item keeps the year from being ready."""

    REQUIRED = "required"
    WARNING = "warning"


PERIODS = "periods"
HOLIDAYS = "holidays"
GROUPS = "groups"
STUDENTS = "students"
CURRICULUM = "curriculum"
TEACHING_LOAD = "teaching_load"
TIMETABLE = "timetable"
LESSON_PLANS = "lesson_plans"
LESSON_PLANS_APPROVED = "lesson_plans_approved"

TITLES = {
    PERIODS: "Периоды обучения покрывают весь учебный год",
    HOLIDAYS: "Каникулы и нерабочие дни внесены",
    GROUPS: "Группы созданы",
    STUDENTS: "В каждой группе есть учащиеся",
    CURRICULUM: "У каждой группы есть учебный план",
    TEACHING_LOAD: "Нагрузка учителей совпадает с учебным планом",
    TIMETABLE: "Расписание составлено по каждому предмету учебного плана",
    LESSON_PLANS: "КТП написаны по каждому предмету учебного плана",
    LESSON_PLANS_APPROVED: "КТП утверждены",
}


@dataclass(frozen=True)
class Missing:
    """One thing the year lacks, in the deputy's words, with the ids it concerns."""

    message: str
    group_id: str = ""
    subject_id: str = ""
    student_id: str = ""
    starts: date | None = None  # days outside every period
    ends: date | None = None


@dataclass(frozen=True)
class Item:
    """One step of opening the year."""

    key: str
    level: Level
    missing: tuple[Missing, ...] = ()

    @property
    def title(self) -> str:
        """The step in Russian."""
        return TITLES[self.key]

    @property
    def done(self) -> bool:
        """Nothing is missing."""
        return not self.missing


@dataclass(frozen=True)
class Checklist:
    """What the study year still lacks before it can start."""

    study_year_id: str
    items: tuple[Item, ...]

    @property
    def ready(self) -> bool:
        """Every required item is done."""
        return all(i.done for i in self.items if i.level == Level.REQUIRED)

    def item(self, key: str) -> Item:
        """The item of a key."""
        return next(i for i in self.items if i.key == key)


@dataclass(frozen=True)
class YearState:
    """Everything the checklist looks at, as plain data."""

    year: StudyYear
    groups: Sequence[Group] = ()
    subjects: Sequence[Subject] = ()
    # Group id -> how many students have been enrolled in it.
    students: Mapping[str, int] = field(default_factory=dict)
    curriculum: Sequence[CurriculumLine] = ()
    load: Sequence[LoadLine] = ()
    # (group id, subject id) pairs that have timetable slots.
    slotted: Collection[tuple[str, str]] = frozenset()
    # (group id, subject id) -> the status of its lesson plan.
    plans: Mapping[tuple[str, str], PlanStatus] = field(default_factory=dict)


def uncovered_days(year: StudyYear) -> list[tuple[date, date]]:
    """The runs of days of the year that lie in no study period.

    Every day counts, holidays and weekends too: the year is ready when its periods leave no
    day out, so every date the journal may be asked about falls in a period.
    """
    gaps = []
    cursor = year.starts
    for period in sorted(year.periods, key=lambda p: p.starts):
        if period.starts > cursor:
            gaps.append((cursor, min(period.starts - timedelta(days=1), year.ends)))
        cursor = max(cursor, period.ends + timedelta(days=1))
    if cursor <= year.ends:
        gaps.append((cursor, year.ends))
    return gaps


def checklist(state: YearState) -> Checklist:
    """The checklist of opening ``state.year``; an item is done exactly when nothing is missing.

    An item whose subject is absent altogether (no groups, no curriculum) is not done: it
    says what to do first, so that an empty year never looks ready.
    """
    year = state.year
    names = Names.of(groups={g.id: g.name for g in state.groups}, subjects=state.subjects)
    kinds = {s.id: s.kind for s in state.subjects}
    groups = sorted(state.groups, key=lambda g: natural_key(g.name))
    pairs = sorted(
        {(line.group_id, line.subject_id) for line in state.curriculum},
        key=lambda p: (natural_key(names.group(p[0])), natural_key(names.subject(p[1]))),
    )

    def of_pair(pair: tuple[str, str], text: str) -> Missing:
        group_id, subject_id = pair
        what = "программе" if kinds.get(subject_id) == SubjectKind.PROGRAMME else "предмету"
        subject = f"{what} «{names.subject(subject_id)}»"
        return Missing(
            f"{names.group(group_id)}: {text.format(subject=subject)}", group_id, subject_id
        )

    no_groups = (Missing("нет ни одной группы — сначала создайте группы"),)
    no_curriculum = (Missing("учебный план не задан — сначала задайте его"),)

    periods: tuple[Missing, ...]
    if not year.periods:
        periods = (Missing("не задано ни одного периода обучения (четверти, полугодия)"),)
    else:
        periods = tuple(_gap(starts, ends) for starts, ends in uncovered_days(year))

    students = tuple(
        Missing(f"{g.name}: нет учащихся", g.id) for g in groups if not state.students.get(g.id)
    )
    planned = {line.group_id for line in state.curriculum}
    curriculum = tuple(
        Missing(f"{g.name}: нет строк учебного плана", g.id) for g in groups if g.id not in planned
    )
    load = tuple(
        Missing(m.message, m.group_id, m.subject_id, m.student_id or "")
        for m in check_load(state.curriculum, state.load, names)
    )
    timetable = tuple(
        of_pair(p, "нет расписания по {subject}") for p in pairs if p not in state.slotted
    )
    plans = tuple(of_pair(p, "нет КТП по {subject}") for p in pairs if p not in state.plans)
    approved = tuple(
        of_pair(
            p,
            "КТП по {subject} не утверждён" + ("" if p in state.plans else " (его ещё нет)"),
        )
        for p in pairs
        if state.plans.get(p) != PlanStatus.APPROVED
    )
    return Checklist(
        year.id,
        (
            Item(PERIODS, Level.REQUIRED, periods),
            Item(
                HOLIDAYS,
                Level.WARNING,
                () if year.holidays else (Missing("каникулы и нерабочие дни не внесены"),),
            ),
            Item(
                GROUPS,
                Level.REQUIRED,
                () if groups else (Missing(f"в учебном году «{year.name}» нет ни одной группы"),),
            ),
            Item(STUDENTS, Level.REQUIRED, students if groups else no_groups),
            Item(CURRICULUM, Level.REQUIRED, curriculum if groups else no_groups),
            Item(TEACHING_LOAD, Level.REQUIRED, load if pairs else no_curriculum),
            Item(TIMETABLE, Level.REQUIRED, timetable if pairs else no_curriculum),
            Item(LESSON_PLANS, Level.REQUIRED, plans if pairs else no_curriculum),
            Item(LESSON_PLANS_APPROVED, Level.REQUIRED, approved if pairs else no_curriculum),
        ),
    )


def _ru(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _gap(starts: date, ends: date) -> Missing:
    if starts == ends:
        text = f"день {_ru(starts)} не входит ни в один период обучения"
    else:
        text = f"дни с {_ru(starts)} по {_ru(ends)} не входят ни в один период обучения"
    return Missing(text, starts=starts, ends=ends)
