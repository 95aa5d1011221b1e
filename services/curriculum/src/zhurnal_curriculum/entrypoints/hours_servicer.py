"""gRPC face of the curriculum-hours use cases (thin)."""

from __future__ import annotations

from typing import Any

from zhurnal.curriculum.v1 import hours_pb2 as pb
from zhurnal.curriculum.v1 import hours_pb2_grpc
from zhurnal_curriculum.bootstrap import Curriculum
from zhurnal_curriculum.domain.hours import CurriculumLine, LoadLine, Subject, SubjectKind
from zhurnal_curriculum.service_layer import hours

Context = Any  # grpc.aio.ServicerContext: unused by these handlers

_KINDS = {
    pb.SUBJECT_KIND_SUBJECT: SubjectKind.SUBJECT,
    pb.SUBJECT_KIND_PROGRAMME: SubjectKind.PROGRAMME,
}


def _subject(item: Subject, institution_id: str) -> pb.Subject:
    return pb.Subject(
        id=item.id,
        institution_id=institution_id,
        name=item.name,
        kind=pb.SUBJECT_KIND_PROGRAMME
        if item.kind == SubjectKind.PROGRAMME
        else pb.SUBJECT_KIND_SUBJECT,
    )


class HoursServicer(hours_pb2_grpc.HoursServiceServicer):
    """HoursService."""

    def __init__(self, app: Curriculum) -> None:
        self._app = app

    async def DefineSubject(
        self, request: pb.DefineSubjectRequest, context: Context
    ) -> pb.DefineSubjectResponse:
        item = await hours.define_subject(
            self._app.uow(),
            self._app.authorizer,
            institution_id=request.institution_id,
            name=request.name,
            kind=_KINDS.get(request.kind),
        )
        return pb.DefineSubjectResponse(subject=_subject(item, request.institution_id))

    async def ListSubjects(
        self, request: pb.ListSubjectsRequest, context: Context
    ) -> pb.ListSubjectsResponse:
        found = await hours.list_subjects(
            self._app.uow(), self._app.authorizer, request.institution_id
        )
        return pb.ListSubjectsResponse(
            subjects=[_subject(item, request.institution_id) for item in found]
        )

    async def SetCurriculum(
        self, request: pb.SetCurriculumRequest, context: Context
    ) -> pb.SetCurriculumResponse:
        count = await hours.set_curriculum(
            self._app.uow(),
            self._app.authorizer,
            year_id=request.study_year_id,
            lines=[
                CurriculumLine(
                    x.group_id,
                    x.subject_id,
                    x.hours,
                    {p.period_id: p.hours for p in x.periods},
                    x.student_id or None,
                )
                for x in request.lines
            ],
        )
        return pb.SetCurriculumResponse(lines=count)

    async def SetTeachingLoad(
        self, request: pb.SetTeachingLoadRequest, context: Context
    ) -> pb.SetTeachingLoadResponse:
        count = await hours.set_load(
            self._app.uow(),
            self._app.authorizer,
            year_id=request.study_year_id,
            lines=[
                LoadLine(
                    x.teacher_id,
                    x.group_id,
                    x.subject_id,
                    x.hours,
                    x.student_id or None,
                    x.subgroup or None,
                )
                for x in request.lines
            ],
        )
        return pb.SetTeachingLoadResponse(lines=count)

    async def CheckTeachingLoad(
        self, request: pb.CheckTeachingLoadRequest, context: Context
    ) -> pb.CheckTeachingLoadResponse:
        found = await hours.check(self._app.uow(), self._app.authorizer, request.study_year_id)
        return pb.CheckTeachingLoadResponse(
            mismatches=[
                pb.Mismatch(
                    kind=m.kind.value,
                    group_id=m.group_id,
                    subject_id=m.subject_id,
                    student_id=m.student_id or "",
                    subgroup=m.subgroup or "",
                    expected=m.expected,
                    actual=m.actual,
                    message=m.message,
                )
                for m in found
            ]
        )
