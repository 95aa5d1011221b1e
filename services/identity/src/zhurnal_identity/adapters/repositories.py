"""Repositories over the identity tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_identity.adapters.tables import institution
from zhurnal_identity.domain.institutions import Institution, InstitutionKind


def _institution(row: Any) -> Institution:
    return Institution(
        id=row.id,
        code=row.code,
        full_name=row.full_name,
        short_name=row.short_name,
        kind=InstitutionKind(row.kind),
        time_zone=row.time_zone,
        address=row.address,
    )


class InstitutionRepository:
    """Institutions in the identity database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, item: Institution) -> None:
        """Stage a new institution."""
        await self._session.execute(
            institution.insert().values(
                id=item.id,
                code=item.code,
                full_name=item.full_name,
                short_name=item.short_name,
                kind=item.kind,
                time_zone=item.time_zone,
                address=item.address,
            )
        )

    async def get(self, institution_id: str) -> Institution | None:
        """One institution by id."""
        row = (
            await self._session.execute(
                select(institution).where(institution.c.id == institution_id)
            )
        ).first()
        return _institution(row) if row else None

    async def code_taken(self, code: str) -> bool:
        """True when another institution has ``code``."""
        found = await self._session.scalar(
            select(institution.c.id).where(institution.c.code == code)
        )
        return found is not None

    async def list_after(self, after_code: str, limit: int) -> list[Institution]:
        """Institutions ordered by code, after ``after_code`` (keyset pagination)."""
        rows = (
            await self._session.execute(
                select(institution)
                .where(institution.c.code > after_code)
                .order_by(institution.c.code)
                .limit(limit)
            )
        ).all()
        return [_institution(r) for r in rows]
