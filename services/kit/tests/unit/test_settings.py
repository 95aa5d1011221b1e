"""Settings refuse what must never reach production."""

import pytest
from pydantic import SecretStr, ValidationError

from zhurnal_kit.settings import ServiceSettings


def test_development_accepts_the_local_defaults() -> None:
    assert ServiceSettings().environment == "development"


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValidationError, match="database_url must be set to a real secret"):
        ServiceSettings(environment="production", database_url=SecretStr("changeme"))


def test_production_refuses_fault_drills() -> None:
    with pytest.raises(ValidationError, match="fault_pause_s"):
        ServiceSettings(
            environment="production",
            database_url=SecretStr("postgresql+asyncpg://u:p@db/x"),
            fault_pause_s=5,
        )


def test_prefix_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    class DemoSettings(ServiceSettings):
        model_config = ServiceSettings.model_config | {"env_prefix": "ZHURNAL_DEMO_"}

    monkeypatch.setenv("ZHURNAL_DEMO_GRPC_PORT", "6001")
    monkeypatch.setenv("ZHURNAL_DEMO_KEYCLOAK_URL", "http://kc:8080/")
    settings = DemoSettings()
    assert settings.grpc_port == 6001
    assert settings.issuer == "http://kc:8080/realms/zhurnal"
