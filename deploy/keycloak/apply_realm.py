"""Bring a running Keycloak realm in line with deploy/keycloak/zhurnal-realm.json.

Keycloak imports the realm file only when the realm does not exist yet; this script makes a
changed file reach a realm that already runs. deploy/local/keycloak.sh start calls it after
Keycloak is ready; run it by hand with the project venv:

    eval "$(deploy/local/keycloak.sh env)"
    .venv/bin/python deploy/keycloak/apply_realm.py [--url URL] [--realm-file FILE]

It logs in as the bootstrap admin of the master realm (KC_BOOTSTRAP_ADMIN_USERNAME /
KC_BOOTSTRAP_ADMIN_PASSWORD, admin/admin locally) and, through the Admin REST API:
- realm top-level settings (tokens, sessions, password policy, brute force, events and admin
  events) and the realm attributes named in the file: PUT of what differs;
- the user profile (components -> UserProfileProvider in the file): PUT when it differs;
- realm roles: created when missing, description kept in line (extra roles are left alone);
- clients, matched by clientId: created when missing, otherwise their settings, attributes,
  secret, default/optional client scopes and protocol mappers are made equal to the file;
- service-account users of the file: missing role mappings are added (nothing removed); the
  users themselves are left to the import;
- the browser flow "browser-zhurnal" with OTP enforced for the roles listed in the realm
  attribute "zhurnal.otpRoles" (comma-separated, empty by default), bound as the browser flow.

Idempotent: a second run changes nothing and says so. One summary line goes to stdout.

${NAME} placeholders (upper-case names, as Keycloak's import substitutes them for the client
secrets) are replaced by environment variables and must be set; lower-case ones such as
${username} are Keycloak message keys and stay as they are.

OTP per role: for each role r_i listed, a conditional sub-flow "Condition - user role r_i"
(and NOT r_1..r_{i-1}, so nobody is asked twice) followed by a required OTP form: a user with
the role and no OTP yet gets the CONFIGURE_TOTP required action at the next browser login. The
usual "OTP when configured" sub-flow follows for everyone else. Password grants (the zhurnal-dev
test client) use the direct grant flow and are not affected.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

HERE = Path(__file__).resolve().parent
FLOW = "browser-zhurnal"
OTP_ROLES_ATTRIBUTE = "zhurnal.otpRoles"
USER_PROFILE = "org.keycloak.userprofile.UserProfileProvider"
# Keys handled by their own step (or never applied: users are the import's business).
NOT_TOP_LEVEL = {"realm", "id", "roles", "clients", "users", "components", "attributes"}
# Client fields compared and set as lists whose order does not matter.
UNORDERED = {"redirectUris", "webOrigins"}
CLIENT_OWN_STEPS = {"protocolMappers", "defaultClientScopes", "optionalClientScopes", "id"}
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::([^}]*))?\}")


class ApplyError(Exception):
    """The realm could not be brought in line; the message says why."""


def substitute(text: str) -> str:
    """${NAME} and ${NAME:default} from the environment, as Keycloak's import does."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = os.environ.get(name, default)
        if value is None:
            raise ApplyError(
                f'{name} is not set (eval "$(deploy/local/keycloak.sh env)" provides it)'
            )
        # JSON-escaped, because the placeholder sits inside a JSON string.
        return json.dumps(value)[1:-1]

    return PLACEHOLDER.sub(one, text)


class Admin:
    """The Admin REST API of one realm, as the master realm's admin."""

    def __init__(self, url: str, realm: str, user: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.realm = realm
        self._user, self._password = user, password
        self.http = httpx.Client(timeout=30.0)
        self._token = ""

    def _login(self) -> None:
        response = self.http.post(
            f"{self.url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self._user,
                "password": self._password,
            },
        )
        if response.status_code != 200:
            raise ApplyError(f"admin login refused: {response.status_code} {response.text}")
        self._token = response.json()["access_token"]

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """``path`` is relative to /admin/realms/<realm>; a 4xx/5xx answer raises ApplyError."""
        if not self._token:
            self._login()
        url = f"{self.url}/admin/realms/{self.realm}{path}"
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token}"}
            response = self.http.request(method, url, headers=headers, **kwargs)
            # The master realm's admin tokens live a minute; log in again once when one lapses.
            if response.status_code == 401 and attempt == 1:
                self._login()
                continue
            break
        if response.status_code >= 400:
            raise ApplyError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params).json()


def flow_path(alias: str) -> str:
    return f"/authentication/flows/{quote(alias, safe='')}"


