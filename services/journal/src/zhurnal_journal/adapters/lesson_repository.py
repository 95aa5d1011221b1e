"""Lessons and their entries: the record, attendance and marks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_journal.adapters.tables import lesson

CANCELLED = 3  # curriculum.v1.LessonStatus.LESSON_STATUS_CANCELLED


def missing_topic(now: datetime) -> ColumnElement[bool]:
    """Lessons past their deadline without a topic (R-3.2): the overdue list and gauge.

    Cancelled lessons are never due. The partial index lesson_missing_topic serves it.
    """
    return and_(lesson.c.topic.is_(None), lesson.c.status != CANCELLED, lesson.c.due_at < now)


class LessonRepository:
    """Reads and writes of lessons and their entries on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
