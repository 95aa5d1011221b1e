"""Late journal entries end to end (R-3.2): a lesson scheduled in curriculum reaches the journal
through Kafka, passes its deadline with no topic, the journal's monitor counts it, and a real
Prometheus scraping the monitor with the rules of deploy/prometheus/rules/journal.yml brings
ZhurnalLessonsOverdue to the firing state for that institution."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from e2e.test_institution_slice import wait_for
from e2e.test_timetable import at, d, school
from e2e.world import Curriculum

from zhurnal.curriculum.v1 import timetable_pb2 as pb
from zhurnal_kit.pytest_plugin import Person, Stack, free_port
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules" / "journal.yml"
# The institution's zone as world.new_institution registers it.
MOSCOW = ZoneInfo("Europe/Moscow")
# Long enough for Prometheus to see the alert pending for a few evaluations before it fires.
SHORT_FOR = "3s"


def shortened_rules(source: Path) -> dict[str, Any]:
    """The rules of ``source`` with every ``for:`` cut to a few seconds.

    The real durations (15 and 30 minutes) keep a topic saved a little late from paging
    anyone; promtool's tests (deploy/prometheus/tests/journal_test.yml) check them. Here the
    question is whether the real scrape of the real monitor feeds the expressions (metric names,
    labels, the max per institution), which a test cannot wait a quarter of an hour for.
    """
    rules: dict[str, Any] = yaml.safe_load(source.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = SHORT_FOR
    return rules


@contextmanager
def prometheus(tmp: Path, target: str, log: Path) -> Iterator[str]:
    """A Prometheus of this test only (Debian's binary, as deploy/local/prometheus.sh runs it)
    scraping ``target`` every second and evaluating the shortened journal rules every second;
    its base URL. Terminated on the way out: the shared local Prometheus is left alone."""
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    assert Path(binary).exists(), "prometheus is missing: run `make install` (Debian package)"
    (tmp / "journal.yml").write_text(yaml.safe_dump(shortened_rules(RULES), allow_unicode=True))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp / "journal.yml")],
        "scrape_configs": [
            {
                "job_name": "zhurnal",
                "static_configs": [{"targets": [target], "labels": {"process": "journal-monitor"}}],
            }
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=info",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def past_lesson_time(now: datetime) -> tuple[datetime, int]:
    """A local start, in whole minutes, of a 45-minute lesson that ended over an hour ago on
    the same local day (curriculum keeps a lesson within one date)."""
    start = (now.astimezone(MOSCOW) - timedelta(hours=2)).replace(second=0, microsecond=0)
    if start.hour * 60 + start.minute + 45 > 24 * 60:
        start = start.replace(hour=23, minute=0)
    return start, 45


async def firing(base_url: str, institution_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
        alerts = (await http.get("/api/v1/alerts")).raise_for_status().json()["data"]["alerts"]
    return [
        a
        for a in alerts
        if a["labels"].get("alertname") == "ZhurnalLessonsOverdue"
        and a["labels"].get("institution_id") == institution_id
        and a["state"] == "firing"
    ]


async def test_a_lesson_past_its_deadline_without_a_topic_fires_the_overdue_alert(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin, tmp_path: Path
) -> None:
    s = await school(stack, district_admin, keycloak)
    start, duration = past_lesson_time(datetime.now(MOSCOW))
    async with Curriculum(stack, s.deputy) as cur:
        await cur.call(
            cur.timetable.AddExtraLesson,
            pb.AddExtraLessonRequest(
                study_year_id=s.year.id,
                group_id=s.seven_a.id,
                subject_id=s.maths.id,
                teacher_id=s.teacher.person_id,
                date=d(start.date()),
                start=at(start.hour, start.minute),
                duration=duration,
                reason="Дополнительное занятие",
            ),
        )

    monitor = f"127.0.0.1:{stack.specs['journal-monitor'].metrics_port}"
    with prometheus(tmp_path, monitor, stack.log_dir / "prometheus-late-entries.log") as url:
        # The stack's journal ends a lesson's topic time at the lesson's end, so it is overdue
        # as soon as the journal knows of it (curriculum's relay, Kafka, the journal's
        # projection), and the monitor counts it within its 1 s interval.
        async def counted() -> bool:
            return (
                stack.metric(
                    "journal-monitor", "zhurnal_journal_overdue_lessons", institution_id=s.id
                )
                == 1
            )

        await wait_for(counted, timeout=90, what="the monitor to count the overdue lesson")

        async def fired() -> list[dict[str, Any]]:
            return await firing(url, s.id)

        alerts = await wait_for(fired, timeout=90, what="ZhurnalLessonsOverdue to fire")

    [alert] = alerts
    assert alert["labels"]["severity"] == "warning"
    assert alert["annotations"]["runbook_url"] == "docs/runbooks/lessons-overdue.md"
    assert alert["annotations"]["description"].startswith(
        f"1 lessons of institution {s.id} are past their deadline"
    )
    # Still one: the gauge counts the lesson once, and no topic was saved meanwhile.
    assert (
        stack.metric("journal-monitor", "zhurnal_journal_overdue_lessons", institution_id=s.id) == 1
    )
