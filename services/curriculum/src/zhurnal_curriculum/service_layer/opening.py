"""Use cases of opening the study year (R-5): promoting last year's groups, the checklist."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from zhurnal_curriculum.domain import opening
from zhurnal_curriculum.domain.calendar import StudyYear
from zhurnal_curriculum.domain.groups import enrol
from zhurnal_curriculum.domain.opening import (
    FINAL_YEAR,
    Checklist,
    Outcome,
    Override,
    PromotedGroup,
    PromotionResult,
    YearState,
)
from zhurnal_curriculum.service_layer.calendar import CURRICULUM_MANAGE, CURRICULUM_READ
from zhurnal_curriculum.service_layer.groups import enrolment_changed, group_created
from zhurnal_curriculum.service_layer.handlers import STUDENT_ROLES
from zhurnal_curriculum.service_layer.unit_of_work import CurriculumUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import AlreadyExists, FieldViolation, NotFound, invalid


@dataclass(frozen=True)
class PromoteGroups:
    """The command to create the new year's groups from the previous year's."""

    from_study_year_id: str
    to_study_year_id: str
    promotions: list[Override] = field(default_factory=list)
    carry_students: bool = False
    final_year: int = FINAL_YEAR
    dry_run: bool = False


async def _years(uow: CurriculumUnitOfWork, command: PromoteGroups) -> tuple[StudyYear, StudyYear]:
    old = await uow.study_years.get(command.from_study_year_id)
    if old is None:
        raise invalid("from_study_year_id", "is unknown")
    # Locked: two promotions into one year wait for each other instead of racing on names.
    new = await uow.study_years.get(command.to_study_year_id, for_update=True)
    if new is None:
        raise invalid("to_study_year_id", "is unknown")
    return old, new


async def promote_groups(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, command: PromoteGroups
) -> PromotionResult:
    """Create the new year's groups from the previous year's, carrying students if asked.

    One transaction: every group and enrolment is written, with its events, or nothing is.
    A dry run does every check and reports the same mapping without writing.
    """
    async with uow:
        old, new = await _years(uow, command)
        await authorizer.require(CURRICULUM_MANAGE, institution_id=old.institution_id)
        if new.institution_id != old.institution_id:
            raise invalid("to_study_year_id", "is a study year of another institution")
        if new.starts <= old.ends:
            raise invalid(
                "to_study_year_id",
                f"must start after the study year «{old.name}» ends ({old.ends.isoformat()})",
            )
        plan = opening.plan_promotion(
            await uow.groups.of_year(old.id),
            command.promotions,
            final_year=command.final_year,
            carry_students=command.carry_students,
            taken={g.name for g in await uow.groups.of_year(new.id)},
            year_name=new.name,
        )
        # Those on the old group's roster on the previous year's last day move along; who
        # has since left the institution (identity's AccessEnded) cannot be enrolled.
        rosters = {
            p.source.id: await uow.groups.roster(p.source.id, old.ends)
            for p in plan
            if p.outcome == Outcome.PROMOTED and p.carry_students
        }
        everyone = sorted({s for students in rosters.values() for s in students})
        students = (
            await uow.people.holders(old.institution_id, STUDENT_ROLES, everyone)
            if everyone
            else set()
        )
        result = []
        for promotion in plan:
            if promotion.outcome != Outcome.PROMOTED:
                result.append(PromotedGroup(promotion))
                continue
            created = promotion.group_in(new)
            roster = rosters.get(promotion.source.id, [])
            carried = tuple(s for s in roster if s in students)
            result.append(
                PromotedGroup(
                    promotion,
                    created,
                    carried,
                    tuple(s for s in roster if s not in students),
                )
            )
            enrolments = [
                enrol(created, s, joined=created.starts, reason=promotion.join_reason, current=[])
                for s in carried
            ]
            if command.dry_run:
                continue
            try:
                await uow.groups.add(created)
                for item in enrolments:
                    await uow.groups.add_enrolment(item)
            except IntegrityError:
                # A group of that name was created meanwhile (GroupService.CreateGroup does
                # not lock the year): the same answer as a name found taken above.
                raise AlreadyExists(
                    f"the new study year already has «{created.name}»",
                    [
                        FieldViolation(
                            promotion.name_field(),
                            f"«{created.name}» (from «{promotion.source.name}») is already a "
                            f"group of the study year «{new.name}»",
                        )
                    ],
                ) from None
            uow.publish(group_created(created))
            for item in enrolments:
                uow.publish(enrolment_changed(item, created.institution_id))
        if not command.dry_run:
            await uow.commit()
    return PromotionResult(result, command.dry_run)


async def opening_checklist(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, study_year_id: str
) -> Checklist:
    """What the study year still lacks before it can start, in the deputy's words."""
    async with uow:
        year = await uow.study_years.get(study_year_id)
        if year is None:
            raise NotFound(f"no study year {study_year_id!r}")
        await authorizer.require(CURRICULUM_READ, institution_id=year.institution_id)
        state = YearState(
            year=year,
            groups=await uow.groups.of_year(year.id),
            subjects=await uow.hours.subjects(year.institution_id),
            students=await uow.opening.students_per_group(year.id),
            curriculum=await uow.hours.curriculum(year.id),
            load=await uow.hours.load(year.id),
            slotted=await uow.opening.slotted(year.id),
            plans=await uow.opening.plan_statuses(year.id),
        )
    return opening.checklist(state)
