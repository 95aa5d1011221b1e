"""The curriculum consumer process: identity's and the journal's events into curriculum's own
projections."""

from functools import partial

from zhurnal.journal.v1 import events_pb2 as journal_events
from zhurnal_curriculum.bootstrap import unit_of_work
from zhurnal_curriculum.config import CurriculumSettings
from zhurnal_curriculum.service_layer.handlers import HANDLERS
from zhurnal_curriculum.service_layer.timetable import on_lesson_recorded
from zhurnal_kit import runtime
from zhurnal_kit.events import topic_name


def main() -> None:
    """Entry point: ``python -m zhurnal_curriculum.entrypoints.consumers``."""
    settings = CurriculumSettings()
    runtime.run(
        lambda: runtime.run_consumer(
            settings,
            "zhurnal_curriculum",
            # Curriculum's projections: identity's institutions and who is a student or staff,
            # and the journal's lessons with entries (never dropped silently).
            group_id="curriculum.projections",
            topics=[
                *(
                    topic_name("identity", aggregate, namespace=settings.kafka_topic_namespace)
                    for aggregate in ("institution", "person", "binding")
                ),
                topic_name("journal", "lesson", namespace=settings.kafka_topic_namespace),
            ],
            handlers=HANDLERS
            | {journal_events.LessonRecorded.DESCRIPTOR.full_name: on_lesson_recorded},
            uow_factory=partial(unit_of_work, settings),
        ),
        settings,
    )


if __name__ == "__main__":
    main()
