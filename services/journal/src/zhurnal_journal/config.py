"""Journal settings: environment variables prefixed ZHURNAL_JOURNAL_."""

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from zhurnal_kit.settings import ServiceSettings


class JournalSettings(ServiceSettings):
    """Settings of the journal service."""

    model_config = SettingsConfigDict(env_prefix="ZHURNAL_JOURNAL_", extra="ignore", frozen=True)

    service_name: str = "journal"
    grpc_port: int = 50053
    metrics_port: int = 9103
    # Identity answers every authorization question (ADR 8); curriculum offers planned topics.
    identity_addr: str = "127.0.0.1:50051"
    curriculum_addr: str = "127.0.0.1:50052"

    # configurable per district: a lesson's topic is due by the end of the lesson's day
    # in the institution's time zone ("end_of_day"), or from the lesson's end ("lesson_end"),
    # plus a grace period.
    topic_due: Literal["end_of_day", "lesson_end"] = "end_of_day"
    topic_due_grace_s: int = Field(default=0, ge=0)

    # The timeliness monitor: how often it recounts overdue lessons for the gauges.
    monitor_interval_s: float = Field(default=30.0, gt=0)
    # The history chainer (in the monitor process): how often it chains staged changes. A
    # change is unchained at most about this long (ADR 15).
    chain_interval_s: float = Field(default=0.25, gt=0)
    # Where a lesson's form is in the web application (the overdue list links to it).
    lesson_link: str = "/journal/lessons/{lesson_id}"
