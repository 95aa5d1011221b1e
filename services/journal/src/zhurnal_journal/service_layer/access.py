"""Who may read and write a lesson's entries, asked of identity's one policy (ADR 8).

The journal describes the lesson: its teacher and the substitutes whose window is open now.
A teacher of the institution who is neither may still fill in for a colleague (R-5) when the
institution allows it: then the policy is asked journal.fill_in.
"""

from __future__ import annotations

from collections.abc import Sequence

from zhurnal_journal.adapters.marking_repository import InstitutionSettings
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import PermissionDenied

JOURNAL_READ = "journal.read"
JOURNAL_WRITE = "journal.write"
JOURNAL_FILL_IN = "journal.fill_in"
DIARY_READ = "diary.read"
PERIOD_MANAGE = "period.manage"
CURRICULUM_MANAGE = "curriculum.manage"
INSTITUTION_READ = "institution.read"
AGGREGATE_READ = "aggregate.read"


async def require_lessons(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    action: str,
    *,
    institution_id: str,
    teacher_ids: Sequence[str],
    substitute_ids: Sequence[str] = (),
    settings: InstitutionSettings | None = None,
) -> None:
    """Allow ``action`` (journal.read or journal.write) on lessons of ``teacher_ids``, or let a
    colleague fill in where the institution allows it; PermissionDenied otherwise. ``settings``:
    the institution's, when the caller has read them already."""
    try:
        await authorizer.require(
            action,
            institution_id=institution_id,
            teacher_ids=teacher_ids,
            substitute_ids=substitute_ids,
        )
    except PermissionDenied:
        settings = settings or await uow.marking.settings(institution_id)
        if not settings.colleagues_may_fill_in:
            raise
        await authorizer.require(JOURNAL_FILL_IN, institution_id=institution_id)
