"""The curriculum and the teaching load checked against it: every mismatch named in Russian."""

from __future__ import annotations

import pytest

from zhurnal_curriculum.domain.hours import (
    MAX_HOURS,
    CurriculumLine,
    LoadLine,
    Mismatch,
    MismatchKind,
    Names,
    Subject,
    SubjectKind,
    check_load,
    hours_for,
    validate_curriculum,
    validate_load,
)
from zhurnal_kit.errors import InvalidArgument

NAMES = Names.of(
    groups={"7a": "7А", "10a": "10А", "robots": "Робототехника"},
    subjects=[
        Subject.create(id="math", name="Математика"),
        Subject.create(id="eng", name="Английский язык"),
        Subject.create(id="phys", name="Физика"),
        Subject.create(id="lego", name="Лего-конструирование", kind=SubjectKind.PROGRAMME),
    ],
    students={"s1": "Иванов Иван"},
    teachers={"t1": "Петрова А. С.", "t2": "Сидоров В. П."},
)
MATH_7A = CurriculumLine("7a", "math", 170)


def fields(error: InvalidArgument) -> list[str]:
    return [violation.field for violation in error.violations]


def only(mismatches: list[Mismatch]) -> Mismatch:
    assert len(mismatches) == 1, mismatches
    return mismatches[0]


# --- the load check ------------------------------------------------------------------------


def test_a_load_that_covers_the_curriculum_exactly_has_no_mismatch() -> None:
    curriculum = [MATH_7A, CurriculumLine("7a", "eng", 102)]
    load = [LoadLine("t1", "7a", "math", 170), LoadLine("t2", "7a", "eng", 102)]
    assert check_load(curriculum, load, NAMES) == []


def test_a_curriculum_line_nobody_teaches_is_uncovered() -> None:
    mismatch = only(check_load([MATH_7A], [], NAMES))
    assert mismatch.kind is MismatchKind.UNCOVERED
    assert (mismatch.expected, mismatch.actual, mismatch.teachers) == (170, 0, ())
    assert mismatch.message == "7А, Математика: по учебному плану 170 ч, в нагрузке учителей нет"


def test_too_few_hours_are_under_with_the_missing_hours_in_the_message() -> None:
    mismatch = only(check_load([MATH_7A], [LoadLine("t1", "7a", "math", 136)], NAMES))
    assert mismatch.kind is MismatchKind.UNDER
    assert mismatch.difference == -34
    assert mismatch.teachers == (("t1", 136),)
    assert mismatch.message == (
        "7А, Математика: по учебному плану 170 ч, распределено 136 ч (не хватает 34 ч)"
    )


def test_too_many_hours_are_over() -> None:
    mismatch = only(check_load([MATH_7A], [LoadLine("t1", "7a", "math", 204)], NAMES))
    assert mismatch.kind is MismatchKind.OVER
    assert mismatch.difference == 34
    assert mismatch.message == (
        "7А, Математика: по учебному плану 170 ч, распределено 204 ч (лишние 34 ч)"
    )


def test_load_without_a_curriculum_line_is_flagged_with_its_teachers() -> None:
    load = [LoadLine("t1", "7a", "math", 170), LoadLine("t2", "7a", "phys", 68)]
    mismatch = only(check_load([MATH_7A], load, NAMES))
    assert mismatch.kind is MismatchKind.NOT_IN_CURRICULUM
    assert (mismatch.group_id, mismatch.subject_id, mismatch.expected) == ("7a", "phys", 0)
    assert mismatch.message == (
        "7А, Физика: нет в учебном плане, а в нагрузке 68 ч (Сидоров В. П. — 68 ч)"
    )


def test_unknown_names_are_shown_as_ids() -> None:
    mismatch = only(check_load([CurriculumLine("g-42", "subj-9", 34)], []))
    assert mismatch.message.startswith("g-42, subj-9: по учебному плану 34 ч")


def test_teachers_sharing_a_subject_add_up() -> None:
    # One teacher until January, another after: 85 + 85 = 170.
    shared = [LoadLine("t1", "7a", "math", 85), LoadLine("t2", "7a", "math", 85)]
    assert check_load([MATH_7A], shared, NAMES) == []

    short = [LoadLine("t1", "7a", "math", 85), LoadLine("t2", "7a", "math", 51)]
    mismatch = only(check_load([MATH_7A], short, NAMES))
    assert mismatch.kind is MismatchKind.UNDER
    assert mismatch.actual == 136
    assert mismatch.teachers == (("t1", 85), ("t2", 51))


def test_a_split_group_is_checked_subgroup_by_subgroup() -> None:
    english = CurriculumLine("7a", "eng", 102)
    split = [
        LoadLine("t1", "7a", "eng", 102, subgroup="1"),
        LoadLine("t2", "7a", "eng", 102, subgroup="2"),
    ]
    assert check_load([english], split, NAMES) == []

    short = [split[0], LoadLine("t2", "7a", "eng", 68, subgroup="2")]
    mismatch = only(check_load([english], short, NAMES))
    assert (mismatch.kind, mismatch.subgroup, mismatch.actual) == (MismatchKind.UNDER, "2", 68)
    assert mismatch.message == (
        "7А, Английский язык, подгруппа 2: по учебному плану 102 ч, распределено 68 ч "
        "(не хватает 34 ч)"
    )


def test_whole_group_hours_count_towards_every_subgroup() -> None:
    # The group is together until December (34 h), split after (68 h each).
    english = CurriculumLine("7a", "eng", 102)
    load = [
        LoadLine("t1", "7a", "eng", 34),
        LoadLine("t1", "7a", "eng", 68, subgroup="1"),
        LoadLine("t2", "7a", "eng", 68, subgroup="2"),
    ]
    assert check_load([english], load, NAMES) == []


