"""Reporting settings: environment variables prefixed ZHURNAL_REPORTING_."""

from pydantic_settings import SettingsConfigDict

from zhurnal_kit.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Settings of the reporting service."""

    model_config = SettingsConfigDict(env_prefix="ZHURNAL_REPORTING_", extra="ignore", frozen=True)

    service_name: str = "reporting"
    grpc_port: int = 50054
    metrics_port: int = 9104
