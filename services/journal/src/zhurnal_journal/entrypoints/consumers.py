"""The journal consumer process: identity's institutions and curriculum's calendar, groups and
lessons into the journal's own projections."""

from functools import partial

from zhurnal_journal.bootstrap import unit_of_work
from zhurnal_journal.config import JournalSettings
from zhurnal_journal.service_layer.projections import handlers
from zhurnal_kit import runtime
from zhurnal_kit.events import topic_name


def main() -> None:
    """Entry point: ``python -m zhurnal_journal.entrypoints.consumers``."""
    settings = JournalSettings()
    namespace = settings.kafka_topic_namespace
    runtime.run(
        lambda: runtime.run_consumer(
            settings,
            "zhurnal_journal",
            group_id="journal.projections",
            topics=[
                topic_name("identity", "institution", namespace=namespace),
                *(
                    topic_name("curriculum", aggregate, namespace=namespace)
                    for aggregate in ("study_year", "group", "lesson")
                ),
            ],
            handlers=handlers(settings),
            uow_factory=partial(unit_of_work, settings),
        ),
        settings,
    )


if __name__ == "__main__":
    main()
