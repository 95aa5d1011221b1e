"""gRPC faces of the identity use cases (thin: translate, call, translate back)."""

from __future__ import annotations

from typing import Any

from zhurnal.identity.v1 import access_pb2, access_pb2_grpc, people_pb2, people_pb2_grpc
from zhurnal_identity.adapters.protos import (
    KIND_OF_PERSON_FROM_PROTO,
    ROLE_FROM_PROTO,
    ROLE_TO_PROTO,
    basis_from_proto,
    binding_to_proto,
    date_from_proto,
    from_timestamp,
    person_to_proto,
    personal_data_from_proto,
    timestamp,
)
from zhurnal_identity.bootstrap import Identity
from zhurnal_identity.domain import policy
from zhurnal_identity.domain.people import FullName, PersonKind
from zhurnal_identity.service_layer import access, imports, people
from zhurnal_kit.auth import current_caller
from zhurnal_kit.errors import invalid

Context = Any  # grpc.aio.ServicerContext: unused by these handlers


def _enrolled(enrolled: people.Enrolled) -> dict[str, Any]:
    return {
        "person": person_to_proto(enrolled.person),
        "binding": binding_to_proto(enrolled.binding, enrolled.person.name.display),
        "temporary_password": enrolled.temporary_password,
    }


class PeopleServicer(people_pb2_grpc.PeopleServiceServicer):
    """PeopleService."""

    def __init__(self, app: Identity) -> None:
        self._app = app

    async def _enrol(self, kind: PersonKind, request: Any, **extra: Any) -> people.Enrolled:
        return await people.enrol(
            self._app.uow,
            self._app.accounts,
            current_caller.get(),
            people.Enrolment(
                institution_id=request.institution_id,
                kind=kind,
                role=extra.pop("role", None),
                last_name=request.last_name,
                first_name=request.first_name,
                patronymic=request.patronymic,
                login=request.login,
                personal_data=personal_data_from_proto(request.personal_data),
                idempotency_key=request.idempotency_key,
                **extra,
            ),
        )

    async def HireStaff(
        self,
        request: people_pb2.HireStaffRequest,
        context: Context,
    ) -> people_pb2.HireStaffResponse:
        enrolled = await self._enrol(
            PersonKind.STAFF,
            request,
            role=ROLE_FROM_PROTO.get(request.role),
            position=request.position,
            employment_start=date_from_proto(request.employment_start, "employment_start"),
            basis=basis_from_proto(request.basis),
            scope=frozenset(request.scope),
            valid_until=from_timestamp(request.valid_until, request.HasField("valid_until")),
        )
        return people_pb2.HireStaffResponse(**_enrolled(enrolled))

    async def RegisterStudent(
        self, request: people_pb2.RegisterStudentRequest, context: Context
    ) -> people_pb2.RegisterStudentResponse:
        enrolled = await self._enrol(PersonKind.STUDENT, request)
        return people_pb2.RegisterStudentResponse(**_enrolled(enrolled))

    async def RegisterGuardian(
        self, request: people_pb2.RegisterGuardianRequest, context: Context
    ) -> people_pb2.RegisterGuardianResponse:
        enrolled = await self._enrol(
            PersonKind.GUARDIAN, request, student_ids=tuple(request.student_ids)
        )
        return people_pb2.RegisterGuardianResponse(**_enrolled(enrolled))

    async def LinkGuardian(
        self, request: people_pb2.LinkGuardianRequest, context: Context
    ) -> people_pb2.LinkGuardianResponse:
        await people.link_guardian(
            self._app.uow, current_caller.get(), request.guardian_id, request.student_id
        )
        return people_pb2.LinkGuardianResponse()

    async def DismissStaff(
        self, request: people_pb2.DismissStaffRequest, context: Context
    ) -> people_pb2.DismissStaffResponse:
        person, ended = await people.dismiss(
            self._app.uow,
            self._app.accounts,
            current_caller.get(),
            person_id=request.person_id,
            employment_end=date_from_proto(request.employment_end, "employment_end"),
            basis=basis_from_proto(request.basis),
        )
        name = person.name.display
        return people_pb2.DismissStaffResponse(
            person=person_to_proto(person), ended=[binding_to_proto(b, name) for b in ended]
        )

    async def GetPerson(
        self, request: people_pb2.GetPersonRequest, context: Context
    ) -> people_pb2.GetPersonResponse:
        person, with_data = await people.get_person(
            self._app.uow,
            current_caller.get(),
            person_id=request.id,
            with_personal_data=request.with_personal_data,
            purpose=request.purpose,
        )
        return people_pb2.GetPersonResponse(
            person=person_to_proto(person, with_personal_data=with_data)
        )

    async def ListPeople(
        self, request: people_pb2.ListPeopleRequest, context: Context
    ) -> people_pb2.ListPeopleResponse:
        found, token = await people.list_people(
            self._app.uow,
            current_caller.get(),
            institution_id=request.institution_id,
            kind=KIND_OF_PERSON_FROM_PROTO.get(request.kind),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return people_pb2.ListPeopleResponse(
            people=[person_to_proto(p) for p in found], next_page_token=token
        )

    async def ImportPeople(
        self, request: people_pb2.ImportPeopleRequest, context: Context
    ) -> people_pb2.ImportPeopleResponse:
        result = await imports.import_people(
            self._app.uow,
            self._app.bulk_accounts,
            current_caller.get(),
            imports.ImportPeople(
                institution_id=request.institution_id,
                fmt={
                    people_pb2.IMPORT_FORMAT_CSV: "csv",
                    people_pb2.IMPORT_FORMAT_XLSX: "xlsx",
                }.get(request.format, ""),
                content=request.content,
                dry_run=request.dry_run,
                idempotency_key=request.idempotency_key,
            ),
        )
        return imports.to_proto(result)


class AccessServicer(access_pb2_grpc.AccessServiceServicer):
    """AccessService."""

    def __init__(self, app: Identity) -> None:
        self._app = app

    async def GrantAccess(
        self, request: access_pb2.GrantAccessRequest, context: Context
    ) -> access_pb2.GrantAccessResponse:
        binding = await access.grant_access(
            self._app.uow(),
            current_caller.get(),
            access.GrantAccess(
                person_id=request.person_id,
                institution_id=request.institution_id,
                role=ROLE_FROM_PROTO.get(request.role),
                valid_from=from_timestamp(request.valid_from, request.HasField("valid_from")),
                valid_until=from_timestamp(request.valid_until, request.HasField("valid_until")),
                basis=basis_from_proto(request.basis),
                scope=frozenset(request.scope),
            ),
        )
        return access_pb2.GrantAccessResponse(binding=binding_to_proto(binding))

    async def RevokeAccess(
        self, request: access_pb2.RevokeAccessRequest, context: Context
    ) -> access_pb2.RevokeAccessResponse:
        binding = await access.revoke_access(
            self._app.uow(), current_caller.get(), request.binding_id, request.reason
        )
        return access_pb2.RevokeAccessResponse(binding=binding_to_proto(binding))

    async def ReviewAccess(
        self, request: access_pb2.ReviewAccessRequest, context: Context
    ) -> access_pb2.ReviewAccessResponse:
        found = await access.review_access(
            self._app.uow(), current_caller.get(), request.institution_id
        )
        return access_pb2.ReviewAccessResponse(
            bindings=[binding_to_proto(b, name) for b, name in found]
        )

    async def Authorize(
        self, request: access_pb2.AuthorizeRequest, context: Context
    ) -> access_pb2.AuthorizeResponse:
        resource = request.resource
        decision = await access.authorize(
            self._app.uow(),
            current_caller.get(),
            request.action,
            policy.Resource(
                institution_id=resource.institution_id,
                person_id=resource.person_id,
                teacher_ids=frozenset(resource.teacher_ids),
                substitute_ids=frozenset(resource.substitute_ids),
            ),
        )
        return access_pb2.AuthorizeResponse(
            allowed=decision.allowed, reason=decision.reason, binding_id=decision.binding_id
        )

    async def WhoAmI(
        self, request: access_pb2.WhoAmIRequest, context: Context
    ) -> access_pb2.WhoAmIResponse:
        me = await access.who_am_i(self._app.uow(), current_caller.get())
        name = me.person.name.display
        return access_pb2.WhoAmIResponse(
            person_id=me.person.id,
            display_name=name,
            bindings=[binding_to_proto(b, name) for b in me.principal.bindings],
            children_ids=sorted(me.principal.children),
            active=me.principal.active and bool(me.principal.bindings),
        )

    async def ListPersonalDataAccess(
        self, request: access_pb2.ListPersonalDataAccessRequest, context: Context
    ) -> access_pb2.ListPersonalDataAccessResponse:
        if request.page_size < 0 or request.page_size > 500:
            raise invalid("page_size", "must be between 0 and 500")
        try:
            before = int(request.page_token) if request.page_token else 2**62
        except ValueError:
            raise invalid("page_token", "is not a token this service gave out") from None
        size = request.page_size or 100
        rows = await access.personal_data_log(
            self._app.uow(),
            current_caller.get(),
            institution_id=request.institution_id,
            subject_id=request.subject_id,
            before_id=before,
            limit=size + 1,
        )
        entries = [
            access_pb2.PersonalDataAccess(
                reader_id=r.reader_id,
                reader_name=FullName(
                    r.reader_last or "", r.reader_first or "", r.reader_patronymic or ""
                ).display,
                subject_id=r.subject_id,
                subject_name=FullName(r.last_name, r.first_name, r.patronymic).display,
                purpose=r.purpose,
                fields=list(r.fields),
                at=timestamp(r.at),
            )
            for r in rows[:size]
        ]
        token = str(rows[size - 1].id) if len(rows) > size else ""
        return access_pb2.ListPersonalDataAccessResponse(entries=entries, next_page_token=token)


__all__ = ["ROLE_TO_PROTO", "AccessServicer", "PeopleServicer"]
