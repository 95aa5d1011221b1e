"""The policy as a Markdown table (docs/authorization.md is this output; a test keeps it so)."""

from __future__ import annotations

from zhurnal_identity.domain.access import Role
from zhurnal_identity.domain.policy import ACTIONS, RULES


def table() -> str:
    """Role x action -> scopes, one row per action."""
    roles = list(Role)
    lines = [
        "| action | " + " | ".join(r.value for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for action in ACTIONS:
        cells = [", ".join(s.value for s in RULES.get(r, {}).get(action, ())) or "—" for r in roles]
        lines.append(f"| `{action}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(), end="")
