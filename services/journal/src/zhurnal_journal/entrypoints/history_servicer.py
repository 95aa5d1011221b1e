"""gRPC face of the history (R-1.6): reading an institution's changes and verifying its chain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal.journal.v1 import journal_pb2_grpc
from zhurnal_journal.bootstrap import Journal
from zhurnal_journal.domain.history import HistoryRecord
from zhurnal_journal.service_layer import history
from zhurnal_kit.errors import NotFound, invalid

Context = Any  # grpc.aio.ServicerContext: unused by these handlers

JOURNAL_READ = "journal.read"
DEFAULT_PAGE, MAX_PAGE = 100, 1000


def record_to_proto(record: HistoryRecord) -> pb.HistoryRecord:
    """The contract's view of a stored record (its JSON texts as stored, so a client can
    recompute the hash)."""
    message = pb.HistoryRecord(
        institution_id=record.institution_id,
        seq=record.seq,
        actor_id=record.actor_id,
        responsible_teacher_id=record.responsible_teacher_id,
        entity=record.entity,
        entity_id=record.entity_id,
        action=record.action,  # type: ignore[arg-type]  # journal.v1.ChangeAction's numbers
        before_json=record.before_json,
        after_json=record.after_json,
        client=record.client,
        lesson_id=record.lesson_id,
        hash=record.hash,
        prev_hash=record.prev_hash,
    )
    message.at.FromDatetime(record.at)
    return message


def _institution(value: str) -> str:
    if not value.strip():
        raise invalid("institution_id", "is required")
    return value


class HistoryServicer(journal_pb2_grpc.HistoryServiceServicer):
    """HistoryService."""

    def __init__(self, app: Journal) -> None:
        self._app = app

    async def ListHistory(
        self, request: pb.ListHistoryRequest, context: Context
    ) -> pb.ListHistoryResponse:
        institution_id = _institution(request.institution_id)
        if not 0 <= request.page_size <= MAX_PAGE:
            raise invalid("page_size", f"must be between 0 and {MAX_PAGE}")
        async with self._app.uow() as uow:
            if request.lesson_id:
                # A teacher reads the history of their own lessons, a substitute of the lesson
                # they substitute on; the deputy and the director the whole institution's.
                owner = await uow.history.lesson_owner(request.lesson_id, at=datetime.now(UTC))
                if owner is None or owner.institution_id != institution_id:
                    raise NotFound(f"no lesson {request.lesson_id!r} in this institution")
                await self._app.authorizer.require(
                    JOURNAL_READ,
                    institution_id=institution_id,
                    teacher_ids=[owner.teacher_id],
                    substitute_ids=list(owner.substitute_ids),
                )
            else:
                await self._app.authorizer.require(JOURNAL_READ, institution_id=institution_id)
        # Changes committed a moment ago may still wait for the chainer: chain them first, so
        # the reader sees every committed change with its place in the chain.
        await history.chain_institution(self._app.uow, institution_id)
        async with self._app.uow() as uow:
            records, token = await uow.history.list(
                institution_id,
                lesson_id=request.lesson_id,
                entity_id=request.entity_id,
                page_size=request.page_size or DEFAULT_PAGE,
                cursor=request.page_token,
            )
        return pb.ListHistoryResponse(
            records=[record_to_proto(r) for r in records], next_page_token=token
        )

    async def VerifyHistory(
        self, request: pb.VerifyHistoryRequest, context: Context
    ) -> pb.VerifyHistoryResponse:
        institution_id = _institution(request.institution_id)
        await self._app.authorizer.require(JOURNAL_READ, institution_id=institution_id)
        await history.chain_institution(self._app.uow, institution_id)
        async with self._app.uow() as uow:
            result = await uow.history.verify(institution_id)
        return pb.VerifyHistoryResponse(
            intact=result.intact,
            records=result.records,
            first_broken_seq=result.first_broken_seq,
            problem=result.problem,
        )
