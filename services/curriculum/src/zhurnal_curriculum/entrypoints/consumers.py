"""The curriculum consumer process: identity events into curriculum's own projections."""

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
            # Curriculum's projection of identity: institutions, and who is a student or staff.
            group_id="curriculum.identity",
            topics=[
                topic_name("identity", aggregate, namespace=settings.kafka_topic_namespace)
                for aggregate in ("institution", "person", "binding")
            ],
            handlers=HANDLERS,
            uow_factory=partial(unit_of_work, settings),
        ),
        settings,
    )


if __name__ == "__main__":
    main()
