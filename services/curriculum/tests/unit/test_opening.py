"""Opening the study year: promotion of last year's groups and the checklist (R-5)."""

from dataclasses import replace
from datetime import date

import pytest

from zhurnal_curriculum.domain.calendar import Holiday, StudyYear
from zhurnal_curriculum.domain.groups import Group, GroupKind
from zhurnal_curriculum.domain.hours import CurriculumLine, LoadLine, Subject, SubjectKind
from zhurnal_curriculum.domain.opening import (
    ASSOCIATION_REASON,
    CLASS_REASON,
    Level,
    Outcome,
    Override,
    YearState,
    checklist,
    graduates,
    next_name,
    next_years,
    plan_promotion,
    uncovered_days,
)
from zhurnal_curriculum.domain.plans import PlanStatus
from zhurnal_kit.errors import AlreadyExists, InvalidArgument


def group(
    name: str, years: set[int], kind: GroupKind = GroupKind.CLASS, year_id: str = "old"
) -> Group:
    return Group.create(
        institution_id="i",
        study_year_id=year_id,
        name=name,
        kind=kind,
        years_of_study=frozenset(years),
        starts=date(2026, 9, 1),
    )


def year(**changes: object) -> StudyYear:
    base = StudyYear.create(
        institution_id="i", name="2027/2028", starts=date(2027, 9, 1), ends=date(2028, 5, 31)
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- names and graduation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "year_of_study", "new"),
    [
        ("7А", 7, "8А"),
        ("10-Б", 10, "11-Б"),
        ("5 класс", 5, "6 класс"),
        ("9", 9, "10"),
        ("07А", 7, "08А"),
        ("Школа 2, 7А", 7, "Школа 2, 8А"),  # the number equal to the year of study moves
        ("  7А ", 7, "8А"),
    ],
)
def test_a_class_moves_up_a_year_in_its_name(old: str, year_of_study: int, new: str) -> None:
    result = next_name(old, year_of_study)
    assert result.name == new
    assert result.note == ""


def test_a_name_without_a_number_is_kept_and_the_deputy_is_told() -> None:
    result = next_name("Подготовительная группа", 1)
    assert result.name == "Подготовительная группа"
    assert "нет номера" in result.note


def test_a_number_that_is_not_the_year_of_study_is_raised_but_flagged() -> None:
    result = next_name("Группа 3", 7)
    assert result.name == "Группа 4"
    assert "не совпадает с годом обучения 7" in result.note


def test_classes_of_the_final_year_graduate_and_associations_never_do() -> None:
    assert graduates(group("11А", {11}))
    assert not graduates(group("10А", {10}))
    assert graduates(group("9А", {9}), final_year=9)
    assert not graduates(group("Хор", {10, 11, 12}, GroupKind.ASSOCIATION))


def test_association_years_go_up_but_not_past_the_last_year() -> None:
    assert next_years(group("Хор", {1, 2, 3}, GroupKind.ASSOCIATION)) == {2, 3, 4}
    assert next_years(group("Хор", {11, 12}, GroupKind.ASSOCIATION)) == {12}
    assert next_years(group("7А", {7})) == {8}


# --- the promotion plan ---------------------------------------------------------------------


def test_the_plan_promotes_classes_copies_associations_and_graduates_the_final_year() -> None:
    seven, eleven = group("7А", {7}), group("11А", {11})
    ten = group("10-Б", {10})
    robots = group("Робототехника", {1, 2}, GroupKind.ASSOCIATION)
    plan = plan_promotion([eleven, robots, seven, ten], carry_students=True)
    assert [(p.source.name, p.outcome, p.name) for p in plan] == [
        ("7А", Outcome.PROMOTED, "8А"),
        ("10-Б", Outcome.PROMOTED, "11-Б"),
        ("11А", Outcome.GRADUATED, ""),
        ("Робототехника", Outcome.PROMOTED, "Робототехника"),
    ]
    assert plan[0].years_of_study == {8}
    assert plan[3].years_of_study == {2, 3}
    assert plan[0].join_reason == CLASS_REASON
    assert plan[3].join_reason == ASSOCIATION_REASON
    assert all(p.carry_students for p in plan if p.outcome == Outcome.PROMOTED)


def test_the_new_group_spans_the_new_year() -> None:
    new_year = year()
    (promotion,) = plan_promotion([group("7А", {7})])
    created = promotion.group_in(new_year)
    assert (created.study_year_id, created.name) == (new_year.id, "8А")
    assert created.years_of_study == {8}
    assert (created.starts, created.ends) == (date(2027, 9, 1), date(2028, 5, 31))