def same_list(a: Any, b: Any) -> bool:
    return sorted(map(json.dumps, a or [])) == sorted(map(json.dumps, b or []))


def covers(live: Any, wanted: Any) -> bool:
    """``live`` has everything ``wanted`` says; Keycloak fills in defaults of its own (a
    mapper's config gains keys the file never named), which must not count as a difference."""
    if isinstance(wanted, dict):
        return isinstance(live, dict) and all(covers(live.get(k), v) for k, v in wanted.items())
    return bool(live == wanted)


class Applier:
    def __init__(self, admin: Admin, desired: dict[str, Any]) -> None:
        self.admin = admin
        self.desired = desired
        self.changes: list[str] = []

    def run(self) -> list[str]:
        self.realm_settings()
        self.user_profile()
        self.roles()
        for client in self.desired.get("clients", []):
            self.client(client)
        self.service_accounts()
        self.otp_flow()
        return self.changes

    # --- realm ------------------------------------------------------------------------------

    def realm_settings(self) -> None:
        live = self.admin.get("")
        update: dict[str, Any] = {}
        for key, value in self.desired.items():
            if key in NOT_TOP_LEVEL:
                continue
            if isinstance(value, list):
                if not same_list(value, live.get(key)):
                    update[key] = value
            elif live.get(key) != value:
                update[key] = value
        wanted_attrs = self.desired.get("attributes", {})
        live_attrs = live.get("attributes") or {}
        attrs = {k: v for k, v in wanted_attrs.items() if live_attrs.get(k) != v}
        if attrs:
            # All of them: Keycloak merges attributes on PUT but drops adminEventsExpiration
            # when a PUT with attributes does not repeat it.
            update["attributes"] = {**live_attrs, **wanted_attrs}
        if update:
            self.admin.call("PUT", "", json=update)
            names = sorted(k for k in update if k != "attributes") + sorted(attrs)
            self.changes.append("realm settings (" + ", ".join(names) + ")")

    def user_profile(self) -> None:
        providers = self.desired.get("components", {}).get(USER_PROFILE, [])
        if not providers:
            return
        wanted = json.loads(providers[0]["config"]["kc.user.profile.config"][0])
        if self.admin.get("/users/profile") != wanted:
            self.admin.call("PUT", "/users/profile", json=wanted)
            self.changes.append("user profile")

    def roles(self) -> None:
        live = {r["name"]: r for r in self.admin.get("/roles")}
        for role in self.desired.get("roles", {}).get("realm", []):
            name = role["name"]
            if name not in live:
                self.admin.call("POST", "/roles", json=role)
                self.changes.append(f"role {name} created")
            elif live[name].get("description", "") != role.get("description", ""):
                self.admin.call(
                    "PUT", f"/roles/{quote(name, safe='')}", json={**live[name], **role}
                )
                self.changes.append(f"role {name} description")

    # --- clients ----------------------------------------------------------------------------

    def client(self, wanted: dict[str, Any]) -> None:
        client_id = wanted["clientId"]
        found = self.admin.get("/clients", clientId=client_id)
        if not found:
            self.admin.call("POST", "/clients", json=wanted)
            self.changes.append(f"client {client_id} created")
            return
        live = found[0]
        differs: list[str] = []
        for key, value in wanted.items():
            if key in CLIENT_OWN_STEPS:
                continue
            if key == "attributes":
                if not covers(live.get(key) or {}, value):
                    differs.append(key)
            elif key in UNORDERED:
                if sorted(value) != sorted(live.get(key) or []):
                    differs.append(key)
            elif live.get(key) != value:
                differs.append(key)
        if differs:
            merged = {**live, **{k: v for k, v in wanted.items() if k not in CLIENT_OWN_STEPS}}
            merged["attributes"] = {
                **(live.get("attributes") or {}),
                **wanted.get("attributes", {}),
            }
            self.admin.call("PUT", f"/clients/{live['id']}", json=merged)
            # The secret is named, never shown.
            self.changes.append(f"client {client_id} ({', '.join(sorted(differs))})")
        self.client_scopes(live, wanted)
        self.mappers(live, wanted)

    def client_scopes(self, live: dict[str, Any], wanted: dict[str, Any]) -> None:
        scope_ids = {s["name"]: s["id"] for s in self.admin.get("/client-scopes")}
        for kind, segment in (
            ("defaultClientScopes", "default-client-scopes"),
            ("optionalClientScopes", "optional-client-scopes"),
        ):
            if kind not in wanted:
                continue
            path = f"/clients/{live['id']}/{segment}"
            have = {s["name"] for s in self.admin.get(path)}
            want = set(wanted[kind])
            for name in sorted(want - have):
                if name not in scope_ids:
                    raise ApplyError(f"client scope {name} does not exist")
                self.admin.call("PUT", f"{path}/{scope_ids[name]}")
            for name in sorted(have - want):
                self.admin.call("DELETE", f"{path}/{scope_ids[name]}")
            if want != have:
                self.changes.append(f"client {wanted['clientId']} {kind}")

    def mappers(self, live: dict[str, Any], wanted: dict[str, Any]) -> None:
        if "protocolMappers" not in wanted:
            return
        base = f"/clients/{live['id']}/protocol-mappers/models"
        have = {m["name"]: m for m in self.admin.get(base)}
        want = {m["name"]: m for m in wanted["protocolMappers"]}
        for name, mapper in want.items():
            current = have.get(name)
            if current is None:
                self.admin.call("POST", base, json=mapper)
            elif not covers(current, mapper):
                self.admin.call(
                    "PUT", f"{base}/{current['id']}", json={**mapper, "id": current["id"]}
                )
            else:
                continue
            self.changes.append(f"client {wanted['clientId']} mapper {name}")
        for name in sorted(set(have) - set(want)):
            self.admin.call("DELETE", f"{base}/{have[name]['id']}")
            self.changes.append(f"client {wanted['clientId']} mapper {name} removed")

    def service_accounts(self) -> None:
        for user in self.desired.get("users", []):
            client_id = user.get("serviceAccountClientId")
            if not client_id:
                continue
            client = self.admin.get("/clients", clientId=client_id)[0]
            account = self.admin.get(f"/clients/{client['id']}/service-account-user")
            mappings = f"/users/{account['id']}/role-mappings"
            have = {r["name"] for r in self.admin.get(f"{mappings}/realm")}
            missing = [r for r in user.get("realmRoles", []) if r not in have]
            if missing:
                roles = [self.admin.get(f"/roles/{quote(r, safe='')}") for r in missing]
                self.admin.call("POST", f"{mappings}/realm", json=roles)
                self.changes.append(f"{account['username']} realm roles {', '.join(missing)}")
            for owner, names in user.get("clientRoles", {}).items():
                owner_id = self.admin.get("/clients", clientId=owner)[0]["id"]
                have = {r["name"] for r in self.admin.get(f"{mappings}/clients/{owner_id}")}
                missing = [r for r in names if r not in have]
                if missing:
                    roles = [
                        self.admin.get(f"/clients/{owner_id}/roles/{quote(r, safe='')}")
                        for r in missing
                    ]
                    self.admin.call("POST", f"{mappings}/clients/{owner_id}", json=roles)
                    self.changes.append(f"{account['username']} {owner} roles {', '.join(missing)}")

    # --- the browser flow with OTP per role -------------------------------------------------

    def otp_roles(self) -> list[str]:
        raw = self.desired.get("attributes", {}).get(OTP_ROLES_ATTRIBUTE, "")
        roles = [r.strip() for r in raw.split(",") if r.strip()]
        known = {r["name"] for r in self.admin.get("/roles")}
        unknown = [r for r in roles if r not in known]
        if unknown:
            raise ApplyError(f"{OTP_ROLES_ATTRIBUTE} names roles the realm lacks: {unknown}")
        return roles

    @staticmethod
    def wanted_flow(roles: list[str]) -> list[dict[str, Any]]:
        """The flow as a tree: executions (provider) and sub-flows (alias, children)."""

        def role_condition(role: str, negate: bool) -> dict[str, Any]:
            config = {"condUserRole": role, "negate": "true" if negate else "false"}
            return {"provider": "conditional-user-role", "req": "REQUIRED", "config": config}

        otp = {"provider": "auth-otp-form", "req": "REQUIRED"}
        forms: list[dict[str, Any]] = [
            {"provider": "auth-username-password-form", "req": "REQUIRED"}
        ]
        for i, role in enumerate(roles):
            conditions = [role_condition(role, False)]
            conditions += [role_condition(r, True) for r in roles[:i]]
            forms.append(
                {
                    "alias": f"{FLOW} otp for role {role}",
                    "req": "CONDITIONAL",
                    "children": [*conditions, otp],
                }
            )
        forms.append(
            {
                "alias": f"{FLOW} otp when configured",
                "req": "CONDITIONAL",
                "children": [
                    {"provider": "conditional-user-configured", "req": "REQUIRED"},
                    *[role_condition(r, True) for r in roles],
                    otp,
                ],
            }
        )
        return [
            {"provider": "auth-cookie", "req": "ALTERNATIVE"},
            {"alias": f"{FLOW} forms", "req": "ALTERNATIVE", "children": forms},
        ]

    @staticmethod
    def flatten(tree: list[dict[str, Any]], level: int = 0) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for node in tree:
            name = node.get("alias") or node["provider"]
            config = json.dumps(node.get("config"), sort_keys=True) if "config" in node else None
            rows.append((level, name, node["req"], config))
            rows += Applier.flatten(node.get("children", []), level + 1)
        return rows

    def live_flow(self) -> list[tuple[Any, ...]] | None:
        if not any(f["alias"] == FLOW for f in self.admin.get("/authentication/flows")):
            return None
        rows: list[tuple[Any, ...]] = []
        for e in self.admin.get(f"{flow_path(FLOW)}/executions"):
            name = e["displayName"] if e.get("authenticationFlow") else e["providerId"]
            config = None
            if e.get("authenticationConfig"):
                got = self.admin.get(f"/authentication/config/{e['authenticationConfig']}")
                config = json.dumps(got.get("config"), sort_keys=True)
            rows.append((e["level"], name, e["requirement"], config))
        return rows

    def otp_flow(self) -> None:
        tree = self.wanted_flow(self.otp_roles())
        live = self.live_flow()
        if live != self.flatten(tree):
            if live is not None:
                # A bound flow cannot be deleted: park the realm on the built-in one meanwhile.
                self.admin.call("PUT", "", json={"browserFlow": "browser"})
                flow_id = next(
                    f["id"] for f in self.admin.get("/authentication/flows") if f["alias"] == FLOW
                )
                self.admin.call("DELETE", f"/authentication/flows/{flow_id}")
            self.admin.call(
                "POST",
                "/authentication/flows",
                json={
                    "alias": FLOW,
                    "description": "Browser login; OTP for the roles in zhurnal.otpRoles",
                    "providerId": "basic-flow",
                    "topLevel": True,
                    "builtIn": False,
                },
            )
            self.build(FLOW, tree)
            self.changes.append(f"flow {FLOW} {'rebuilt' if live is not None else 'created'}")
        if self.admin.get("").get("browserFlow") != FLOW:
            self.admin.call("PUT", "", json={"browserFlow": FLOW})
            self.changes.append(f"browserFlow {FLOW}")

    def build(self, parent: str, tree: list[dict[str, Any]]) -> None:
        for n, node in enumerate(tree):
            if "alias" in node:
                self.admin.call(
                    "POST",
                    f"{flow_path(parent)}/executions/flow",
                    json={
                        "alias": node["alias"],
                        "type": "basic-flow",
                        "provider": "registration-page-form",
                    },
                )
            else:
                self.admin.call(
                    "POST",
                    f"{flow_path(parent)}/executions/execution",
                    json={"provider": node["provider"]},
                )
            # New executions are appended and start DISABLED: set the requirement on the last.
            execution = [
                e for e in self.admin.get(f"{flow_path(parent)}/executions") if e["level"] == 0
            ][-1]
            execution["requirement"] = node["req"]
            self.admin.call("PUT", f"{flow_path(parent)}/executions", json=execution)
            if "config" in node:
                self.admin.call(
                    "POST",
                    f"/authentication/executions/{execution['id']}/config",
                    json={"alias": f"{parent} {n}", "config": node["config"]},
                )
            if "alias" in node:
                self.build(node["alias"], node["children"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("ZHURNAL_KEYCLOAK_URL", "http://127.0.0.1:58080")
    )
    parser.add_argument("--realm-file", type=Path, default=HERE / "zhurnal-realm.json")
    args = parser.parse_args(argv)
    try:
        desired = json.loads(substitute(args.realm_file.read_text(encoding="utf-8")))
        admin = Admin(
            args.url,
            desired["realm"],
            os.environ.get("KC_BOOTSTRAP_ADMIN_USERNAME", "admin"),
            os.environ.get("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin"),
        )
        with admin.http:
            changes = Applier(admin, desired).run()
    except (ApplyError, httpx.HTTPError, OSError) as e:
        print(f"apply_realm: failed: {e}", file=sys.stderr)
        return 1
    realm = desired["realm"]
    if changes:
        print(f"apply_realm: realm {realm}: {len(changes)} changes: {'; '.join(changes)}")
    else:
        print(f"apply_realm: realm {realm}: no changes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
