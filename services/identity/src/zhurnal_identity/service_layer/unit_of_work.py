"""The identity unit of work: one transaction over its repositories and outbox."""

from zhurnal_identity.adapters.repositories import InstitutionRepository
from zhurnal_kit.db import UnitOfWork


class IdentityUnitOfWork(UnitOfWork):
    """Repositories of the identity database, bound to one session."""

    institutions: InstitutionRepository

    def _bind(self) -> None:
        self.institutions = InstitutionRepository(self.session)
