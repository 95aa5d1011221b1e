"""The hire saga against the real PostgreSQL and Keycloak: Keycloak unreachable, or the
process dying half-way, leaves no person without an account and no account without a person,
and a retry with the same idempotency key succeeds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from zhurnal_identity.adapters.keycloak import KeycloakAccounts
from zhurnal_identity.adapters.tables import person as person_table
from zhurnal_identity.config import IdentitySettings
from zhurnal_identity.domain.access import Role, RoleBinding
from zhurnal_identity.domain.people import AccountStatus, FullName, Person, PersonKind
from zhurnal_identity.service_layer import accounts as account_jobs
from zhurnal_identity.service_layer import people
from zhurnal_identity.service_layer.unit_of_work import IdentityUnitOfWork
from zhurnal_kit.auth import Caller
from zhurnal_kit.db import make_engine, make_session_factory
from zhurnal_kit.errors import Unavailable
from zhurnal_kit.migrations import apply_migrations
from zhurnal_kit.pytest_plugin import Infra, free_port
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


def keycloak_accounts(infra: Infra, url: str | None = None) -> KeycloakAccounts:
    secret = (infra.run_dir / "secrets" / "identity-client-secret").read_text().strip()
    return KeycloakAccounts(
        server_url=url or infra.keycloak_url,
        realm="zhurnal",
        client_id="zhurnal-identity",
        client_secret=secret,
        timeout=3,
    )


@pytest.fixture(scope="module")
async def uows(make_database: Callable[[str], str]) -> AsyncIterator[Any]:
    url = make_database("identity_saga")
    await apply_migrations("zhurnal_identity", url)
    engine = make_engine(IdentitySettings(database_url=url))
    sessions = make_session_factory(engine)
    yield lambda: IdentityUnitOfWork(sessions, producer="identity")
    await engine.dispose()


@pytest.fixture(scope="module")
async def admin(uows: Any) -> Caller:
    """A district administrator known to the database (the token check is not tested here)."""
    subject = str(uuid.uuid4())
    async with uows() as uow:
        me = Person.new(
            name=FullName("Админ", "Района"), login=f"adm-{subject[:8]}", kind=PersonKind.STAFF
        )
        me.keycloak_user_id, me.account_status = subject, AccountStatus.ACTIVE
        await uow.people.add(me)
        await uow.bindings.add(
            RoleBinding.grant(
                person_id=me.id,
                institution_id="",
                role=Role.DISTRICT_ADMINISTRATOR,
                valid_from=datetime.now(UTC) - timedelta(minutes=1),
                valid_until=None,
                granted_by="test",
            )
        )
        await uow.commit()
    return Caller(subject=subject)


def hire_command(login: str, key: str) -> people.Enrolment:
    return people.Enrolment(
        institution_id="",
        kind=PersonKind.STAFF,
        role=Role.DISTRICT_ANALYST,
        last_name="Аналитикова",
        first_name="Вера",
        patronymic="",
        login=login,
        position="аналитик",
        idempotency_key=key,
    )


async def people_named(uows: Any, login: str) -> int:
    async with uows() as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(person_table).where(person_table.c.login == login)
            )
        )


async def test_keycloak_unreachable_leaves_nothing_and_the_retry_succeeds(
    uows: Any, admin: Caller, infra: Infra, keycloak: KeycloakAdmin
) -> None:
    login, key = f"saga-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    down = keycloak_accounts(infra, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(Unavailable):
        await people.enrol(uows, down, admin, hire_command(login, key))
    assert await people_named(uows, login) == 0
    assert keycloak.user(login) is None
    up = keycloak_accounts(infra)
    enrolled = await people.enrol(uows, up, admin, hire_command(login, key))
    again = await people.enrol(uows, up, admin, hire_command(login, key))
    assert again.person.id == enrolled.person.id  # the retry found the finished hire
    assert enrolled.person.account_status == AccountStatus.ACTIVE
    assert await people_named(uows, login) == 1
    account = keycloak.user(login)
    assert account is not None
    assert account["id"] == enrolled.person.keycloak_user_id


async def test_a_hire_that_died_half_way_is_undone_on_both_sides(
    uows: Any, admin: Caller, infra: Infra, keycloak: KeycloakAdmin
) -> None:
    login, key = f"saga-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    up = keycloak_accounts(infra)

    class DiesAfterCreating:
        """The real Keycloak, and then the process "dies" before step 3."""

        async def create_user(self, **fields: Any) -> str:
            await up.create_user(**fields)
            raise SystemExit("killed")

    with pytest.raises(SystemExit):
        await people.enrol(uows, DiesAfterCreating(), admin, hire_command(login, key))  # type: ignore[arg-type]
    assert await people_named(uows, login) == 1  # PENDING, with no access
    assert keycloak.user(login) is not None
    async with uows() as uow:  # two minutes pass
        await uow.session.execute(
            update(person_table)
            .where(person_table.c.login == login)
            .values(updated_at=func.now() - timedelta(minutes=5))
        )
        await uow.commit()
    assert await account_jobs.undo_stale_pending(uows, up) >= 1
    assert await people_named(uows, login) == 0
    assert keycloak.user(login) is None
    retried = await people.enrol(uows, up, admin, hire_command(login, key))
    assert retried.person.account_status == AccountStatus.ACTIVE


async def test_reconciliation_marks_deleted_only_the_accounts_keycloak_has_not(
    uows: Any, admin: Caller, infra: Infra, keycloak: KeycloakAdmin
) -> None:
    up = keycloak_accounts(infra)
    kept = await people.enrol(
        uows, up, admin, hire_command(f"rec-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()))
    )
    gone = await people.enrol(
        uows, up, admin, hire_command(f"rec-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()))
    )
    await up.delete_user(gone.person.keycloak_user_id)

    class ListingReadBeforeTheHires:
        """The real Keycloak, but its user listing misses both (read before they were hired,
        or paged past them while other users were created)."""

        async def list_users(self, first: int, count: int) -> list[Any]:
            return []

        async def get_user(self, user_id: str) -> Any:
            return await up.get_user(user_id)

    await account_jobs.reconcile_all(uows, ListingReadBeforeTheHires())  # type: ignore[arg-type]
    async with uows() as uow:
        assert (await uow.people.get(kept.person.id)).account_status == AccountStatus.ACTIVE
        assert (await uow.people.get(gone.person.id)).account_status == AccountStatus.DELETED
