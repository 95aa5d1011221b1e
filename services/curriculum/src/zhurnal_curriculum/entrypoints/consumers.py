"""The curriculum consumer process: identity events into curriculum's own projection."""

from functools import partial

from zhurnal_curriculum.bootstrap import unit_of_work
from zhurnal_curriculum.config import CurriculumSettings
from zhurnal_curriculum.service_layer.handlers import HANDLERS
from zhurnal_kit import runtime
from zhurnal_kit.events import topic_name


def main() -> None:
    """Entry point: ``python -m zhurnal_curriculum.entrypoints.consumers``."""
    settings = CurriculumSettings()
    runtime.run(
        lambda: runtime.run_consumer(
            settings,
            "zhurnal_curriculum",
            group_id="curriculum.institutions",
            topics=[
                topic_name("identity", "institution", namespace=settings.kafka_topic_namespace)
            ],
            handlers=HANDLERS,
            uow_factory=partial(unit_of_work, settings),
        ),
        settings,
    )


if __name__ == "__main__":
    main()
