"""Seeds the local demo district: demo accounts in Keycloak and institutions via the REST API.

Idempotent: run again, it finds what it made. Demo passwords are generated on first run into
.run/demo-credentials.txt (git-ignored), never committed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import httpx

from zhurnal_kit.testing import KeycloakAdmin

RUN_DIR = Path(os.environ["RUN_DIR"])
GATEWAY = f"http://127.0.0.1:{os.environ['GATEWAY_PORT']}"
KEYCLOAK = f"http://127.0.0.1:{os.environ['KEYCLOAK_PORT']}"

DEMO_USERS = {"district.admin": ["district-administrator"]}
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


def credentials() -> dict[str, str]:
    """Demo passwords, generated once."""
    path = RUN_DIR / "demo-credentials.txt"
    if not path.exists():
        lines = [f"{user} {secrets.token_urlsafe(12)}" for user in DEMO_USERS]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
    return dict(line.split(" ", 1) for line in path.read_text().splitlines() if line)


def main() -> None:
    """Seed the demo district."""
    keycloak = KeycloakAdmin(KEYCLOAK)
    passwords = credentials()
    for user, roles in DEMO_USERS.items():
        keycloak.ensure_user(user, passwords[user], roles)
    token = keycloak.password_token("district.admin", passwords["district.admin"])
    with httpx.Client(
        base_url=GATEWAY, timeout=15.0, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for body in DEMO_INSTITUTIONS:
            response = http.post(
                "/api/v1/institutions",
                json=body,
                headers={"Idempotency-Key": f"seed-{body['code']}"},
            )
            if response.status_code not in (201, 409):
                raise SystemExit(
                    f"seeding {body['code']} failed: {response.status_code} {response.text}"
                )
    print(f"zhurnal: demo district seeded ({len(DEMO_INSTITUTIONS)} institutions)")


if __name__ == "__main__":
    main()
