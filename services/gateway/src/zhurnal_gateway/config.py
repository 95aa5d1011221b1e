"""Gateway settings: environment variables prefixed ZHURNAL_GATEWAY_."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from zhurnal_kit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Settings of the gateway (it holds no domain data; database_url is unused)."""

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

    def service_addresses(self) -> dict[str, str]:
        """Every service the gateway calls, by name."""
        return {
            "identity": self.identity_addr,
            "curriculum": self.curriculum_addr,
            "journal": self.journal_addr,
            "reporting": self.reporting_addr,
            "backup": self.backup_addr,
        }
