"""Identity settings: environment variables prefixed ZHURNAL_IDENTITY_."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from zhurnal_kit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    """Settings of the identity service."""

    model_config = SettingsConfigDict(env_prefix="ZHURNAL_IDENTITY_", extra="ignore", frozen=True)

    service_name: str = "identity"
    grpc_port: int = 50051
    metrics_port: int = 9101

    # The confidential client whose service account manages Keycloak users (Admin REST API).
    # Locally its secret is .run/secrets/identity-client-secret (deploy/local/keycloak.sh env);
    # the empty default is refused in production like every placeholder secret.
    keycloak_admin_client_id: str = "zhurnal-identity"
    keycloak_admin_client_secret: SecretStr = SecretStr("")
    keycloak_admin_timeout_s: float = Field(default=10.0, gt=0)

    # The scheduler: temporary access must end within a minute of its end.
    expiry_interval_s: float = Field(default=5.0, gt=0, le=60)
    account_events_interval_s: float = Field(default=5.0, gt=0)
    reconcile_interval_s: float = Field(default=600.0, gt=0)
