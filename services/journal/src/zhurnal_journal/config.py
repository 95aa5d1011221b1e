"""Journal settings: environment variables prefixed ZHURNAL_JOURNAL_."""

from pydantic_settings import SettingsConfigDict

from zhurnal_kit.settings import ServiceSettings


class JournalSettings(ServiceSettings):
    """Settings of the journal service."""

    model_config = SettingsConfigDict(env_prefix="ZHURNAL_JOURNAL_", extra="ignore", frozen=True)

    service_name: str = "journal"
    grpc_port: int = 50053
    metrics_port: int = 9103
