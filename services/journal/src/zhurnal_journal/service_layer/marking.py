"""The institution's marking scheme and journal settings, set by the deputy."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import datetime

from zhurnal_journal.adapters.marking_repository import InstitutionSettings
from zhurnal_journal.domain.history import Change, ChangeAction
from zhurnal_journal.domain.locks import MAX_UNLOCK_HOURS
from zhurnal_journal.domain.marking import MarkScale, MarkType, validate_mark_type, validate_scale
from zhurnal_journal.service_layer.access import CURRICULUM_MANAGE, INSTITUTION_READ
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import AlreadyExists, FieldViolation, NotFound, invalid


def _required(institution_id: str, field: str = "institution_id") -> None:
    if not institution_id:
        raise invalid(field, "is required")


async def list_scales(
    uow: JournalUnitOfWork, authorizer: Authorizer, institution_id: str
) -> list[MarkScale]:
    """The institution's scales (anyone of the institution may read them)."""
    _required(institution_id)
    await authorizer.require(INSTITUTION_READ, institution_id=institution_id)
    async with uow:
        scheme = await uow.marking.scheme(institution_id)
        await uow.commit()
    return scheme.scales


async def list_types(
    uow: JournalUnitOfWork, authorizer: Authorizer, institution_id: str
) -> list[MarkType]:
    """The institution's mark types."""
    _required(institution_id)
    await authorizer.require(INSTITUTION_READ, institution_id=institution_id)
    async with uow:
        scheme = await uow.marking.scheme(institution_id)
        await uow.commit()
    return scheme.types


def _scale_json(scale: MarkScale | None) -> dict[str, object] | None:
    if scale is None:
        return None
    data = asdict(scale)
    data["subject_ids"] = sorted(scale.subject_ids)
    data["kind"] = int(scale.kind)
    return data


async def save_scale(
    uow: JournalUnitOfWork, authorizer: Authorizer, scale: MarkScale, *, client: str, now: datetime
) -> MarkScale:
    """Add or change a scale (the deputy). Marks already given keep their value."""
    _required(scale.institution_id, "scale.institution_id")
    validate_scale(scale)
    await authorizer.require(CURRICULUM_MANAGE, institution_id=scale.institution_id)
    actor = await authorizer.person_id()
    async with uow:
        existing = await uow.marking.scales(scale.institution_id)
        before = next((s for s in existing if s.id == scale.id), None) if scale.id else None
        if scale.id and before is None:
            raise NotFound(
                f"no mark scale {scale.id!r} in this institution",
                [FieldViolation("scale.id", "is not a scale of the institution")],
            )
        if any(s.code == scale.code and s.id != scale.id for s in existing):
            raise AlreadyExists(
                f"scale code {scale.code!r} is taken",
                [FieldViolation("scale.code", "is already used by another scale")],
            )
        saved = replace(scale, id=scale.id or str(uuid.uuid4()))
        await uow.marking.save_scale(saved)
        uow.record_history(
            scale.institution_id,
            [
                Change(
                    "mark_scale",
                    saved.id,
                    ChangeAction.UPDATE if before else ChangeAction.CREATE,
                    _scale_json(before),
                    _scale_json(saved),
                )
            ],
            actor_id=actor,
            client=client,
            at=now,
        )
        await uow.commit()
    return saved


async def save_type(
    uow: JournalUnitOfWork, authorizer: Authorizer, item: MarkType, *, client: str, now: datetime
) -> MarkType:
    """Add or change a mark type and its weight (the deputy)."""
    _required(item.institution_id, "type.institution_id")
    validate_mark_type(item)
    await authorizer.require(CURRICULUM_MANAGE, institution_id=item.institution_id)
    actor = await authorizer.person_id()
    async with uow:
        scheme = await uow.marking.scheme(item.institution_id)
        before = next((t for t in scheme.types if t.code == item.code), None)
        await uow.marking.save_type(item)
        saved = next(t for t in await uow.marking.types(item.institution_id) if t.code == item.code)
        uow.record_history(
            item.institution_id,
            [
                Change(
                    "mark_type",
                    item.code,
                    ChangeAction.UPDATE if before else ChangeAction.CREATE,
                    asdict(before) if before else None,
                    asdict(saved),
                )
            ],
            actor_id=actor,
            client=client,
            at=now,
        )
        await uow.commit()
    return saved


async def get_settings(
    uow: JournalUnitOfWork, authorizer: Authorizer, institution_id: str
) -> InstitutionSettings:
    """The journal's settings of an institution."""
    _required(institution_id)
    await authorizer.require(INSTITUTION_READ, institution_id=institution_id)
    async with uow:
        return await uow.marking.settings(institution_id)


async def update_settings(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    item: InstitutionSettings,
    *,
    client: str,
    now: datetime,
) -> InstitutionSettings:
    """Change the journal's settings (the deputy): colleagues filling in, the Russian check,
    how long an unlock lasts."""
    _required(item.institution_id, "settings.institution_id")
    if not 1 <= item.unlock_hours <= MAX_UNLOCK_HOURS:
        raise invalid("settings.unlock_hours", f"must be between 1 and {MAX_UNLOCK_HOURS}")
    await authorizer.require(CURRICULUM_MANAGE, institution_id=item.institution_id)
    actor = await authorizer.person_id()
    async with uow:
        before = await uow.marking.settings(item.institution_id)
        await uow.marking.save_settings(item)
        after = await uow.marking.settings(item.institution_id)
        if after != before:
            uow.record_history(
                item.institution_id,
                [
                    Change(
                        "settings",
                        item.institution_id,
                        ChangeAction.UPDATE,
                        asdict(before),
                        asdict(after),
                    )
                ],
                actor_id=actor,
                client=client,
                at=now,
            )
        await uow.commit()
    return after
