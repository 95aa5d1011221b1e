"""The journal unit of work."""

from zhurnal_journal.adapters.history_repository import HistoryRepository
from zhurnal_journal.adapters.lesson_repository import LessonRepository
from zhurnal_journal.adapters.marking_repository import MarkingRepository
from zhurnal_journal.adapters.projection_repository import ProjectionRepository
from zhurnal_kit.db import UnitOfWork


class JournalUnitOfWork(UnitOfWork):
    """Repositories of the journal database, bound to one session."""

    lessons: LessonRepository
    marking: MarkingRepository
    projections: ProjectionRepository
    history: HistoryRepository

    def _bind(self) -> None:
        self.lessons = LessonRepository(self.session)
        self.marking = MarkingRepository(self.session)
        self.projections = ProjectionRepository(self.session)
        self.history = HistoryRepository(self.session)
