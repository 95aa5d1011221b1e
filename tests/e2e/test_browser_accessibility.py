"""Every page of the menu, for every kind of user, checked in a real browser at a phone's width
(375 px) against the parts of WCAG 2.1 AA a machine can check: the page's language and title,
one h1, a name for every control, alternative text for images, text contrast of at least
4.5:1 (3:1 for large text), and no sideways scrolling of the page itself (wide tables scroll
inside their own box).

The pages are found by following the menu each person gets, so a page added later is checked
without touching this test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from e2e.browser import sign_in, site
from e2e.journal_world import class_journal
from e2e.world import Identity, hire
from playwright.async_api import Browser, Page

from zhurnal_kit.pytest_browser import LOCALE, TIME_ZONE
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

PHONE = {"width": 375, "height": 800}

# Runs in the page: what a machine can tell about WCAG 2.1 AA; returns a list of problems.
CHECKS = Path(__file__).with_name("wcag_checks.js")


async def check_every_page(
    browser: Browser, stack: Stack, who: str, login: str, password: str, shots: Path
) -> dict[str, list[str]]:
    """Sign in as ``login``, follow each menu link at a phone's width, collect problems."""
    context = await browser.new_context(locale=LOCALE, timezone_id=TIME_ZONE, viewport=PHONE)
    found: dict[str, list[str]] = {}
    script = "\n".join(
        line for line in CHECKS.read_text().splitlines() if not line.startswith("//")
    )
    try:
        page: Page = await context.new_page()
        await sign_in(page, stack, login, password)
        paths = [
            str(href)
            for href in await page.locator("nav.menu a").evaluate_all(
                "links => links.map(a => a.getAttribute('href'))"
            )
        ]
        assert paths, f"{who} has no menu"
        for path in ["/", *paths]:
            response = await page.goto(site(stack) + path)
            assert response is not None and response.status == 200, (who, path, response)
            problems: list[Any] = await page.evaluate(script)
            if problems:
                found[f"{who} {path}"] = [str(p) for p in problems]
            name = path.strip("/").replace("/", "-") or "start"
            await page.screenshot(path=shots / f"{who}-{name}.png", full_page=True)
    finally:
        await context.close()
    return found


async def test_every_menu_page_of_every_role_passes_the_machine_checks_on_a_phone(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    browser: Browser,
    screenshots: Path,
) -> None:
    world = await class_journal(stack, district_admin, keycloak)
    async with Identity(stack, district_admin.token()) as identity:
        admin = await hire(stack, identity, keycloak, world.institution_id, "administrator")
    people = {
        "teacher": world.teacher,
        "deputy": world.deputy,
        "administrator": admin,
        "student": world.students[0],
        "guardian": world.guardian,
    }
    problems: dict[str, list[str]] = {}
    for who, member in people.items():
        problems |= await check_every_page(
            browser, stack, who, member.login, member.password, screenshots
        )
    problems |= await check_every_page(
        browser, stack, "district", district_admin.username, district_admin.password, screenshots
    )
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
