"""The history of every change (R-1.6): what a change record says, and its hash chain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class ChangeAction(IntEnum):
    """journal.v1.ChangeAction."""

    CREATE = 1
    UPDATE = 2
    DELETE = 3


@dataclass(frozen=True)
class Change:
    """One change of one entry, as a use case states it (before it is chained).

    ``entity`` names the kind of entry: lesson_record, attendance, mark, final_mark,
    period_unlock, settings, mark_scale, mark_type. ``before`` is None for a create and
    ``after`` None for a delete; both hold plain JSON values.
    """

    entity: str
    entity_id: str
    action: ChangeAction
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    lesson_id: str = ""
    responsible_teacher_id: str = ""
