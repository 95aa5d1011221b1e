"""Translation between the year-opening domain and its proto contract (opening.proto)."""

from __future__ import annotations

from zhurnal.curriculum.v1 import opening_pb2 as pb
from zhurnal_curriculum.adapters.protos import GROUP_KIND_TO_PROTO, day
from zhurnal_curriculum.domain.opening import (
    Checklist,
    Level,
    Missing,
    Outcome,
    Override,
    PromotedGroup,
    PromotionResult,
)

OUTCOME_TO_PROTO = {
    Outcome.PROMOTED: pb.PROMOTION_OUTCOME_PROMOTED,
    Outcome.GRADUATED: pb.PROMOTION_OUTCOME_GRADUATED,
    Outcome.SKIPPED: pb.PROMOTION_OUTCOME_SKIPPED,
}
LEVEL_TO_PROTO = {
    Level.REQUIRED: pb.CHECKLIST_LEVEL_REQUIRED,
    Level.WARNING: pb.CHECKLIST_LEVEL_WARNING,
}


def override_from_proto(item: pb.GroupPromotion) -> Override:
    """The deputy's decision for one group."""
    return Override(
        group_id=item.group_id,
        skip=item.skip,
        name=item.name,
        without_students=item.without_students,
    )


def promoted_to_proto(item: PromotedGroup, *, dry_run: bool) -> pb.PromotedGroup:
    """One line of the promotion's mapping."""
    promotion, created = item.promotion, item.group
    return pb.PromotedGroup(
        from_group_id=promotion.source.id,
        from_name=promotion.source.name,
        outcome=OUTCOME_TO_PROTO[promotion.outcome],
        # A dry run's group was never written: its id would name nothing.
        to_group_id=created.id if created is not None and not dry_run else "",
        to_name=promotion.name,
        kind=GROUP_KIND_TO_PROTO[promotion.source.kind],
        years_of_study=sorted(promotion.years_of_study),
        carried_student_ids=list(item.carried),
        not_carried_student_ids=list(item.not_carried),
        note=promotion.note,
    )


def promotion_to_proto(result: PromotionResult) -> pb.PromoteGroupsResponse:
    """The mapping of old groups to new ones, with counts."""
    return pb.PromoteGroupsResponse(
        groups=[promoted_to_proto(g, dry_run=result.dry_run) for g in result.groups],
        groups_created=result.count(Outcome.PROMOTED),
        groups_graduated=result.count(Outcome.GRADUATED),
        groups_skipped=result.count(Outcome.SKIPPED),
        students_carried=result.students_carried,
        dry_run=result.dry_run,
    )


def _missing(item: Missing) -> pb.ChecklistMissing:
    return pb.ChecklistMissing(
        message=item.message,
        group_id=item.group_id,
        subject_id=item.subject_id,
        student_id=item.student_id,
        starts=day(item.starts) if item.starts else None,
        ends=day(item.ends) if item.ends else None,
    )


def checklist_to_proto(result: Checklist) -> pb.GetOpeningChecklistResponse:
    """The checklist as the contract shows it."""
    return pb.GetOpeningChecklistResponse(
        study_year_id=result.study_year_id,
        items=[
            pb.ChecklistItem(
                key=i.key,
                title=i.title,
                done=i.done,
                level=LEVEL_TO_PROTO[i.level],
                missing=[_missing(m) for m in i.missing],
            )
            for i in result.items
        ],
        ready=result.ready,
    )
