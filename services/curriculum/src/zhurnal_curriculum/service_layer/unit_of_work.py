"""The curriculum unit of work."""

from zhurnal_curriculum.adapters.opening_repository import OpeningRepository
from zhurnal_curriculum.adapters.plan_repository import PlanRepository
from zhurnal_curriculum.adapters.repositories import (
    GroupRepository,
    HoursRepository,
    InstitutionCalendarRepository,
    PersonRoleRepository,
    StudyYearRepository,
)
from zhurnal_curriculum.adapters.timetable_repository import TimetableRepository
from zhurnal_kit.db import UnitOfWork


class CurriculumUnitOfWork(UnitOfWork):
    """Repositories of the curriculum database, bound to one session."""

    institutions: InstitutionCalendarRepository
    study_years: StudyYearRepository
    groups: GroupRepository
    hours: HoursRepository
    people: PersonRoleRepository
    timetable: TimetableRepository
    plans: PlanRepository
    opening: OpeningRepository

    def _bind(self) -> None:
        self.opening = OpeningRepository(self.session)
        self.timetable = TimetableRepository(self.session)
        self.plans = PlanRepository(self.session)
        self.people = PersonRoleRepository(self.session)
        self.hours = HoursRepository(self.session)
        self.groups = GroupRepository(self.session)
        self.institutions = InstitutionCalendarRepository(self.session)
        self.study_years = StudyYearRepository(self.session)