def test_a_configurable_final_year() -> None:
    plan = plan_promotion([group("9А", {9}), group("8А", {8})], final_year=9)
    assert [(p.source.name, p.outcome) for p in plan] == [
        ("8А", Outcome.PROMOTED),
        ("9А", Outcome.GRADUATED),
    ]
    with pytest.raises(InvalidArgument) as caught:
        plan_promotion([], final_year=13)
    assert caught.value.violations[0].field == "final_year"


def test_the_deputy_skips_renames_and_keeps_students_behind() -> None:
    a, b, c = group("7А", {7}), group("7Б", {7}), group("7В", {7})
    plan = plan_promotion(
        [a, b, c],
        [
            Override(a.id, skip=True),
            Override(b.id, name=" 8 Б (профильный) "),
            Override(c.id, without_students=True),
        ],
        carry_students=True,
    )
    assert [(p.outcome, p.name, p.carry_students) for p in plan] == [
        (Outcome.SKIPPED, "", False),
        (Outcome.PROMOTED, "8 Б (профильный)", True),
        (Outcome.PROMOTED, "8В", False),
    ]


def test_bad_overrides_name_their_fields() -> None:
    a, eleven = group("7А", {7}), group("11А", {11})
    with pytest.raises(InvalidArgument) as caught:
        plan_promotion(
            [a, eleven],
            [
                Override("nope"),
                Override(a.id),
                Override(a.id, skip=True),
                Override(eleven.id, name="12А"),
                Override(a.id, name="x" * 101),
            ],
        )
    assert [v.field for v in caught.value.violations] == [
        "promotions[0].group_id",
        "promotions[2].group_id",
        "promotions[4].group_id",
        "promotions[4].name",
        "promotions[3].name",
    ]
    assert "graduates" in caught.value.violations[-1].description


def test_a_name_already_in_the_new_year_is_already_exists_naming_the_group() -> None:
    a, robots = group("7А", {7}), group("Хор", {1}, GroupKind.ASSOCIATION)
    with pytest.raises(AlreadyExists) as caught:
        plan_promotion([a, robots], taken={"8А", "Хор"}, year_name="2027/2028")
    assert [v.field for v in caught.value.violations] == ["to_study_year_id"] * 2
    assert "«8А» (from «7А»)" in caught.value.violations[0].description
    assert "«2027/2028»" in caught.value.violations[0].description
    with pytest.raises(AlreadyExists) as renamed:
        plan_promotion([a], [Override(a.id, name="Хор")], taken={"Хор"})
    assert renamed.value.violations[0].field == "promotions[0].name"


def test_two_groups_that_would_get_one_name_are_refused() -> None:
    a, b = group("7А", {7}), group("7Б", {7})
    with pytest.raises(InvalidArgument) as caught:
        plan_promotion([a, b], [Override(b.id, name="8А")])
    assert caught.value.violations[0].field == "promotions[0].name"
    assert "«8А»" in caught.value.violations[0].description
    # The rename is named whichever of the two the deputy reads first.
    with pytest.raises(InvalidArgument) as first:
        plan_promotion([a, b], [Override(a.id, name="8Б")])
    assert first.value.violations[0].field == "promotions[0].name"


# --- the checklist --------------------------------------------------------------------------


def test_uncovered_days_of_the_year() -> None:
    bare = year()
    assert uncovered_days(bare) == [(date(2027, 9, 1), date(2028, 5, 31))]
    one, _ = bare.with_period("1 полугодие", date(2027, 9, 1), date(2027, 12, 28))
    two, _ = one.with_period("2 полугодие", date(2028, 1, 9), date(2028, 5, 30))
    assert uncovered_days(two) == [
        (date(2027, 12, 29), date(2028, 1, 8)),
        (date(2028, 5, 31), date(2028, 5, 31)),
    ]
    full, _ = bare.with_period("год", date(2027, 9, 1), date(2028, 5, 31))
    assert uncovered_days(full) == []


def test_an_empty_year_is_not_ready_and_says_what_to_do_first() -> None:
    result = checklist(YearState(year=year()))
    assert not result.ready
    assert all(not i.done for i in result.items)
    assert [i.key for i in result.items] == [
        "periods",
        "holidays",
        "groups",
        "students",
        "curriculum",
        "teaching_load",
        "timetable",
        "lesson_plans",
        "lesson_plans_approved",
    ]
    assert result.item("holidays").level == Level.WARNING
    assert "ни одного периода" in result.item("periods").missing[0].message
    assert "«2027/2028» нет ни одной группы" in result.item("groups").missing[0].message
    assert "сначала создайте группы" in result.item("students").missing[0].message
    assert "учебный план не задан" in result.item("timetable").missing[0].message
    assert result.item("groups").title == "Группы созданы"


