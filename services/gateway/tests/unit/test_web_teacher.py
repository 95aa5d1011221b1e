"""The teacher pages' pure parts: the lesson form as read and as submitted, the SaveLesson
request it becomes, the journal's field errors in Russian, and every template text translated."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

from jinja2.ext import babel_extract

from zhurnal.curriculum.v1 import calendar_pb2
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_gateway.i18n import catalogue
from zhurnal_gateway.web import teacher
from zhurnal_gateway.web.render import templates, translator

TEMPLATES = Path(teacher.__file__).parent / "templates"


def _mark(mark_id: str, student: str, value: str, type_code: str = "oral") -> SimpleNamespace:
    return SimpleNamespace(
        id=mark_id, student_id=student, value=value, type_code=type_code, comment="", lesson_id="L"
    )


def _lesson(**fields: object) -> SimpleNamespace:
    values: dict[str, object] = {
        "record": None,
        "planned_topic": "Дроби",
        "version": 0,
        "attendance": [],
        "marks": [],
    }
    values.update(fields)
    return SimpleNamespace(**values)


def test_a_lesson_never_saved_offers_the_planned_topic_and_everyone_present() -> None:
    state = teacher.state_of(_lesson(), ["a", "b"])
    assert state.topic == "Дроби"
    assert state.attendance == {"a": "present", "b": "present"}
    assert not state.recorded
    # One empty new mark per student, and a fresh idempotency key.
    assert [(m.key, m.id) for m in state.marks] == [("n-a", ""), ("n-b", "")]
    assert len(state.idempotency_key) == 32
    assert teacher.state_of(_lesson(), ["a"], "practical").kind == "practical"


def test_a_saved_lesson_shows_its_record_attendance_and_marks() -> None:
    record = SimpleNamespace(topic="Системы", material="", kind="practical", homework="", notes="")
    late = SimpleNamespace(student_id="b", status="late", late_minutes=7)
    state = teacher.state_of(
        _lesson(record=record, version=3, attendance=[late], marks=[_mark("m1", "a", "5")]),
        ["a", "b"],
    )
    assert (state.topic, state.kind, state.version, state.recorded) == (
        "Системы",
        "practical",
        3,
        True,
    )
    assert state.attendance == {"a": "present", "b": "late"}
    assert state.late == {"a": "", "b": "7"}
    assert state.marked == {"b"}
    assert [m.value for m in state.marks_of("a")] == ["5", ""]


def test_the_submitted_form_becomes_one_save_with_the_whole_set_of_marks() -> None:
    form = {
        "topic": " Дроби ",
        "kind": "lesson",
        "version": "2",
        "idempotency_key": "k1",
        "att-a": "ill",
        "att-b": "late",
        "late-b": "5",
        "m-m1-value": "4",
        "m-m1-type": "oral",
        "m-m2-value": "",  # cleared: removed
        "n-b-value": "3",
        "n-b-type": "written",
    }
    saved = [_mark("m1", "a", "5"), _mark("m2", "a", "2")]
    state = teacher.state_from_form(form, ["a", "b"], saved)
    request, where = teacher.save_request("L", state, ["a", "b"])
    assert request.expected_version == 2
    assert request.idempotency_key == "k1"
    assert request.record.topic == "Дроби"
    assert [(a.student_id, a.status, a.late_minutes) for a in request.attendance] == [
        ("a", pb.ATTENDANCE_STATUS_ILL, 0),
        ("b", pb.ATTENDANCE_STATUS_LATE, 5),
    ]
    assert [(m.id, m.student_id, m.value, m.type_code) for m in request.marks.marks] == [
        ("m1", "a", "4", "oral"),
        ("", "b", "3", "written"),
    ]
    # A service's complaint about a part lands next to its form field.
    assert where["attendance[1].late_minutes"] == "late-b"
    assert where["marks[1].value"] == "n-b-value"
    assert where["record.topic"] == "topic"


def test_before_the_lesson_only_the_record_is_saved_and_an_empty_form_saves_no_record() -> None:
    state = teacher.state_from_form({"topic": "", "version": "0"}, ["a"], [])
    request, _ = teacher.save_request("L", state, ["a"])
    assert not request.HasField("record")
    ahead = teacher.state_from_form({"homework": "№ 5", "att-a": "ill"}, ["a"], [])
    request, _ = teacher.save_request("L", ahead, ["a"], held=False)
    assert request.HasField("record") and not request.attendance
    assert not request.HasField("marks")


def test_unknown_values_of_the_form_fall_back_to_safe_defaults() -> None:
    state = teacher.state_from_form({"kind": "party", "att-a": "gone", "version": "x"}, ["a"], [])
    assert (state.kind, state.attendance["a"], state.version) == ("lesson", "present", 0)


def test_the_journals_field_errors_read_in_russian() -> None:
    assert teacher.describe("ru", "is required") == "обязательно для заполнения"
    assert (
        teacher.describe("ru", "must be between 1 and the lesson's 45 minutes")
        == "От 1 до 45 минут."
    )
    assert teacher.describe("ru", "is not on the scale «Пятибалльная» (2, 3, 4, 5)") == (
        "Такой оценки нет в шкале «Пятибалльная». Допустимо: 2, 3, 4, 5."
    )
    assert teacher.describe("en", "is longer than 500 characters") == "At most 500 characters."


def test_the_current_period_holds_today_else_the_last_begun() -> None:
    def period(pid: str, starts: str, ends: str) -> calendar_pb2.StudyPeriod:
        return calendar_pb2.StudyPeriod(
            id=pid, starts=calendar_pb2.Day(iso=starts), ends=calendar_pb2.Day(iso=ends)
        )

    periods = [period("1", "2026-09-01", "2026-12-28"), period("2", "2027-01-09", "2027-05-31")]
    assert teacher.current_period(periods, date(2026, 11, 28)).id == "1"
    assert teacher.current_period(periods, date(2026, 12, 30)).id == "1"
    assert teacher.current_period(periods, date(2027, 2, 1)).id == "2"
    assert teacher.current_period(periods, date(2026, 8, 1)).id == "1"
    assert teacher.current_period([], date(2026, 8, 1)) is None


def test_days_read_as_people_write_them() -> None:
    assert teacher.day_text("2026-12-01") == "01.12.2026"
    assert teacher.short_date(date(2026, 12, 1)) == "01.12"
    assert teacher.day_text("") == ""


def test_grid_cells_carry_their_marks() -> None:
    cells = teacher.cell_marks([_mark("m1", "a", "5"), _mark("m2", "a", "4")])
    assert [m["value"] for m in cells[("L", "a")]] == ["5", "4"]


def test_every_text_of_the_teacher_pages_has_a_russian_translation() -> None:
    russian = catalogue("ru")
    missing = []
    for template in sorted(TEMPLATES.glob("teacher_*.html")):
        with template.open("rb") as file:
            for _, _, message, _ in babel_extract(
                file,
                ["_", "gettext", "ngettext"],
                [],
                {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"},
            ):
                # Plural forms are checked by their catalogue's plural entries, not here.
                if isinstance(message, str) and message not in russian:
                    missing.append(f"{template.name}: {message}")
    missing += [w for w in teacher.WARNINGS.values() if w not in russian]
    assert not missing, missing


def test_the_journal_list_names_each_group_with_its_subject() -> None:
    gettext, ngettext = translator("ru")
    rows = [
        {"name": "7А", "subject": "Математика", "mine": True, "period": "II", "href": "/a"},
        {"name": "7Б", "subject": "", "mine": False, "period": "II", "href": "/b"},
    ]
    page = {"lang": "ru", "viewer": None, "menu": [], "current_path": "/journal"}
    html = templates.env.get_template("teacher_journal.html").render(
        page, gettext=gettext, ngettext=ngettext, csrf_token="t", rows=rows
    )
    assert "7А, Математика" in html
    assert "7Б — все предметы" in html
    assert "предмет 1" not in html
