"""Lesson plans (КТП): hours against the curriculum, approval, copying, topics over lessons,
and import from teachers' spreadsheets (all or nothing, every bad row named)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest

from zhurnal_curriculum.domain.plans import (
    MAX_TOPIC,
    ImportProblem,
    LessonKind,
    LessonPlan,
    PlanImport,
    PlanProblemKind,
    PlanStatus,
    PlanTopic,
    Severity,
    approve,
    check_plan,
    copy_from,
    link_topics_to_lessons,
    parse_plan_file,
    planned_topic_for,
    topics_without_lessons,
)
from zhurnal_kit.errors import FailedPrecondition, InvalidArgument

FIXTURES = Path(__file__).parent.parent / "fixtures"
AT = datetime(2026, 8, 25, 10, 0, tzinfo=UTC)


def topics(*hours: int) -> list[PlanTopic]:
    return [PlanTopic(i, f"Тема {i}", h) for i, h in enumerate(hours, start=1)]


def plan(*hours: int, texts: Sequence[str] = ()) -> LessonPlan:
    items = topics(*hours)
    for i, text in enumerate(texts):
        items[i] = PlanTopic(i + 1, text, items[i].hours)
    return LessonPlan.create(
        group_id="7a", subject_id="math", teacher_id="t1", study_year_id="y2026", topics=items
    )


def fields(error: InvalidArgument | FailedPrecondition) -> list[str]:
    return [violation.field for violation in error.violations]


# --- hours against the curriculum ----------------------------------------------------------


def test_a_plan_with_the_curriculums_hours_has_no_problem() -> None:
    assert check_plan(plan(2, 3, 5), 10) == []


def test_a_plan_short_of_hours_says_by_how_much() -> None:
    short = plan(*[2] * 84)  # 168 h
    (problem,) = check_plan(short, 170)
    assert (problem.kind, problem.severity) == (PlanProblemKind.HOURS, Severity.ERROR)
    assert (problem.expected, problem.actual) == (170, 168)
    assert problem.message == "План: 168 ч, по учебному плану 170 ч (не хватает 2 ч)."


def test_a_plan_over_the_hours_is_off_too() -> None:
    (problem,) = check_plan(plan(5, 5, 2), 10)
    assert problem.message == "План: 12 ч, по учебному плану 10 ч (лишние 2 ч)."
    assert problem.blocks_approval


def test_a_plan_for_a_subject_the_curriculum_lacks_is_off() -> None:
    (problem,) = check_plan(plan(2), None)
    assert problem.kind is PlanProblemKind.NOT_IN_CURRICULUM
    assert problem.blocks_approval


def test_a_draft_is_saved_whatever_its_hours() -> None:
    draft = plan(1)
    assert draft.status is PlanStatus.DRAFT
    assert draft.total_hours == 1
    assert (
        LessonPlan.create(
            group_id="7a", subject_id="math", teacher_id="t1", study_year_id="y"
        ).topics
        == ()
    )


# --- approval ------------------------------------------------------------------------------


def test_approval_is_refused_while_the_hours_differ() -> None:
    with pytest.raises(FailedPrecondition) as caught:
        approve(plan(2, 3), 10, "deputy-1", at=AT)
    assert fields(caught.value) == ["topics"]
    assert caught.value.violations[0].description.startswith("План: 5 ч, по учебному плану 10 ч")


def test_approval_is_refused_without_a_curriculum_line() -> None:
    with pytest.raises(FailedPrecondition) as caught:
        approve(plan(2, 3), None, "deputy-1", at=AT)
    assert fields(caught.value) == ["subject_id"]


def test_approval_is_given_when_the_hours_are_equal_despite_warnings() -> None:
    draft = plan(2, 3, texts=["Present Simple"])
    approved = approve(draft, 5, "deputy-1", at=AT)
    assert approved.status is PlanStatus.APPROVED
    assert (approved.approved_by, approved.approved_at) == ("deputy-1", AT)
    assert approved.topics == draft.topics
    assert draft.status is PlanStatus.DRAFT  # plans are values: the draft is unchanged


def test_an_approved_plan_is_not_approved_twice_and_a_changed_one_is_a_draft_again() -> None:
    approved = approve(plan(2, 3), 5, "deputy-1", at=AT)
    with pytest.raises(FailedPrecondition) as caught:
        approve(approved, 5, "deputy-2", at=AT)
    assert fields(caught.value) == ["status"]

    changed = approved.with_topics(topics(1, 4))
    assert changed.status is PlanStatus.DRAFT
    assert (changed.approved_by, changed.approved_at) == ("", None)
    assert approve(changed, 5, "deputy-2", at=AT).approved


def test_approval_needs_an_approver() -> None:
    with pytest.raises(InvalidArgument) as caught:
        approve(plan(5), 5, " ", at=AT)
    assert fields(caught.value) == ["approver"]


# --- copying from last year ----------------------------------------------------------------


def test_copy_from_last_year_is_a_new_draft_with_the_same_topics() -> None:
    last_year = approve(plan(2, 3), 5, "deputy-1", at=AT)
    copy = copy_from(last_year, group_id="7b", study_year_id="y2027")
    assert copy.id != last_year.id
    assert copy.copied_from == last_year.id
    assert (copy.group_id, copy.study_year_id, copy.subject_id) == ("7b", "y2027", "math")
    assert copy.teacher_id == "t1"
    assert copy.status is PlanStatus.DRAFT
    assert copy.approved_by == ""
    assert copy.topics == last_year.topics

    other_teacher = copy_from(last_year, group_id="7a", study_year_id="y2027", teacher_id="t2")
    assert other_teacher.teacher_id == "t2"


def test_a_plan_is_not_copied_onto_itself() -> None:
    with pytest.raises(InvalidArgument):
        copy_from(plan(2), group_id="7a", study_year_id="y2026")


# --- topics over the dated lessons ---------------------------------------------------------

LESSONS = [f"L{i}" for i in range(1, 8)]


def test_a_topic_of_n_hours_covers_n_consecutive_lessons() -> None:
    links = link_topics_to_lessons(plan(2, 1, 3), LESSONS[:6])
    assert links == {
        "L1": (1, "Тема 1"),
        "L2": (1, "Тема 1"),
        "L3": (2, "Тема 2"),
        "L4": (3, "Тема 3"),
        "L5": (3, "Тема 3"),
        "L6": (3, "Тема 3"),
    }


def test_lessons_beyond_the_plan_get_no_topic() -> None:
    links = link_topics_to_lessons(plan(2, 1), LESSONS)
    assert list(links) == ["L1", "L2", "L3"]
    assert planned_topic_for(plan(2, 1), LESSONS, "L7") is None


def test_with_fewer_lessons_than_hours_the_last_topics_get_none() -> None:
    short = plan(2, 1, 3)
    links = link_topics_to_lessons(short, LESSONS[:4])
    assert links["L4"] == (3, "Тема 3")
    assert len(links) == 4
    assert [t.order for t in topics_without_lessons(short, 4)] == [3]  # 1 of its 3 h taught
    assert [t.order for t in topics_without_lessons(short, 2)] == [2, 3]
    assert topics_without_lessons(short, 6) == []


def test_the_journal_asks_for_the_planned_topic_of_one_lesson() -> None:
    topic = planned_topic_for(plan(2, 1, 3), LESSONS, "L3")
    assert topic is not None
    assert (topic.order, topic.text, topic.kind) == (2, "Тема 2", LessonKind.LESSON)
    assert planned_topic_for(plan(2), LESSONS, "elsewhere") is None


def test_a_lesson_given_twice_is_refused() -> None:
    with pytest.raises(InvalidArgument) as caught:
        link_topics_to_lessons(plan(2), ["L1", "L2", "L1"])
    assert fields(caught.value) == ["lesson_ids[2]"]


# --- topics --------------------------------------------------------------------------------


def test_a_topic_without_a_russian_letter_is_a_warning_only() -> None:
    mixed = plan(1, 1, 1, texts=["Present Simple", "Урок 2. Present Simple", "1812"])
    problems = check_plan(mixed, 3)
    assert [(p.kind, p.severity, p.topic_order) for p in problems] == [
        (PlanProblemKind.NOT_IN_RUSSIAN, Severity.WARNING, 1),
        (PlanProblemKind.NOT_IN_RUSSIAN, Severity.WARNING, 3),
    ]
    assert problems[0].message.startswith("Тема 1 «Present Simple» — ни одной русской буквы")
    assert not any(p.blocks_approval for p in problems)


def test_topics_are_checked_field_by_field() -> None:
    bad = [
        PlanTopic(1, "  Дроби\n и  проценты ", 2),
        PlanTopic(2, "   ", 0),
        PlanTopic(4, "Я" * (MAX_TOPIC + 1), 21),
    ]
    with pytest.raises(InvalidArgument) as caught:
        plan().with_topics(bad)
    assert fields(caught.value) == [
        "topics[1].text",
        "topics[1].hours",
        "topics[2].order",
        "topics[2].text",
        "topics[2].hours",
    ]
    tidy = plan().with_topics(bad[:1])
    assert tidy.topics[0].text == "Дроби и проценты"


# --- import --------------------------------------------------------------------------------


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def summary(result: PlanImport) -> list[tuple[int, str, int, LessonKind]]:
    return [(t.order, t.text, t.hours, t.kind) for t in result.topics]


RU_TOPICS = [
    (1, "Повторение: натуральные числа", 1, LessonKind.LESSON),
    (2, "Обыкновенные дроби. Сложение и вычитание", 2, LessonKind.LESSON),
    (3, "Практическая работа № 1 «Измерение углов»", 1, LessonKind.PRACTICAL),
    (4, "Решение задач; подготовка к контрольной", 3, LessonKind.LESSON),
    (5, "Экскурсия в музей занимательной математики", 1, LessonKind.EXCURSION),
    (6, "Математическая олимпиада", 1, LessonKind.COMPETITION),
    (7, "Итоговое повторение", 1, LessonKind.OTHER),
]


def test_a_russian_cp1251_csv_with_a_title_and_a_total_is_read_in_full() -> None:
    result = parse_plan_file(fixture("plan_ru_cp1251.csv"), "csv")
    assert result.ok, result.problems
    assert summary(result) == RU_TOPICS
    assert result.total_hours == 10
    assert result.lines == 8  # seven topics and the «Итого» row
    assert result.columns["hours"] == "Кол-во часов"
    assert result.ignored_columns == ["Дата"]
    assert result.warnings == []


def test_an_english_utf8_csv_with_commas_in_any_column_order_is_read() -> None:
    result = parse_plan_file(fixture("plan_en_utf8.csv"), "csv")
    assert result.ok, result.problems
    assert summary(result) == [
        (1, "Введение: что такое робототехника, и зачем она", 2, LessonKind.LESSON),
        (2, "Сборка первой модели", 3, LessonKind.PRACTICAL),
        (3, "Scratch Jr", 1, LessonKind.OTHER),
        (4, "Городские соревнования по робототехнике", 2, LessonKind.COMPETITION),
    ]
    (warning,) = result.warnings
    assert (warning.line, warning.column) == (4, "Topic")


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_reads_as_its_csv_does() -> None:
    content = xlsx(
        [
            ["КТП по математике, 7А"],
            [],
            ["Дата", "ВИД ЗАНЯТИЯ", "№ урока", "Тема", "Часы"],
            [date(2026, 9, 1), "урок", 1, "Повторение: натуральные числа", 1],
            [None, None, "2–3", "Обыкновенные дроби. Сложение и вычитание", 2.0],
            [None, "практическая работа", 4, "Практическая работа № 1 «Измерение углов»", "1"],
            [None, "Урок", "5-7", "Решение задач; подготовка к контрольной", 3],
            [None, "Экскурсия", 8, "Экскурсия в музей занимательной математики", 1],
            [None, "соревнование", 9, "Математическая олимпиада", 1],
            [None, "другое", 10, "Итоговое повторение", 1],
        ]
    )
    result = parse_plan_file(content, "xlsx")
    assert result.ok, result.problems
    assert summary(result) == RU_TOPICS
    # A workbook uploaded with the CSV label is still read as a workbook.
    assert summary(parse_plan_file(content, "csv")) == RU_TOPICS


def test_a_bad_file_lists_every_bad_row_and_imports_nothing() -> None:
    result = parse_plan_file(fixture("plan_bad.csv"), "csv")
    assert result.topics == []
    assert [(p.line, p.column) for p in result.problems] == [
        (3, "Тема"),
        (4, "Часы"),
        (5, "Часы"),
        (6, "Вид занятия"),
        (7, "№"),
        (8, "№"),
        (9, "столбец 5"),
        (10, "№"),
    ]
    reasons = {p.line: p.reason for p in result.problems}
    assert reasons[3] == "Тема не указана."
    assert reasons[4] == "На тему 0 ч: нужно целое число от 1 до 20."
    assert reasons[5] == "Часы «1,5» не распознаны: нужно целое число от 1 до 20."
    assert reasons[6].startswith("Неизвестный вид занятия «викторина»")
    assert reasons[7] == "Номер 5 повторяется: он же в строке 6."
    assert reasons[8] == "Номера 7–8 — это 2 ч, а в столбце «Часы» 3."
    assert "возьмите тему в кавычки" in reasons[9]
    assert reasons[10].startswith("Номер «десять» не распознан")


def test_one_bad_row_among_good_ones_blocks_the_whole_file() -> None:
    content = "Тема;Часы\nДроби;2\nПроценты;\nУравнения;3\n".encode()
    result = parse_plan_file(content, "csv")
    assert result.topics == []
    assert result.problems == [ImportProblem(3, "Часы", "Не указано число часов.")]


def test_without_a_number_column_the_files_order_is_kept_and_with_one_the_numbers_order() -> None:
    plain = parse_plan_file("topic,hours\nБ,1\nА,2\n".encode(), "csv")
    assert [(t.order, t.text) for t in plain.topics] == [(1, "Б"), (2, "А")]
    numbered = parse_plan_file("№;Тема;Часы\n2;Б;1\n1;А;2\n".encode(), "csv")
    assert [(t.order, t.text) for t in numbered.topics] == [(1, "А"), (2, "Б")]


def test_a_section_heading_is_skipped_with_a_warning_and_a_row_without_number_is_not() -> None:
    content = "№;Тема;Часы\n;Раздел 1. Числа;\n1;Дроби;2\n;Раздел 2. Уравнения;4\n".encode()
    result = parse_plan_file(content, "csv")
    assert result.topics == []
    assert [(w.line, w.reason) for w in result.warnings] == [
        (2, "Строка «Раздел 1. Числа» без номера и часов пропущена как заголовок раздела.")
    ]
    assert [(p.line, p.column) for p in result.problems] == [(4, "№")]
    assert "заголовок раздела" in result.problems[0].reason

    fixed = parse_plan_file(content.replace("Уравнения;4".encode(), "Уравнения;".encode()), "csv")
    assert [(t.order, t.text) for t in fixed.topics] == [(1, "Дроби")]


def test_a_total_row_that_disagrees_with_the_topics_is_a_problem() -> None:
    result = parse_plan_file("Тема;Часы\nДроби;2\nПроценты;3\nИтого;6\n".encode(), "csv")
    assert result.topics == []
    assert result.problems == [
        ImportProblem(4, "Часы", "В строке «Итого» 6 ч, а сумма часов по темам 5 ч.")
    ]


def test_a_long_topic_and_an_unquoted_comma_are_problems() -> None:
    long = "Я" * (MAX_TOPIC + 1)
    result = parse_plan_file(f"Тема,Часы\n{long},1\nДроби, проценты,2\n".encode(), "csv")
    assert [(p.line, p.column) for p in result.problems] == [
        (2, "Тема"),
        (3, "Часы"),  # « проценты»: the comma shifted the row
        (3, "столбец 3"),
    ]
    assert result.problems[0].reason == f"Тема длиннее {MAX_TOPIC} символов (в ней 501)."


@pytest.mark.parametrize(
    ("content", "fmt", "reason"),
    [
        (b"", "csv", "Файл пуст."),
        (b" \r\n", "csv", "Файл пуст."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "csv", "Excel 97–2003"),
        ("Тема;Часы\n".encode(), "xlsx", "не является книгой Excel"),
        (b"PK\x03\x04 not really a zip", "xlsx", "не является книгой Excel"),
        (b"\x00\x01\x02 binary", "csv", "не похож на таблицу CSV"),
    ],
)
def test_unreadable_files_are_one_problem_on_line_1(content: bytes, fmt: str, reason: str) -> None:
    result = parse_plan_file(content, fmt)  # type: ignore[arg-type]
    (problem,) = result.problems
    assert (problem.line, problem.column) == (1, "")
    assert reason in problem.reason
    assert result.topics == []


def test_missing_columns_and_empty_plans_are_named() -> None:
    no_hours = parse_plan_file("№;Тема;Дата\n1;Дроби;01.09.2026\n".encode(), "csv")
    assert [(p.line, p.column) for p in no_hours.problems] == [(1, "Часы")]
    assert no_hours.problems[0].reason.startswith("Нет обязательного столбца «Часы»")

    header_only = parse_plan_file("Тема;Часы\n;\n".encode("cp1251"), "csv")
    assert header_only.problems == [
        ImportProblem(1, "", "В файле нет ни одной темы после заголовка.")
    ]

    twice = parse_plan_file("Тема;Тема урока;Часы\nА;Б;1\n".encode(), "csv")
    assert [(p.line, p.column) for p in twice.problems] == [(1, "Тема урока")]
