"""The study year: its periods, holidays and non-working days, and the working week (R-1.4).

A study year belongs to one institution. Its periods (quarters, half-years or custom ones, as
additional education often uses) must lie inside the year and must not overlap. A period can
be closed, which the journal uses to lock its entries (R-6.3), and opened again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from zhurnal_kit.errors import FailedPrecondition, FieldViolation, InvalidArgument

MAX_YEAR_DAYS = 400


class PeriodStatus(StrEnum):
    """Whether entries of a period may still change."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class StudyPeriod:
    """A quarter, half-year or custom period of a study year."""

    id: str
    name: str
    starts: date
    ends: date
    status: PeriodStatus = PeriodStatus.OPEN
    closed_at: datetime | None = None
    closed_by: str = ""

    def contains(self, day: date) -> bool:
        """The day falls in this period."""
        return self.starts <= day <= self.ends


@dataclass(frozen=True)
class Holiday:
    """A day or run of days without lessons (holidays, non-working days)."""

    starts: date
    ends: date
    name: str = ""


@dataclass(frozen=True)
class StudyYear:
    """A study year of an institution with its calendar."""

    id: str
    institution_id: str
    name: str
    starts: date
    ends: date
    # Weekdays with lessons, 0 = Monday: a five- or six-day week, or another.
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    periods: tuple[StudyPeriod, ...] = ()
    holidays: tuple[Holiday, ...] = ()
    # Single working days that fall on a weekend (a moved working Saturday).
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def create(
        cls,
        *,
        institution_id: str,
        name: str,
        starts: date,
        ends: date,
        working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4}),
    ) -> StudyYear:
        """A new study year, or InvalidArgument naming each bad field."""
        problems = []
        name = name.strip()
        if not name or len(name) > 100:
            problems.append(FieldViolation("name", "is required (at most 100 characters)"))
        if ends <= starts:
            problems.append(FieldViolation("ends", "must be after starts"))
        elif (ends - starts).days > MAX_YEAR_DAYS:
            problems.append(
                FieldViolation("ends", f"a study year spans at most {MAX_YEAR_DAYS} days")
            )
        if not working_days or not working_days <= set(range(7)):
            problems.append(FieldViolation("working_days", "must be weekdays 0 (Monday) to 6"))
        if problems:
            raise InvalidArgument("the study year is not valid", problems)
        return cls(
            id=str(uuid.uuid4()),
            institution_id=institution_id,
            name=name,
            starts=starts,
            ends=ends,
            working_days=working_days,
        )

    def with_period(self, name: str, starts: date, ends: date) -> tuple[StudyYear, StudyPeriod]:
        """This year with one more period; refused when outside the year or overlapping."""
        problems = []
        name = name.strip()
        if not name or len(name) > 100:
            problems.append(FieldViolation("name", "is required (at most 100 characters)"))
        if ends < starts:
            problems.append(FieldViolation("ends", "must not be before starts"))
        if starts < self.starts or ends > self.ends:
            problems.append(
                FieldViolation(
                    "starts",
                    f"the period must lie within the study year "
                    f"{self.starts.isoformat()} .. {self.ends.isoformat()}",
                )
            )
        for other in self.periods:
            if starts <= other.ends and other.starts <= ends:
                problems.append(
                    FieldViolation(
                        "starts",
                        f"overlaps the period «{other.name}» "
                        f"{other.starts.isoformat()} .. {other.ends.isoformat()}",
                    )
                )
        if problems:
            raise InvalidArgument("the period is not valid", problems)
        period = StudyPeriod(id=str(uuid.uuid4()), name=name, starts=starts, ends=ends)
        periods = tuple(sorted((*self.periods, period), key=lambda p: p.starts))
        return replace(self, periods=periods), period

    def with_holiday(self, starts: date, ends: date, name: str = "") -> StudyYear:
        """This year with a holiday (or non-working days) inside it."""
        if ends < starts:
            raise InvalidArgument(
                "the holiday is not valid", [FieldViolation("ends", "must not be before starts")]
            )
        if starts < self.starts or ends > self.ends:
            raise InvalidArgument(
                "the holiday is not valid",
                [FieldViolation("starts", "holidays must lie within the study year")],
            )
        return replace(self, holidays=(*self.holidays, Holiday(starts, ends, name.strip())))

    def period(self, period_id: str) -> StudyPeriod:
        """One period of this year."""
        for period in self.periods:
            if period.id == period_id:
                return period
        raise InvalidArgument("no such period", [FieldViolation("period_id", "is unknown")])

    def period_on(self, day: date) -> StudyPeriod | None:
        """The period a day falls in, if any."""
        return next((p for p in self.periods if p.contains(day)), None)

    def close_period(self, period_id: str, *, by: str, at: datetime) -> StudyYear:
        """Close a period: its journal entries become read-only (R-6.3)."""
        period = self.period(period_id)
        if period.status == PeriodStatus.CLOSED:
            raise FailedPrecondition(
                "the period is already closed", [FieldViolation("period_id", "is already closed")]
            )
        closed = replace(period, status=PeriodStatus.CLOSED, closed_at=at, closed_by=by)
        return replace(
            self, periods=tuple(closed if p.id == period_id else p for p in self.periods)
        )

    def open_period(self, period_id: str) -> StudyYear:
        """Open a closed period again."""
        period = self.period(period_id)
        if period.status == PeriodStatus.OPEN:
            raise FailedPrecondition(
                "the period is open", [FieldViolation("period_id", "is already open")]
            )
        opened = replace(period, status=PeriodStatus.OPEN, closed_at=None, closed_by="")
        return replace(
            self, periods=tuple(opened if p.id == period_id else p for p in self.periods)
        )

    # The WorkingCalendar of the timetable.

    def is_school_day(self, day: date) -> bool:
        """A day with lessons: inside the year, a working day, not a holiday."""
        if not self.starts <= day <= self.ends:
            return False
        if any(h.starts <= day <= h.ends for h in self.holidays):
            return False
        return day.weekday() in self.working_days or day in self.extra_working_days

    def week_number(self, day: date) -> int:
        """The week of the study year (1 = the week the year starts in), for alternating weeks."""
        first_monday = self.starts - timedelta(days=self.starts.weekday())
        return (day - first_monday).days // 7 + 1

    def school_days(self) -> list[date]:
        """Every day with lessons, in order."""
        days = (self.starts + timedelta(days=n) for n in range((self.ends - self.starts).days + 1))
        return [d for d in days if self.is_school_day(d)]
