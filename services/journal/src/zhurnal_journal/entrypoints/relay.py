"""The journal outbox relay process."""

from zhurnal_journal.config import JournalSettings
from zhurnal_kit import runtime


def main() -> None:
    """Entry point: ``python -m zhurnal_journal.entrypoints.relay``."""
    settings = JournalSettings()
    runtime.run(lambda: runtime.run_relay(settings, "zhurnal_journal"), settings)


if __name__ == "__main__":
    main()
