"""Alert rules: valid, unit-tested with promtool, complete, and each with a runbook."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((ROOT / "deploy" / "prometheus" / "tests").glob("*_test.yml"))


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is missing: run `make install` (Debian package prometheus)"
    return path


def alerts() -> list[dict[str, object]]:
    return [
        rule
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def test_rule_files_exist() -> None:
    assert RULES, "no rule files in deploy/prometheus/rules"
    assert RULE_TESTS, "no promtool tests in deploy/prometheus/tests"


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_promtool_check_rules(path: Path) -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_test_rules(path: Path) -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", path.name], capture_output=True, text=True, cwd=path.parent
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested() -> None:
    tested = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert {a["alert"] for a in alerts()} <= tested


@pytest.mark.parametrize("alert", alerts(), ids=lambda a: str(a["alert"]))
def test_every_alert_has_severity_text_and_a_runbook(alert: dict[str, object]) -> None:
    labels = alert.get("labels", {})
    annotations = alert.get("annotations", {})
    assert isinstance(labels, dict) and labels.get("severity") in {"warning", "critical"}
    assert isinstance(annotations, dict)
    assert {"summary", "description", "runbook_url"} <= set(annotations)
    runbook = ROOT / str(annotations["runbook_url"])
    assert runbook.is_file(), f"{alert['alert']}: runbook {runbook} is missing"
