"""The identity outbox relay process."""

from zhurnal_identity.config import IdentitySettings
from zhurnal_kit import runtime


def main() -> None:
    """Entry point: ``python -m zhurnal_identity.entrypoints.relay``."""
    settings = IdentitySettings()
    runtime.run(lambda: runtime.run_relay(settings, "zhurnal_identity"), settings)


if __name__ == "__main__":
    main()
