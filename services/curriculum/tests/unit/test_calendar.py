"""The study year's calendar: periods inside the year and apart, holidays, working week."""

from datetime import UTC, date, datetime

import pytest

from zhurnal_curriculum.domain.calendar import PeriodStatus, StudyYear
from zhurnal_kit.errors import FailedPrecondition, InvalidArgument


def year() -> StudyYear:
    return StudyYear.create(
        institution_id="i", name="2026/2027", starts=date(2026, 9, 1), ends=date(2027, 5, 31)
    )


def test_half_years_and_quarters_fit_and_may_not_overlap() -> None:
    y, first = year().with_period("1 полугодие", date(2026, 9, 1), date(2026, 12, 29))
    y, second = y.with_period("2 полугодие", date(2027, 1, 9), date(2027, 5, 31))
    assert [p.name for p in y.periods] == ["1 полугодие", "2 полугодие"]
    assert y.period_on(date(2026, 10, 1)) == first
    assert y.period_on(date(2027, 1, 5)) is None  # winter holidays between them
    with pytest.raises(InvalidArgument) as overlap:
        y.with_period("лишний", date(2026, 12, 1), date(2027, 1, 15))
    assert "overlaps the period «1 полугодие»" in overlap.value.violations[0].description
    with pytest.raises(InvalidArgument) as outside:
        y.with_period("летний", date(2027, 6, 1), date(2027, 6, 30))
    assert outside.value.violations[0].field == "starts"
    assert second.status == PeriodStatus.OPEN


def test_bad_years_name_their_fields() -> None:
    with pytest.raises(InvalidArgument) as caught:
        StudyYear.create(
            institution_id="i",
            name=" ",
            starts=date(2026, 9, 1),
            ends=date(2026, 8, 1),
            working_days=frozenset({7}),
        )
    assert [v.field for v in caught.value.violations] == ["name", "ends", "working_days"]


def test_closing_and_opening_periods() -> None:
    y, period = year().with_period("1 четверть", date(2026, 9, 1), date(2026, 10, 25))
    closed = y.close_period(period.id, by="deputy", at=datetime(2026, 10, 30, tzinfo=UTC))
    assert closed.period(period.id).status == PeriodStatus.CLOSED
    with pytest.raises(FailedPrecondition):
        closed.close_period(period.id, by="deputy", at=datetime(2026, 10, 30, tzinfo=UTC))
    assert closed.open_period(period.id).period(period.id).status == PeriodStatus.OPEN


def test_school_days_skip_weekends_and_holidays_and_count_weeks() -> None:
    y = year().with_holiday(date(2026, 11, 2), date(2026, 11, 8), "осенние каникулы")
    assert y.is_school_day(date(2026, 9, 1))  # a Tuesday
    assert not y.is_school_day(date(2026, 9, 5))  # Saturday of a five-day week
    assert not y.is_school_day(date(2026, 11, 3))
    assert not y.is_school_day(date(2026, 8, 31))  # before the year
    six_day = StudyYear.create(
        institution_id="i",
        name="6",
        starts=date(2026, 9, 1),
        ends=date(2027, 5, 31),
        working_days=frozenset(range(6)),
    )
    assert six_day.is_school_day(date(2026, 9, 5))
    assert y.week_number(date(2026, 9, 1)) == 1
    assert y.week_number(date(2026, 9, 7)) == 2
    assert len(y.school_days()) == len(set(y.school_days()))
