"""Backup settings: environment variables prefixed ZHURNAL_BACKUP_."""

from pydantic_settings import SettingsConfigDict

from zhurnal_kit.settings import ServiceSettings


class BackupSettings(ServiceSettings):
    """Settings of the backup service."""

    model_config = SettingsConfigDict(env_prefix="ZHURNAL_BACKUP_", extra="ignore", frozen=True)

    service_name: str = "backup"
    grpc_port: int = 50055
    metrics_port: int = 9105
