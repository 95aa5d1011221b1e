"""Curriculum settings: environment variables prefixed ZHURNAL_CURRICULUM_."""

from pydantic_settings import SettingsConfigDict

from zhurnal_kit.settings import ServiceSettings


class CurriculumSettings(ServiceSettings):
    """Settings of the curriculum and schedule service."""

    model_config = SettingsConfigDict(env_prefix="ZHURNAL_CURRICULUM_", extra="ignore", frozen=True)

    service_name: str = "curriculum"
    grpc_port: int = 50052
    metrics_port: int = 9102
    # Identity answers every authorization question (AccessService.Authorize, ADR 8).
    identity_addr: str = "127.0.0.1:50051"
