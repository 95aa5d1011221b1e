"""Browser helpers for end-to-end tests: where the gateway is and how a person signs in.

The gateway is opened as http://localhost:PORT: the realm's redirect URIs accept
http://localhost:* for any port (docs/infra-notes.md).
"""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from zhurnal_kit.pytest_plugin import Stack


def site(stack: Stack) -> str:
    """The gateway's address as browsers of the tests use it (no trailing slash)."""
    return stack.gateway_url.replace("http://127.0.0.1", "http://localhost")


async def sign_in(page: Page, stack: Stack, login: str, password: str, path: str = "/") -> None:
    """Open ``path``, sign in on Keycloak's real login page and come back to ``path``."""
    await page.goto(site(stack) + "/login?next=" + path)
    await expect(page).to_have_url(re.compile(re.escape(stack.infra.keycloak_url) + "/"))
    await page.get_by_label("Имя пользователя").fill(login)
    await page.get_by_label("Пароль", exact=True).fill(password)
    await page.get_by_role("button", name="Вход").click()
    await expect(page).to_have_url(re.compile(re.escape(site(stack) + path)))
