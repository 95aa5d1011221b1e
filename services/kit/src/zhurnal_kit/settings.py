"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Values that are fine on a developer's machine and must never reach production.
_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "admin", "secret", "zhurnal"}


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set ``env_prefix`` (e.g. ``ZHURNAL_IDENTITY_``)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "zhurnal"
    environment: Environment = "development"
    log_level: str = "INFO"

    database_url: SecretStr = SecretStr(
        "postgresql+asyncpg://zhurnal@127.0.0.1:55432/zhurnal",
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    run_migrations: bool = True
    # The owner's URL; migrations run with it when set, so the role the service runs as
    # (database_url) can be kept from altering tables, or from rewriting what must stay as it
    # was written (the journal's history, ADR 13).
    migrations_database_url: SecretStr | None = None

    kafka_bootstrap: str = "127.0.0.1:59092"
    # Prepended to every topic name; lets a test run (or a second deployment sharing one Kafka)
    # keep its events apart. Empty in normal deployments.
    kafka_topic_namespace: str = ""

    # Address the gRPC and metrics servers listen on; 0.0.0.0 in a pod.
    bind_host: str = "127.0.0.1"
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    metrics_port: int = Field(default=9100, ge=0, le=65535)
    grpc_shutdown_grace_s: float = Field(default=10.0, ge=0)

    # Keycloak realm whose tokens callers present; their signatures are checked locally (JWKS).
    keycloak_url: str = "http://127.0.0.1:58080"
    keycloak_realm: str = "zhurnal"
    jwks_cache_s: float = Field(default=300.0, ge=1)

    # Fault drills only: pause at the named point so a test can SIGKILL the process there.
    fault_pause_s: float = Field(default=0.0, ge=0)

    @property
    def issuer(self) -> str:
        """The token issuer of the realm."""
        return f"{self.keycloak_url.rstrip('/')}/realms/{self.keycloak_realm}"

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            for name, value in self.__dict__.items():
                if (
                    isinstance(value, SecretStr)
                    and value.get_secret_value() in _PLACEHOLDER_SECRETS
                ):
                    raise ValueError(f"{name} must be set to a real secret in production")
            if self.fault_pause_s:
                raise ValueError("fault_pause_s is for fault drills and must be 0 in production")
        return self
