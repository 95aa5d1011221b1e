"""The composition root of the gateway: channels, the OIDC client, the verifier and sessions."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from zhurnal.curriculum.v1.calendar_pb2_grpc import CalendarServiceStub
from zhurnal.curriculum.v1.groups_pb2_grpc import GroupServiceStub
from zhurnal.curriculum.v1.hours_pb2_grpc import HoursServiceStub
from zhurnal.curriculum.v1.opening_pb2_grpc import YearOpeningServiceStub
from zhurnal.curriculum.v1.plans_pb2_grpc import PlanServiceStub
from zhurnal.curriculum.v1.timetable_pb2_grpc import TimetableServiceStub
from zhurnal.identity.v1.access_pb2_grpc import AccessServiceStub
from zhurnal.identity.v1.identity_pb2_grpc import IdentityServiceStub
from zhurnal.identity.v1.people_pb2_grpc import PeopleServiceStub
from zhurnal.journal.v1.journal_pb2_grpc import (
    JournalServiceStub,
    MarkingServiceStub,
    PeriodLockServiceStub,
)
from zhurnal_gateway.adapters.oidc import OidcClient, OidcTokenVerifier
from zhurnal_gateway.adapters.session_store import SessionStore
from zhurnal_gateway.config import GatewaySettings
from zhurnal_gateway.sessions import SessionManager
from zhurnal_kit.db import make_engine
from zhurnal_kit.grpc_client import make_channel


@dataclass
class Gateway:
    """What the gateway's routes need, built once in the app's lifespan."""

    settings: GatewaySettings
    channels: dict[str, grpc.aio.Channel]
    identity: IdentityServiceStub
    people: PeopleServiceStub
    access: AccessServiceStub
    groups: GroupServiceStub
    calendar: CalendarServiceStub
    hours: HoursServiceStub
    timetable: TimetableServiceStub
    plans: PlanServiceStub
    opening: YearOpeningServiceStub
    journal: JournalServiceStub
    marking: MarkingServiceStub
    period_locks: PeriodLockServiceStub
    verifier: OidcTokenVerifier
    http: httpx.AsyncClient
    engine: AsyncEngine
    oidc: OidcClient
    sessions: SessionManager

    async def close(self) -> None:
        """Close channels, HTTP clients and database connections."""
        for channel in self.channels.values():
            await channel.close()
        await self.verifier.close()
        await self.oidc.close()
        await self.http.aclose()
        await self.engine.dispose()


def bootstrap(settings: GatewaySettings | None = None) -> Gateway:
    """Build the gateway from settings (from the environment when not given)."""
    settings = settings or GatewaySettings()
    channels = {
        name: make_channel(addr, default_timeout_s=settings.call_timeout_s)
        for name, addr in settings.service_addresses().items()
    }
    oidc = OidcClient(
        settings.issuer,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        discovery_cache_s=settings.oidc_discovery_cache_s,
        timeout_s=settings.call_timeout_s,
    )
    verifier = OidcTokenVerifier(oidc, cache_s=settings.jwks_cache_s)
    engine = make_engine(settings)
    return Gateway(
        settings=settings,
        channels=channels,
        identity=IdentityServiceStub(channels["identity"]),
        people=PeopleServiceStub(channels["identity"]),
        access=AccessServiceStub(channels["identity"]),
        groups=GroupServiceStub(channels["curriculum"]),
        calendar=CalendarServiceStub(channels["curriculum"]),
        hours=HoursServiceStub(channels["curriculum"]),
        timetable=TimetableServiceStub(channels["curriculum"]),
        plans=PlanServiceStub(channels["curriculum"]),
        opening=YearOpeningServiceStub(channels["curriculum"]),
        journal=JournalServiceStub(channels["journal"]),
        marking=MarkingServiceStub(channels["journal"]),
        period_locks=PeriodLockServiceStub(channels["journal"]),
        verifier=verifier,
        http=httpx.AsyncClient(timeout=settings.ready_timeout_s),
        engine=engine,
        oidc=oidc,
        sessions=SessionManager(settings, SessionStore(engine), oidc, verifier),
    )
