"""The curriculum outbox relay process."""

from zhurnal_curriculum.config import CurriculumSettings
from zhurnal_kit import runtime


def main() -> None:
    """Entry point: ``python -m zhurnal_curriculum.entrypoints.relay``."""
    settings = CurriculumSettings()
    runtime.run(lambda: runtime.run_relay(settings, "zhurnal_curriculum"), settings)


if __name__ == "__main__":
    main()