def test_an_individual_curriculum_line_is_covered_only_by_that_students_load() -> None:
    individual = CurriculumLine("7a", "math", 68, student_id="s1")
    group_only = [LoadLine("t1", "7a", "math", 170)]
    mismatch = only(check_load([MATH_7A, individual], group_only, NAMES))
    assert (mismatch.kind, mismatch.student_id) == (MismatchKind.UNCOVERED, "s1")
    assert mismatch.message == (
        "7А, Математика (индивидуальный план, Иванов Иван): по учебному плану 68 ч, "
        "в нагрузке учителей нет"
    )

    both = [*group_only, LoadLine("t2", "7a", "math", 68, student_id="s1")]
    assert check_load([MATH_7A, individual], both, NAMES) == []


def test_individual_load_without_an_individual_curriculum_is_flagged() -> None:
    load = [LoadLine("t1", "7a", "math", 170), LoadLine("t2", "7a", "math", 34, student_id="s1")]
    mismatch = only(check_load([MATH_7A], load, NAMES))
    assert (mismatch.kind, mismatch.student_id) == (MismatchKind.NOT_IN_CURRICULUM, "s1")
    assert "нет в индивидуальном учебном плане" in mismatch.message


def test_a_period_split_is_checked_against_the_year_total_of_the_load() -> None:
    halves = CurriculumLine("7a", "math", 170, periods={"h1": 80, "h2": 90}).validated(
        period_ids={"h1", "h2"}
    )
    assert check_load([halves], [LoadLine("t1", "7a", "math", 170)], NAMES) == []
    assert only(check_load([halves], [LoadLine("t1", "7a", "math", 80)], NAMES)).actual == 80


def test_mismatches_read_in_the_deputys_order() -> None:
    curriculum = [
        CurriculumLine("10a", "math", 136),
        CurriculumLine("7a", "phys", 68),
        CurriculumLine("7a", "math", 170),
        CurriculumLine("robots", "lego", 144),
    ]
    found = check_load(curriculum, [], NAMES)
    assert [(m.group_id, m.subject_id) for m in found] == [
        ("7a", "math"),
        ("7a", "phys"),
        ("10a", "math"),
        ("robots", "lego"),
    ]


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, -1, MAX_HOURS + 1, 1.5, True])
def test_hours_are_whole_academic_hours_from_1_to_2000(hours: object) -> None:
    with pytest.raises(InvalidArgument) as caught:
        CurriculumLine("7a", "math", hours).validated()  # type: ignore[arg-type]
    assert fields(caught.value) == ["hours"]
    with pytest.raises(InvalidArgument) as caught:
        LoadLine("t1", "7a", "math", hours).validated()  # type: ignore[arg-type]
    assert fields(caught.value) == ["hours"]


def test_the_period_split_must_sum_to_the_year() -> None:
    with pytest.raises(InvalidArgument) as caught:
        CurriculumLine("7a", "math", 170, periods={"h1": 80, "h2": 80}).validated()
    assert fields(caught.value) == ["periods"]
    assert "160" in caught.value.violations[0].description

    # A period without hours (taught only in the second half) is fine.
    line = CurriculumLine("7a", "phys", 34, periods={"h1": 0, "h2": 34}).validated()
    assert line.periods == {"h1": 0, "h2": 34}


def test_the_period_split_names_periods_of_the_year_only() -> None:
    with pytest.raises(InvalidArgument) as caught:
        CurriculumLine("7a", "math", 170, periods={"h1": 85, "q9": 85}).validated(
            prefix="lines[0].", period_ids={"h1", "h2"}
        )
    assert fields(caught.value) == ["lines[0].periods[q9]"]


def test_a_curriculum_names_each_bad_line_and_repeated_lines() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_curriculum(
            [
                MATH_7A,
                CurriculumLine("", "eng", 0),
                CurriculumLine("7a", "math", 136),
                CurriculumLine("7a", "math", 68, student_id="s1"),  # individual: not a repeat
            ]
        )
    assert fields(caught.value) == ["lines[1].group_id", "lines[1].hours", "lines[2]"]
    assert caught.value.violations[-1].description == "repeats lines[0]"


def test_a_load_may_not_give_a_teacher_the_same_line_twice() -> None:
    line = LoadLine("t1", "7a", "math", 85)
    with pytest.raises(InvalidArgument) as caught:
        validate_load([line, LoadLine("t2", "7a", "math", 85), line], field_name="load")
    assert fields(caught.value) == ["load[2]"]
    # Two subgroups of one teacher are two lines.
    assert len(validate_load([line, LoadLine("t1", "7a", "math", 85, subgroup=" 2 ")])) == 2
    assert validate_load([LoadLine("t1", "7a", "eng", 1, subgroup=" 2 ")])[0].subgroup == "2"


def test_subjects_have_a_tidy_name_and_a_kind() -> None:
    lego = Subject.create(id="lego", name="  Лего-\nконструирование ", kind=SubjectKind.PROGRAMME)
    assert (lego.name, lego.kind) == ("Лего- конструирование", SubjectKind.PROGRAMME)
    with pytest.raises(InvalidArgument) as caught:
        Subject.create(id="", name=" ")
    assert fields(caught.value) == ["id", "name"]


def test_hours_for_finds_the_groups_line_or_none() -> None:
    curriculum = [MATH_7A, CurriculumLine("7a", "math", 68, student_id="s1")]
    assert hours_for(curriculum, "7a", "math") == 170
    assert hours_for(curriculum, "7a", "math", "s1") == 68
    assert hours_for(curriculum, "7a", "phys") is None
