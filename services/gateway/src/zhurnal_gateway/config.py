"""Gateway settings: environment variables prefixed ZHURNAL_GATEWAY_."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from zhurnal_kit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Settings of the gateway; its database holds the server-side web sessions only."""

    model_config = SettingsConfigDict(env_prefix="ZHURNAL_GATEWAY_", extra="ignore", frozen=True)

    service_name: str = "gateway"
    http_port: int = Field(default=8000, ge=0, le=65535)

    identity_addr: str = "127.0.0.1:50051"
    curriculum_addr: str = "127.0.0.1:50052"
    journal_addr: str = "127.0.0.1:50053"
    reporting_addr: str = "127.0.0.1:50054"
    backup_addr: str = "127.0.0.1:50055"
    # Deadline of a call to a service when the route sets none.
    call_timeout_s: float = Field(default=5.0, gt=0)
    # Readiness waits at most this long for each dependency.
    ready_timeout_s: float = Field(default=2.0, gt=0)

    # The confidential OIDC client people log in through (authorization code + PKCE S256).
    client_id: str = "zhurnal-gateway"
    client_secret: SecretStr = SecretStr("")
    # Alternatively a file holding the secret (a mounted Kubernetes secret, or the one
    # deploy/local/keycloak.sh generates); read at start when client_secret is empty.
    client_secret_file: str = ""
    # Where browsers reach the gateway, e.g. https://zhurnal.example.ru; the OIDC redirect URI
    # is built from it. Empty: taken from each request (local runs and tests).
    public_url: str = ""
    # The realm's discovery document is fetched again after this long.
    oidc_discovery_cache_s: float = Field(default=3600.0, ge=1)

    # Server-side sessions (docs/gateway-sessions.md).
    session_idle_timeout_s: float = Field(default=1800.0, gt=0)
    session_absolute_timeout_s: float = Field(default=36000.0, gt=0)
    # A session is re-validated at Keycloak (refresh grant) when it was last validated longer
    # ago than this; a dismissed or disabled person is thereby locked out within it. At most 60 s.
    session_revalidate_s: float = Field(default=30.0, gt=0, le=60)
    # Secure attribute of the cookies: "auto" follows the request's scheme (https -> Secure).
    session_cookie_secure: Literal["auto", "always", "never"] = "auto"

    @model_validator(mode="before")
    @classmethod
    def _client_secret_from_file(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("client_secret_file")
            and not data.get("client_secret")
        ):
            path = Path(str(data["client_secret_file"]))
            try:
                secret = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(f"client_secret_file {path} cannot be read: {exc}") from None
            data = {**data, "client_secret": secret}
        return data

    @model_validator(mode="after")
    def _secure_cookies_in_production(self) -> GatewaySettings:
        if self.environment == "production" and self.session_cookie_secure == "never":
            raise ValueError("session_cookie_secure must not be 'never' in production")
        return self

    def service_addresses(self) -> dict[str, str]:
        """Every service the gateway calls, by name."""
        return {
            "identity": self.identity_addr,
            "curriculum": self.curriculum_addr,
            "journal": self.journal_addr,
            "reporting": self.reporting_addr,
            "backup": self.backup_addr,
        }
