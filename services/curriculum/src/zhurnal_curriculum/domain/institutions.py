"""What curriculum knows of an institution: enough to date its lessons."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstitutionCalendar:
    """An institution as the schedule sees it: its code and the time zone lessons are dated in."""

    institution_id: str
    code: str
    time_zone: str
