"""The identity gRPC server (thin: translate, call the use case, translate back)."""

from __future__ import annotations

import grpc

from zhurnal.identity.v1 import (
    access_pb2,
    access_pb2_grpc,
    identity_pb2_grpc,
    people_pb2,
    people_pb2_grpc,
)
from zhurnal.identity.v1 import identity_pb2 as pb
from zhurnal_identity.adapters.protos import KIND_FROM_PROTO, institution_to_proto
from zhurnal_identity.bootstrap import Identity, bootstrap
from zhurnal_identity.config import IdentitySettings
from zhurnal_identity.entrypoints.servicers import AccessServicer, PeopleServicer
from zhurnal_identity.service_layer import institutions
from zhurnal_kit import runtime
from zhurnal_kit.auth import current_caller


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    """gRPC face of the identity use cases."""

    def __init__(self, app: Identity) -> None:
        self._app = app

    async def CreateInstitution(
        self, request: pb.CreateInstitutionRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateInstitutionResponse:
        item = await institutions.register_institution(
            self._app.uow(),
            current_caller.get(),
            institutions.RegisterInstitution(
                code=request.code,
                full_name=request.full_name,
                short_name=request.short_name,
                kind=KIND_FROM_PROTO.get(request.kind),
                time_zone=request.time_zone,
                address=request.address,
                idempotency_key=request.idempotency_key,
            ),
        )
        return pb.CreateInstitutionResponse(institution=institution_to_proto(item))

    async def GetInstitution(
        self, request: pb.GetInstitutionRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetInstitutionResponse:
        item = await institutions.get_institution(self._app.uow(), current_caller.get(), request.id)
        return pb.GetInstitutionResponse(institution=institution_to_proto(item))

    async def ListInstitutions(
        self, request: pb.ListInstitutionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListInstitutionsResponse:
        items, next_token = await institutions.list_institutions(
            self._app.uow(),
            current_caller.get(),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListInstitutionsResponse(
            institutions=[institution_to_proto(i) for i in items], next_page_token=next_token
        )


async def serve(settings: IdentitySettings) -> None:
    """Migrate, then serve until signalled."""
    app = bootstrap(settings)
    await runtime.serve_grpc(
        settings,
        "zhurnal_identity",
        registrars=[
            lambda s: identity_pb2_grpc.add_IdentityServiceServicer_to_server(
                IdentityServicer(app), s
            ),
            lambda s: people_pb2_grpc.add_PeopleServiceServicer_to_server(PeopleServicer(app), s),
            lambda s: access_pb2_grpc.add_AccessServiceServicer_to_server(AccessServicer(app), s),
        ],
        service_names=[
            pb.DESCRIPTOR.services_by_name["IdentityService"].full_name,
            people_pb2.DESCRIPTOR.services_by_name["PeopleService"].full_name,
            access_pb2.DESCRIPTOR.services_by_name["AccessService"].full_name,
        ],
        verifier=app.verifier,
        on_close=app.close,
    )


def main() -> None:
    """Entry point: ``python -m zhurnal_identity.entrypoints.grpc_server``."""
    settings = IdentitySettings()
    runtime.run(lambda: serve(settings), settings)


if __name__ == "__main__":
    main()
