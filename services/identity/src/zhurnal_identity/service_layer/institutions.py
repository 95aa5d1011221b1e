"""Use cases on institutions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from zhurnal.identity.v1 import events_pb2
from zhurnal_identity.adapters.protos import institution_to_proto
from zhurnal_identity.domain import policy
from zhurnal_identity.domain.institutions import Institution, InstitutionKind
from zhurnal_identity.service_layer.access import check, require, resolve, utcnow
from zhurnal_identity.service_layer.unit_of_work import IdentityUnitOfWork
from zhurnal_kit.auth import Caller
from zhurnal_kit.errors import AlreadyExists, FieldViolation, NotFound, invalid
from zhurnal_kit.events import Event
from zhurnal_kit.idempotency import recall, remember

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class RegisterInstitution:
    """The command to register an institution."""

    code: str
    full_name: str
    short_name: str
    kind: InstitutionKind | None
    time_zone: str
    address: str = ""
    idempotency_key: str = ""


async def register_institution(
    uow: IdentityUnitOfWork, caller: Caller, command: RegisterInstitution
) -> Institution:
    """Register an institution and announce it (InstitutionCreated) in the same transaction."""
    now = utcnow()
    async with uow:
        me = await resolve(uow, caller, now)
        require(me, policy.INSTITUTION_MANAGE, policy.Resource(), now)
        if earlier := await recall(uow.session, "register_institution", command.idempotency_key):
            found = await uow.institutions.get(earlier.decode())
            assert found is not None, "an idempotency record points at a missing institution"
            return found
        item = Institution.register(
            code=command.code,
            full_name=command.full_name,
            short_name=command.short_name,
            kind=command.kind,
            time_zone=command.time_zone,
            address=command.address,
        )
        if await uow.institutions.code_taken(item.code):
            raise AlreadyExists(
                f"institution code {item.code!r} is taken",
                [FieldViolation("code", "is already used by another institution")],
            )
        uow.publish(
            Event(
                aggregate="institution",
                aggregate_id=item.id,
                institution_id=item.id,
                payload=events_pb2.InstitutionCreated(institution=institution_to_proto(item)),
            )
        )
        try:
            await uow.institutions.add(item)
            await remember(
                uow.session, "register_institution", command.idempotency_key, item.id.encode()
            )
            await uow.commit()
        except IntegrityError:
            # A concurrent request took the code (or the same key) between check and insert.
            raise AlreadyExists(
                f"institution code {item.code!r} is taken",
                [FieldViolation("code", "is already used by another institution")],
            ) from None
    return item


async def get_institution(
    uow: IdentityUnitOfWork, caller: Caller, institution_id: str
) -> Institution:
    """One institution, to those who may read it (others are told it does not exist)."""
    now = utcnow()
    async with uow:
        me = await resolve(uow, caller, now)
        item = await uow.institutions.get(institution_id)
    if (
        item is None
        or not check(
            me, policy.INSTITUTION_READ, policy.Resource(institution_id=institution_id), now
        ).allowed
    ):
        raise NotFound(f"no institution {institution_id!r}")
    return item


async def list_institutions(
    uow: IdentityUnitOfWork, caller: Caller, *, page_size: int, page_token: str
) -> tuple[list[Institution], str]:
    """A page of institutions by code; the next page token is the last code ('' at the end)."""
    now = utcnow()
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise invalid("page_size", f"must be between 0 and {MAX_PAGE_SIZE}")
    size = page_size or 50
    async with uow:
        me = await resolve(uow, caller, now)
        # District roles see every institution; everyone else only those they are bound to.
        district = any(b.role.is_district for b in me.principal.bindings)
        only = None if district else sorted({b.institution_id for b in me.principal.bindings})
        items = await uow.institutions.list_after(page_token, size + 1, only=only)
    more = len(items) > size
    items = items[:size]
    return items, (items[-1].code if more else "")
