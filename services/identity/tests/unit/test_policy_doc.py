"""docs/authorization.md tells the truth: its table is the policy's."""

from pathlib import Path

from zhurnal_identity.domain.policy_doc import table

DOC = Path(__file__).resolve().parents[4] / "docs" / "authorization.md"


def test_the_documented_table_is_the_policy() -> None:
    assert table() in DOC.read_text(), (
        "docs/authorization.md is stale: paste `python -m zhurnal_identity.domain.policy_doc`"
    )
