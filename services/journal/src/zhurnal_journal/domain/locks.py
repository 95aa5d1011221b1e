"""Why a lesson cannot be written now (R-6.3 period locks, cancelled lessons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from zhurnal_journal.domain.entries import CANCELLED, ScheduledLesson

# The longest a deputy's unlock of a closed period may last: two weeks.
MAX_UNLOCK_HOURS = 24 * 14


@dataclass(frozen=True)
class Period:
    """A study period as the journal knows it, with the unlock in force if any."""

    id: str
    study_year_id: str
    name: str
    starts: date
    ends: date
    closed: bool
    unlocked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        """Closed, and no deputy's unlock in force (R-6.3)."""
        return self.closed and not (self.unlocked_until and self.unlocked_until > now)


def read_only_reason(lesson: ScheduledLesson, period: Period | None, now: datetime) -> str:
    """Empty when the lesson may be written; otherwise why not, in the teacher's Russian."""
    if lesson.status == CANCELLED:
        if lesson.kept_read_only:
            return "Занятие отменено; его записи сохранены только для чтения."
        return "Занятие отменено: записи к нему не вносятся."
    if period is not None and period.locked(now):
        return (
            f"Период «{period.name}» закрыт: исправления возможны только после разблокировки "
            "заместителем директора."
        )
    return ""
