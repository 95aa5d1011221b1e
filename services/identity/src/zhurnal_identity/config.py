"""Identity settings: environment variables prefixed ZHURNAL_IDENTITY_."""

from pydantic_settings import SettingsConfigDict

from zhurnal_kit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    """Settings of the identity service."""

    model_config = SettingsConfigDict(env_prefix="ZHURNAL_IDENTITY_", extra="ignore", frozen=True)

    service_name: str = "identity"
    grpc_port: int = 50051
    metrics_port: int = 9101
