"""Operator commands of the identity service.

``python -m zhurnal_identity.entrypoints.cli bootstrap-district-admin LOGIN`` makes an
existing Keycloak user the district's first administrator: the one grant nobody in Zhurnal
can make yet. Idempotent.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from zhurnal_identity.bootstrap import bootstrap
from zhurnal_identity.config import IdentitySettings
from zhurnal_identity.domain.access import Role, RoleBinding
from zhurnal_identity.domain.people import AccountStatus, FullName, Person, PersonKind
from zhurnal_kit import runtime
from zhurnal_kit.logging import configure_logging


async def bootstrap_district_admin(settings: IdentitySettings, login: str) -> str:
    """Link the Keycloak user ``login`` to a person with a district-administrator binding."""
    await runtime.prepare_database(settings, "zhurnal_identity")
    app = bootstrap(settings)
    try:
        account = await app.accounts.find_by_login(login)
        if account is None:
            raise SystemExit(f"no Keycloak user {login!r} in realm {settings.keycloak_realm}")
        now = datetime.now(UTC)
        async with app.uow() as uow:
            person = await uow.people.by_keycloak_id(account.user_id)
            if person is None:
                person = Person.new(
                    name=FullName("Администратор", "района"), login=login, kind=PersonKind.STAFF
                )
                person.keycloak_user_id = account.user_id
                person.account_status = AccountStatus.ACTIVE
                person.position = "Администратор района"
                await uow.people.add(person)
            if not any(
                b.role == Role.DISTRICT_ADMINISTRATOR and b.active_at(now)
                for b in await uow.bindings.open_for_person(person.id)
            ):
                await uow.bindings.add(
                    RoleBinding.grant(
                        person_id=person.id,
                        institution_id="",
                        role=Role.DISTRICT_ADMINISTRATOR,
                        valid_from=now,
                        valid_until=None,
                        granted_by="bootstrap",
                    )
                )
            await uow.commit()
        return person.id
    finally:
        await app.close()


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="zhurnal-identity")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("bootstrap-district-admin", help=__doc__)
    admin.add_argument("login")
    args = parser.parse_args()
    settings = IdentitySettings()
    configure_logging(settings.service_name, "WARNING")
    person_id = asyncio.run(bootstrap_district_admin(settings, args.login))
    print(person_id)


if __name__ == "__main__":
    main()
