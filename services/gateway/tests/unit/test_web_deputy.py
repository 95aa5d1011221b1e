"""The deputy's pages without services: counting, dates, forms, and every text in Russian."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract

from zhurnal.curriculum.v1 import calendar_pb2, opening_pb2, plans_pb2
from zhurnal.identity.v1 import people_pb2
from zhurnal_gateway.api.journal import TimelinessRow
from zhurnal_gateway.i18n import catalogue, ngettext
from zhurnal_gateway.web import deputy
from zhurnal_gateway.web.diary import subject_namer
from zhurnal_gateway.web.render import TEMPLATES, templates, translator

TEMPLATE_FILES = sorted(TEMPLATES.glob("deputy_*.html"))
CODE_TEXTS = [
    *(item.label for item in deputy.MENU),
    *deputy._PLAN_FIELD_MESSAGES.values(),
    "Enter a date as YYYY-MM-DD.",
    "Confirm that the period is checked and may close.",
    "Enter a whole number of hours.",
    "The plan was not approved.",
    deputy.NOT_A_LEADER,
]


def _template_texts(path: Path) -> list[str | tuple[str, str]]:
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    found = extract_from_file(babel_extract, str(path), options=options)
    return [m if isinstance(m, str) else (m[0], m[1]) for _, m, _, _ in found]


def _translated(text: str | tuple[str, str]) -> bool:
    if isinstance(text, str):
        return text in catalogue("ru")
    return all(ngettext("ru", *text, n) != text[n != 1] for n in (1, 3, 5))


def test_every_text_of_the_pages_has_a_russian_translation() -> None:
    assert TEMPLATE_FILES
    texts = [t for path in TEMPLATE_FILES for t in _template_texts(path)] + CODE_TEXTS
    missing = [t for t in dict.fromkeys(texts) if not _translated(t)]
    assert not missing, missing


def test_a_person_is_named_in_full() -> None:
    person = people_pb2.Person(last_name="Ёлкина-Щукина", first_name="Анна", patronymic="")
    assert deputy.person_name(person) == "Ёлкина-Щукина Анна"


def test_the_week_runs_from_monday_to_sunday() -> None:
    assert deputy.week_of(date(2026, 11, 28)) == (date(2026, 11, 23), date(2026, 11, 29))
    assert deputy.week_of(date(2026, 11, 23)) == (date(2026, 11, 23), date(2026, 11, 29))


def test_durations_and_typed_dates() -> None:
    assert deputy.duration_parts(2 * 86400 + 5 * 3600 + 59) == (2, 5)
    assert deputy.duration_parts(-5) == (0, 0)
    assert deputy.parse_day(" 2026-11-28 ") == date(2026, 11, 28)
    assert deputy.parse_day("28.11.2026") is None


def test_a_form_body_is_read_field_by_field() -> None:
    body = "csrf_token=t&reason=%D0%98%D1%81%D0%BF%D1%80%D0%B0%D0%B2%D0%B8%D1%82%D1%8C+&hours="
    assert deputy.form_values(body.encode()) == {
        "csrf_token": "t",
        "reason": "Исправить ",
        "hours": "",
    }


def test_the_clock_shows_days_and_moments_in_the_institutions_zone() -> None:
    clock = deputy.Clock(ZoneInfo("Europe/Moscow"))
    assert clock.on(date(2026, 9, 1)) == "01.09.2026"
    assert clock.on("2026-09-01") == "01.09.2026"
    assert clock.on(None) == "—"
    assert clock.when(datetime(2026, 9, 1, 21, 30, tzinfo=UTC)) == "02.09.2026 00:30"


def _row(key: str, due: int, recorded: int, late: int, overdue: int) -> TimelinessRow:
    # Every recorded lesson of these rows is past its deadline.
    return TimelinessRow(
        key=key,
        institution_id="i1",
        scheduled=due + 1,
        due=due,
        recorded=recorded,
        recorded_late=late,
        overdue=overdue,
        due_recorded=recorded,
    )


def test_monitoring_names_and_sums_the_journals_counts_per_teacher() -> None:
    rows = [_row("t1", 3, 2, 1, 1), _row("t2", 1, 1, 0, 0), _row("t3", 0, 0, 0, 0)]
    found = deputy.tallies(rows, {"t1": "Иванова", "t2": "Белов"})
    # In name order; a person with no name last.
    assert [(t.name, t.due, t.recorded, t.late, t.overdue) for t in found] == [
        ("Белов", 1, 1, 0, 0),
        ("Иванова", 3, 2, 1, 1),
        ("", 0, 0, 0, 0),
    ]
    assert [t.completeness for t in found] == [100, 67, None]
    total = deputy.total(found)
    assert (total.due, total.recorded, total.late, total.overdue) == (4, 3, 1, 1)
    assert total.completeness == 75


def test_completeness_counts_only_lessons_past_their_deadline() -> None:
    # A topic saved ahead of its lesson counts as recorded, not towards completeness.
    assert deputy.Tally("g1", due=2, recorded=3, due_recorded=1).completeness == 50
    assert deputy.Tally("x").completeness is None


def test_the_year_holding_today_is_chosen_unless_another_is_asked_for() -> None:
    def year(id_: str, starts: str, ends: str) -> calendar_pb2.StudyYear:
        return calendar_pb2.StudyYear(
            id=id_, starts=calendar_pb2.Day(iso=starts), ends=calendar_pb2.Day(iso=ends)
        )

    years = [year("a", "2025-09-01", "2026-05-31"), year("b", "2026-09-01", "2027-05-31")]
    assert deputy.choose_year(years, date(2026, 11, 28)).id == "b"
    assert deputy.choose_year(years, date(2026, 11, 28), "a").id == "a"
    assert deputy.choose_year(years, date(2026, 7, 1)).id == "b"
    assert deputy.choose_year([], date(2026, 7, 1)) is None


def _render(name: str, **context: Any) -> str:
    gettext, ngettext = translator("ru")
    base = {
        "lang": "ru",
        "gettext": gettext,
        "ngettext": ngettext,
        "viewer": None,
        "menu": [],
        "current_path": "/",
        "csrf_token": "token",
        **deputy.Clock(UTC).context(),
    }
    return templates.env.get_template(name).render({**base, **context})


@pytest.fixture
def year() -> calendar_pb2.StudyYear:
    return calendar_pb2.StudyYear(
        id="y",
        name="2026/2027",
        starts=calendar_pb2.Day(iso="2026-09-01"),
        ends=calendar_pb2.Day(iso="2027-05-31"),
        periods=[
            calendar_pb2.StudyPeriod(
                id="p1",
                name="Первое полугодие",
                starts=calendar_pb2.Day(iso="2026-09-01"),
                ends=calendar_pb2.Day(iso="2026-12-28"),
            )
        ],
    )


def test_the_periods_page_shows_errors_next_to_the_fields(
    year: calendar_pb2.StudyYear,
) -> None:
    period = year.periods[0]
    closed = calendar_pb2.StudyPeriod(id="p2", name="Второе полугодие", closed=True)
    html = _render(
        "deputy_periods.html",
        years=[year],
        year=year,
        rows=[
            {"period": period, "starts": None, "ends": None, "closed": False, "unlocks": []},
            {
                "period": closed,
                "starts": None,
                "ends": None,
                "closed": True,
                "closed_at": datetime(2026, 11, 1, tzinfo=UTC),
                "closed_by": "Иванова",
                "unlocked_until": None,
                "unlocks": [],
                "journal_locked": True,
            },
        ],
        done="",
        errors={
            ("p1", "confirm"): "Confirm that the period is checked and may close.",
            ("p2", "reason"): "must say why, in at least 10 characters",
        },
        values={"period": "p2", "reason": "мало", "hours": ""},
        may_manage=True,
    )
    assert '<strong class="state-open">открыт</strong>' in html
    assert '<strong class="state-closed">закрыт</strong>' in html
    assert 'aria-describedby="confirm-p1-error"' in html
    assert "Подтвердите, что журнал за период проверен" in html
    assert 'aria-describedby="reason-p2-error"' in html
    assert "укажите причину — не короче 10 символов" in html
    assert ">мало</textarea>" in html
    assert "Закрыт 01.11.2026 00:00, закрыл(а): Иванова." in html


def test_the_opening_checklist_says_what_is_done_and_missing(
    year: calendar_pb2.StudyYear,
) -> None:
    checklist = opening_pb2.GetOpeningChecklistResponse(
        items=[
            opening_pb2.ChecklistItem(key="periods", title="Периоды", done=True),
            opening_pb2.ChecklistItem(
                key="timetable",
                title="Расписание",
                level=opening_pb2.CHECKLIST_LEVEL_REQUIRED,
                missing=[opening_pb2.ChecklistMissing(message="7А: нет расписания")],
            ),
        ]
    )
    html = _render(
        "deputy_opening.html",
        years=[year],
        year=year,
        checklist=checklist,
        required=opening_pb2.CHECKLIST_LEVEL_REQUIRED,
        groups={},
    )
    assert "Год ещё не готов" in html
    assert "— выполнено" in html
    assert "— не выполнено (обязательно)" in html
    assert "7А: нет расписания" in html


def test_the_plan_page_offers_approval_only_to_the_deputy() -> None:
    plan = plans_pb2.LessonPlan(
        id="pl",
        study_year_id="y",
        group_id="g",
        subject_id="maths",
        total_hours=2,
        curriculum_hours=2,
        version=3,
        topics=[plans_pb2.PlanTopic(order=1, text="Дроби", hours=2)],
    )
    row = deputy._plan_row(plan, {}, {"g": "7А"}, subject_namer({"maths": "Математика"}))
    common = {
        "row": row,
        "plan": plan,
        "problems": [],
        "blocking": False,
        "lessons": 2,
        "without_lessons": set(),
        "done": "",
        "errors": [],
    }
    html = _render("deputy_plan.html", may_approve=True, **common)
    assert "Утвердить план" in html
    assert "Тематический план: 7А, Математика" in html
    assert "Утвердить план" not in _render("deputy_plan.html", may_approve=False, **common)


def test_an_approved_plan_says_who_approved_it_and_when() -> None:
    plan = plans_pb2.LessonPlan(
        id="pl",
        status=plans_pb2.PLAN_STATUS_APPROVED,
        approved_by="d",
        approved_at="2026-11-28T20:40:00+00:00",
    )
    row = deputy._plan_row(plan, {"d": "Иванова Ольга Петровна"}, {}, subject_namer({}))
    html = _render(
        "deputy_plan.html",
        row=row,
        plan=plan,
        problems=[],
        blocking=False,
        lessons=0,
        without_lessons=set(),
        done="approved",
        errors=[],
        may_approve=True,
    )
    assert "утверждён 28.11.2026 20:40, утвердил(а): Иванова Ольга Петровна" in html
    assert "Утвердить план" not in html
    assert deputy._instant("not a time") is None
