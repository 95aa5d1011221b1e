"""Seeds the local demo district through the real services, the way people would.

- a district administrator: a Keycloak user made the first district administrator with the
  identity operator command (the one grant nobody in Zhurnal can make yet);
- three institutions, registered through the REST API;
- in School No. 7: an administrator, a deputy, a teacher, a student and a guardian, hired and
  registered through identity (accounts created in Keycloak by identity itself);
- the class journal of 7А in School No. 7 (seed_school.py).

Idempotent: run again, it finds what it made. Demo passwords are generated on the first run
into .run/demo-credentials.txt (git-ignored), never committed; for the demo they are set as
permanent passwords, so nobody is asked to change one at first login.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

import grpc
import httpx

# A sibling script (python puts this folder first on the path when seed.py runs).
from seed_school import seed_school

from zhurnal.identity.v1 import access_pb2, people_pb2, people_pb2_grpc
from zhurnal_kit.testing import KeycloakAdmin

RUN_DIR = Path(os.environ["RUN_DIR"])
GATEWAY = f"http://127.0.0.1:{os.environ['GATEWAY_PORT']}"
KEYCLOAK = f"http://127.0.0.1:{os.environ['KEYCLOAK_PORT']}"
IDENTITY = "127.0.0.1:50051"

DEMO_INSTITUTIONS = [
    {
        "code": "school-7",
        "full_name": "МБОУ «Средняя общеобразовательная школа № 7»",
        "short_name": "Школа № 7",
        "kind": "school",
        "time_zone": "Europe/Moscow",
        "address": "г. Энск, ул. Садовая, д. 12",
    },
    {
        "code": "cdt-raduga",
        "full_name": "МБУ ДО «Центр детского творчества „Радуга“»",
        "short_name": "ЦДТ «Радуга»",
        "kind": "additional_education",
        "time_zone": "Europe/Moscow",
        "address": "г. Энск, пр. Мира, д. 3",
    },
    {
        "code": "dyussh-1",
        "full_name": "МБУ ДО «Детско-юношеская спортивная школа № 1»",
        "short_name": "ДЮСШ № 1",
        "kind": "additional_education",
        "time_zone": "Europe/Moscow",
        "address": "г. Энск, ул. Спортивная, д. 1",
    },
]
STAFF = [  # login, role, last, first, patronymic, position
    (
        "admin.school7",
        access_pb2.ROLE_ADMINISTRATOR,
        "Королёва",
        "Ольга",
        "Игоревна",
        "администратор системы",
    ),
    (
        "deputy.school7",
        access_pb2.ROLE_DEPUTY,
        "Семёнов",
        "Андрей",
        "Павлович",
        "заместитель директора по УВР",
    ),
    (
        "teacher.school7",
        access_pb2.ROLE_TEACHER,
        "Ёлкина-Щукина",
        "Анна",
        "Сергеевна",
        "учитель математики",
    ),
]
LOGINS = ["district.admin", *(s[0] for s in STAFF), "student.school7", "parent.school7"]


def credentials() -> dict[str, str]:
    """Demo passwords, generated once."""
    path = RUN_DIR / "demo-credentials.txt"
    known = (
        dict(line.split(" ", 1) for line in path.read_text().splitlines() if line)
        if path.exists()
        else {}
    )
    for login in LOGINS:
        known.setdefault(login, secrets.token_urlsafe(12))
    path.write_text("".join(f"{k} {v}\n" for k, v in known.items()))
    path.chmod(0o600)
    return known


async def seed_people(
    token: str, school: str, keycloak: KeycloakAdmin, passwords: dict[str, str]
) -> None:
    """The demo staff, student and guardian of the school (skipped when already there)."""
    metadata = [("authorization", f"Bearer {token}")]
    async with grpc.aio.insecure_channel(IDENTITY) as channel:
        people = people_pb2_grpc.PeopleServiceStub(channel)

        async def once(login: str, call: object) -> str:
            try:
                reply = await call  # type: ignore[misc]
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.ALREADY_EXISTS:
                    raise
                return ""
            keycloak.set_password(login, passwords[login])
            return str(reply.person.id)

        for login, role, last, first, patronymic, position in STAFF:
            await once(
                login,
                people.HireStaff(
                    people_pb2.HireStaffRequest(
                        institution_id=school,
                        last_name=last,
                        first_name=first,
                        patronymic=patronymic,
                        position=position,
                        login=login,
                        role=role,
                        basis=access_pb2.Basis(number="1-к", date="2026-09-01"),
                    ),
                    metadata=metadata,
                ),
            )
        child = await once(
            "student.school7",
            people.RegisterStudent(
                people_pb2.RegisterStudentRequest(
                    institution_id=school,
                    last_name="Иванов",
                    first_name="Пётр",
                    patronymic="Андреевич",
                    login="student.school7",
                    personal_data=people_pb2.PersonalData(
                        birth_date=people_pb2.Date(year=2014, month=3, day=8)
                    ),
                ),
                metadata=metadata,
            ),
        )
        if child:
            await once(
                "parent.school7",
                people.RegisterGuardian(
                    people_pb2.RegisterGuardianRequest(
                        institution_id=school,
                        last_name="Иванова",
                        first_name="Мария",
                        patronymic="Ивановна",
                        login="parent.school7",
                        student_ids=[child],
                    ),
                    metadata=metadata,
                ),
            )


def main() -> None:
    """Seed the demo district."""
    keycloak = KeycloakAdmin(KEYCLOAK)
    passwords = credentials()
    keycloak.ensure_user("district.admin", passwords["district.admin"], [])
    subprocess.run(
        [
            sys.executable,
            "-m",
            "zhurnal_identity.entrypoints.cli",
            "bootstrap-district-admin",
            "district.admin",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    token = keycloak.password_token("district.admin", passwords["district.admin"])
    ids = {}
    with httpx.Client(
        base_url=GATEWAY, timeout=15.0, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for body in DEMO_INSTITUTIONS:
            reply = http.post(
                "/api/v1/institutions",
                json=body,
                headers={"Idempotency-Key": f"seed-{body['code']}"},
            )
            if reply.status_code not in (201, 409):
                raise SystemExit(f"seeding {body['code']} failed: {reply.status_code} {reply.text}")
        for item in http.get("/api/v1/institutions").json()["items"]:
            ids[item["code"]] = item["id"]
    asyncio.run(seed_people(token, ids["school-7"], keycloak, passwords))
    print(f"zhurnal: {asyncio.run(seed_school(RUN_DIR, ids['school-7'], keycloak, passwords))}")
    print(
        f"zhurnal: demo district seeded ({len(DEMO_INSTITUTIONS)} institutions, "
        f"{len(LOGINS)} demo logins)"
    )


if __name__ == "__main__":
    main()
