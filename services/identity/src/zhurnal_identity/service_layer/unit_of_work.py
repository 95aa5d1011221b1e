"""The identity unit of work: one transaction over its repositories and outbox."""

from zhurnal_identity.adapters.repositories import (
    BindingRepository,
    GuardianLinkRepository,
    InstitutionRepository,
    PersonalDataLog,
    PersonRepository,
    SyncCursors,
)
from zhurnal_kit.db import UnitOfWork


class IdentityUnitOfWork(UnitOfWork):
    """Repositories of the identity database, bound to one session."""

    institutions: InstitutionRepository
    people: PersonRepository
    bindings: BindingRepository
    guardians: GuardianLinkRepository
    personal_data_log: PersonalDataLog
    cursors: SyncCursors

    def _bind(self) -> None:
        self.institutions = InstitutionRepository(self.session)
        self.people = PersonRepository(self.session)
        self.bindings = BindingRepository(self.session)
        self.guardians = GuardianLinkRepository(self.session)
        self.personal_data_log = PersonalDataLog(self.session)
        self.cursors = SyncCursors(self.session)
