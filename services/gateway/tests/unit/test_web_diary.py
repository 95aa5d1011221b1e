"""The diary pages' pure parts: which week and which student, grouping marks by period and
year, and every text of the diary's templates translated into Russian."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from jinja2.ext import babel_extract

from zhurnal_gateway.api.journal import DiaryLesson, FinalMark, LessonInfo, Mark, Period
from zhurnal_gateway.i18n import catalogue
from zhurnal_gateway.web import diary
from zhurnal_gateway.web.render import TEMPLATES
from zhurnal_gateway.web.viewer import Viewer
from zhurnal_kit.errors import DomainError


def viewer(person_id: str, roles: tuple[str, ...], children: tuple[str, ...] = ()) -> Viewer:
    return Viewer(
        session=None,  # type: ignore[arg-type]
        person_id=person_id,
        name="Иванова Мария",
        bindings=tuple(("school", role) for role in roles),
        children_ids=children,
        active=True,
    )


def lesson(
    day: date,
    start: str = "10:00",
    *,
    subject: str = "maths",
    year: str = "y2026",
    period: str = "p1",
    marks: tuple[str, ...] = (),
) -> DiaryLesson:
    return DiaryLesson(
        lesson=LessonInfo(
            id=f"{day}-{start}-{subject}",
            institution_id="school",
            study_year_id=year,
            group_id="7a",
            subject_id=subject,
            teacher_id="t",
            date=day,
            start=start,
            duration=45,
            status="scheduled",
            period_id=period,
            due_at=None,
            overdue=False,
            read_only=False,
            read_only_reason="",
            substitute_ids=[],
        ),
        topic="Дроби",
        homework="",
        kind="lesson",
        attendance="present",
        late_minutes=0,
        marks=[
            Mark(
                id=f"m{i}",
                student_id="s",
                value=value,
                type_code="oral",
                scale_id="",
                weight=1.0,
                comment="",
                entered_by="t",
                entered_at=None,
            )
            for i, value in enumerate(marks)
        ],
    )


def final(
    value: str, *, subject: str = "maths", year: str = "y2026", period: str = "", set_at: Any = None
) -> FinalMark:
    return FinalMark(
        student_id="s",
        group_id="7a",
        subject_id=subject,
        study_year_id=year,
        period_id=period,
        value=value,
        set_by="t",
        set_at=set_at,
    )


def test_a_week_is_monday_to_sunday_of_the_day_asked_for() -> None:
    today = date(2026, 11, 28)  # a Saturday
    assert diary.parse_week("", today) == date(2026, 11, 23)
    assert diary.parse_week("2026-11-29", today) == date(2026, 11, 23)
    assert diary.parse_week("2026-11-30", today) == date(2026, 11, 30)
    with pytest.raises(DomainError):
        diary.parse_week("next tuesday", today)


def test_an_overlong_student_id_is_refused_before_any_call() -> None:
    assert diary.checked_id(" abc ", "student") == "abc"
    with pytest.raises(DomainError):
        diary.checked_id("x" * 37, "student")


def test_whose_diary_the_one_asked_for_else_ones_own_else_the_first_child() -> None:
    student = viewer("s1", ("student",))
    parent = viewer("g1", ("guardian",), ("c1", "c2"))
    assert diary.chosen_student(student, "", []) == "s1"
    assert diary.chosen_student(parent, "", ["c2", "c1"]) == "c2"
    # Any other id is passed on: the journal decides whether it may be read.
    assert diary.chosen_student(parent, "c1", ["c2", "c1"]) == "c1"
    assert diary.chosen_student(parent, "stranger", ["c2", "c1"]) == "stranger"
    assert diary.chosen_student(viewer("g2", ("guardian",)), "", []) == ""


def test_children_are_listed_by_name() -> None:
    children = [("c3", ""), ("c1", "Иванова Анна"), ("c2", "Иванов Пётр"), ("c4", "Ёжиков Лев")]
    assert [c for c, _ in sorted(children, key=diary.name_order)] == ["c4", "c2", "c1", "c3"]


def test_week_days_hold_their_lessons_by_time_and_nothing_outside_the_week() -> None:
    monday = date(2026, 11, 23)
    days = diary.week_days(
        monday,
        [
            lesson(date(2026, 11, 25), "11:00"),
            lesson(date(2026, 11, 25), "09:00"),
            lesson(date(2026, 11, 30)),
        ],
    )
    assert [d.date for d in days] == [date(2026, 11, 23 + i) for i in range(7)]
    assert [item.lesson.start for item in days[2].lessons] == ["09:00", "11:00"]
    assert sum(len(d.lessons) for d in days) == 2


def test_the_current_study_year_is_that_of_the_latest_lesson_so_far() -> None:
    today = date(2026, 11, 28)
    lessons = [lesson(date(2026, 5, 20), year="y2025"), lesson(date(2026, 11, 20))]
    assert diary.current_year_id(lessons, today) == "y2026"
    assert diary.current_year_id([lesson(date(2026, 12, 1), year="next")], today) == "next"
    assert diary.current_year_id([], today) == ""


def test_marks_per_period_in_order_with_final_marks() -> None:
    lessons = [
        lesson(date(2026, 11, 20), period="p2", marks=("5",)),
        lesson(date(2026, 10, 1), period="p1", marks=("4", "3")),
        lesson(date(2026, 10, 2), period="p1", subject="russian"),
        lesson(date(2026, 3, 1), year="y2025", period="old", marks=("2",)),
    ]
    finals = [final("4", period="p1"), final("5", subject="history", period="p1")]
    periods = diary.periods_of_year(lessons, finals, "y2026")
    assert [(p.period_id, p.number) for p in periods] == [("p1", 1), ("p2", 2)]
    first = {row.subject_id: row for row in periods[0].subjects}
    assert [m.value for _, m in first["maths"].marks] == ["4", "3"]
    assert first["maths"].final == "4"
    assert first["russian"].marks == [] and first["russian"].final == ""
    # A final mark of a subject without lessons in the range still shows.
    assert first["history"].final == "5"
    assert periods[1].first == periods[1].last == date(2026, 11, 20)


def test_final_marks_of_every_earlier_year_newest_first() -> None:
    finals = [
        final("4", year="y2024", set_at=datetime(2025, 5, 25, tzinfo=UTC)),
        final("5", year="y2025", period="q1", set_at=datetime(2025, 10, 30, tzinfo=UTC)),
        final("3", year="y2025", period="q2", set_at=datetime(2025, 12, 27, tzinfo=UTC)),
        final("4", year="y2025", set_at=datetime(2026, 5, 26, tzinfo=UTC)),
        final("5", year="y2026", period="p1"),
    ]
    years = diary.year_finals(finals, [], skip="y2026")
    assert [(y.label, y.periods) for y in years] == [("2025/2026", ["q1", "q2"]), ("2024/2025", [])]
    assert years[0].subjects == [("maths", ["5", "3"], "4")]
    assert years[1].subjects == [("maths", [], "4")]


def test_periods_are_named_and_ordered_as_the_diary_carries_them() -> None:
    lessons = [
        lesson(date(2026, 11, 20), period="p2", marks=("5",)),
        lesson(date(2026, 10, 1), period="p1", marks=("4",)),
        lesson(date(2026, 11, 2), period="p3"),
    ]
    known = [
        Period(id="p1", name="Первое полугодие", starts=date(2026, 9, 15), ends=date(2026, 12, 27)),
        # Starts before p1: comes first although its own lesson is later.
        Period(id="p2", name="Осенний модуль", starts=date(2026, 9, 1), ends=date(2026, 11, 30)),
    ]
    periods = diary.periods_of_year(lessons, [], "y2026", known)
    assert [(p.period_id, p.number) for p in periods] == [("p2", 1), ("p1", 2), ("p3", 3)]
    assert periods[0].period is not None and periods[0].period.name == "Осенний модуль"
    assert periods[1].period is not None and periods[1].period.ends == date(2026, 12, 27)
    # A period the diary does not carry keeps its lessons' dates and no name.
    assert periods[2].period is None and periods[2].first == date(2026, 11, 2)


def test_earlier_years_order_their_periods_by_the_periods_start_when_known() -> None:
    finals = [
        final("5", year="y2025", period="q1", set_at=datetime(2026, 1, 10, tzinfo=UTC)),
        final("3", year="y2025", period="q2", set_at=datetime(2025, 12, 27, tzinfo=UTC)),
    ]
    assert [y.periods for y in diary.year_finals(finals, [])] == [["q2", "q1"]]
    known = [
        Period(id="q1", name="Первое полугодие", starts=date(2025, 9, 1), ends=date(2025, 12, 28)),
        Period(id="q2", name="Второе полугодие", starts=date(2026, 1, 9), ends=date(2026, 5, 31)),
    ]
    years = diary.year_finals(finals, [], known=known)
    assert [y.periods for y in years] == [["q1", "q2"]]
    assert years[0].subjects == [("maths", ["5", "3"], "")]


def test_today_is_the_institutions_day() -> None:
    late_evening = datetime(2026, 11, 29, 21, 30, tzinfo=UTC)
    assert diary.local_today("Europe/Moscow", late_evening) == date(2026, 11, 30)
    assert diary.local_today("Asia/Vladivostok", late_evening) == date(2026, 11, 30)
    assert diary.local_today("Europe/Kaliningrad", late_evening) == date(2026, 11, 29)
    assert diary.local_today("", late_evening) == date(2026, 11, 29)
    assert diary.local_today("Not/A_Zone", late_evening) == date(2026, 11, 29)


def test_school_years_start_in_autumn() -> None:
    assert diary.school_year_label(date(2026, 9, 1)) == "2026/2027"
    assert diary.school_year_label(date(2027, 5, 31)) == "2026/2027"


def test_every_text_of_the_diary_pages_has_a_russian_translation() -> None:
    russian = catalogue("ru")
    texts = {item.label for item in diary.MENU} | set(diary.ATTENDANCE_TEXT.values())
    for template in sorted(TEMPLATES.glob("diary_*.html")):
        with template.open("rb") as file:
            for _line, _function, message, _comments in babel_extract(
                file, ("_", "gettext", "ngettext"), [], {"trimmed": "false"}
            ):
                # A text chosen at run time (None here) comes from ATTENDANCE_TEXT above.
                found = [message] if isinstance(message, str) else message or ()
                texts.update(text for text in found if isinstance(text, str))
    assert texts
    missing = sorted(text for text in texts if text and text not in russian)
    assert not missing, missing