def _state(**changes: object) -> YearState:
    full, _ = year().with_period("год", date(2027, 9, 1), date(2028, 5, 31))
    seven, ten = group("7А", {7}, year_id=full.id), group("10А", {10}, year_id=full.id)
    maths, robots = Subject("m", "Математика"), Subject("r", "Роботы", SubjectKind.PROGRAMME)
    base = YearState(
        year=full,
        groups=[ten, seven],
        subjects=[maths, robots],
        students={seven.id: 25, ten.id: 20},
        curriculum=[
            CurriculumLine(seven.id, "m", 170),
            CurriculumLine(seven.id, "m", 34, student_id="s1"),  # individual: same pair
            CurriculumLine(ten.id, "r", 68),
        ],
        load=[
            LoadLine("t", seven.id, "m", 170),
            LoadLine("t", seven.id, "m", 34, student_id="s1"),
            LoadLine("t", ten.id, "r", 68),
        ],
        slotted={(seven.id, "m"), (ten.id, "r")},
        plans={(seven.id, "m"): PlanStatus.APPROVED, (ten.id, "r"): PlanStatus.APPROVED},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_complete_year_is_ready_even_without_holidays() -> None:
    result = checklist(_state())
    assert result.ready
    assert not result.item("holidays").done
    assert [i.key for i in result.items if not i.done] == ["holidays"]
    with_holidays = _state()
    holidays = (Holiday(date(2027, 11, 1), date(2027, 11, 7), "осенние"),)
    with_holidays = replace(with_holidays, year=replace(with_holidays.year, holidays=holidays))
    assert all(i.done for i in checklist(with_holidays).items)


def test_missing_things_are_named_by_group_and_subject_in_russian() -> None:
    state = _state()
    ten, seven = state.groups
    result = checklist(
        replace(
            state,
            students={ten.id: 3},
            curriculum=[CurriculumLine(seven.id, "m", 170), CurriculumLine(seven.id, "r", 34)],
            load=[LoadLine("t", seven.id, "m", 136)],
            slotted={(seven.id, "r")},
            plans={(seven.id, "r"): PlanStatus.DRAFT},
        )
    )
    assert not result.ready
    assert [m.message for m in result.item("students").missing] == ["7А: нет учащихся"]
    assert [m.group_id for m in result.item("curriculum").missing] == [ten.id]
    assert [m.message for m in result.item("curriculum").missing] == [
        "10А: нет строк учебного плана"
    ]
    load = result.item("teaching_load").missing
    assert [(m.group_id, m.subject_id) for m in load] == [(seven.id, "m"), (seven.id, "r")]
    assert "7А, Математика: по учебному плану 170 ч, распределено 136 ч" in load[0].message
    timetable = result.item("timetable").missing
    assert [m.message for m in timetable] == ["7А: нет расписания по предмету «Математика»"]
    assert (timetable[0].group_id, timetable[0].subject_id) == (seven.id, "m")
    assert [m.message for m in result.item("lesson_plans").missing] == [
        "7А: нет КТП по предмету «Математика»"
    ]
    assert [m.message for m in result.item("lesson_plans_approved").missing] == [
        "7А: КТП по предмету «Математика» не утверждён (его ещё нет)",
        "7А: КТП по программе «Роботы» не утверждён",
    ]


def test_groups_are_listed_in_the_order_the_deputy_reads_them() -> None:
    state = _state(students={})
    assert [m.message for m in checklist(state).item("students").missing] == [
        "7А: нет учащихся",
        "10А: нет учащихся",
    ]


def test_days_outside_the_periods_are_named_with_dates() -> None:
    bare = year()
    one, _ = bare.with_period("1 полугодие", date(2027, 9, 1), date(2027, 12, 28))
    two, _ = one.with_period("2 полугодие", date(2028, 1, 9), date(2028, 5, 31))
    (gap,) = checklist(_state(year=two)).item("periods").missing
    assert gap.message == "дни с 29.12.2027 по 08.01.2028 не входят ни в один период обучения"
    assert (gap.starts, gap.ends) == (date(2027, 12, 29), date(2028, 1, 8))
    assert not checklist(_state(year=two)).ready
