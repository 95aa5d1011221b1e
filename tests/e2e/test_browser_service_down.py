"""A service that is down spoils only its own pages: with the journal's gRPC server killed, a
guardian's diary says so in plain Russian (503, no trace of internals) while the start page and
the menu keep working; /readyz names the journal as down; when the journal is back, so is the
diary."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from e2e.browser import sign_in, site
from e2e.journal_world import class_journal
from e2e.test_institution_slice import wait_for
from playwright.async_api import Page, expect

from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

DOWN = "Этот раздел Журнала сейчас недоступен."


async def readiness(stack: Stack) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(f"{stack.gateway_url}/readyz")


async def journal_ready(stack: Stack) -> bool:
    return bool((await readiness(stack)).json()["checks"]["journal"] == "up")


async def test_the_diary_says_the_journal_is_down_and_the_rest_keeps_working(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    world = await class_journal(stack, district_admin, keycloak)
    await sign_in(page, stack, world.guardian.login, world.guardian.password, "/diary")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await expect(page.get_by_text(DOWN)).to_have_count(0)

    stack.kill("journal")
    try:
        diary = await page.goto(site(stack) + "/diary")
        assert diary is not None and diary.status == 503
        await expect(page.get_by_text(DOWN)).to_be_visible()
        await expect(page.get_by_role("navigation", name="Главное меню")).to_be_visible()
        body = await page.content()
        for internal in ("Traceback", "grpc", "UNAVAILABLE", "127.0.0.1"):
            assert internal not in body, internal
        await page.screenshot(path=screenshots / "1-diary-while-the-journal-is-down.png")

        start = await page.goto(site(stack) + "/")
        assert start is not None and start.status == 200
        await expect(page.get_by_text("Вы вошли как")).to_be_visible()
        ready = await readiness(stack)
        assert ready.status_code == 503
        assert ready.json()["checks"]["journal"].startswith("down")
        assert ready.json()["checks"]["identity"] == "up"
    finally:
        stack.start("journal")
    await wait_for(lambda: journal_ready(stack), what="the journal to be back")

    back = await page.goto(site(stack) + "/diary")
    assert back is not None and back.status == 200
    await expect(page.get_by_text(DOWN)).to_have_count(0)
