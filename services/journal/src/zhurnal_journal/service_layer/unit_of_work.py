"""The journal unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from zhurnal_journal.adapters.history_repository import HistoryRepository
from zhurnal_journal.adapters.lesson_repository import LessonRepository
from zhurnal_journal.adapters.marking_repository import MarkingRepository
from zhurnal_journal.adapters.projection_repository import ProjectionRepository
from zhurnal_journal.domain.history import Change
from zhurnal_kit.db import UnitOfWork


class JournalUnitOfWork(UnitOfWork):
    """Repositories of the journal database, bound to one session.

    Use cases state their history with ``record_history``; the changes are staged in one
    statement at commit and chained by the chainer afterwards (ADR 15).
    """

    lessons: LessonRepository
    marking: MarkingRepository
    projections: ProjectionRepository
    history: HistoryRepository

    def _bind(self) -> None:
        self.lessons = LessonRepository(self.session)
        self.marking = MarkingRepository(self.session)
        self.projections = ProjectionRepository(self.session)
        self.history = HistoryRepository(self.session)
        self._history: list[tuple[str, Sequence[Change], str, str, datetime]] = []

    def record_history(
        self,
        institution_id: str,
        changes: Sequence[Change],
        *,
        actor_id: str,
        client: str,
        at: datetime,
    ) -> None:
        """Queue history records; they are staged at commit and chained soon after (R-1.6)."""
        if changes:
            self._history.append((institution_id, changes, actor_id, client, at))

    async def _before_commit(self) -> None:
        pending, self._history = self._history, []
        for institution_id, changes, actor_id, client, at in pending:
            await self.history.stage(
                institution_id, changes, actor_id=actor_id, client=client, at=at
            )

    async def rollback(self) -> None:
        """Throw away everything done in this unit of work, queued history too."""
        self._history = []
        await super().rollback()
