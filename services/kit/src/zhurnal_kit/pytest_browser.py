"""Browser fixtures: headless Chromium from Debian's ``chromium`` package, driven by Playwright.

Playwright never downloads a browser here (ADR 16): ``browser`` launches the Debian binary
through ``executable_path``; when it is not installed the tests that want it are skipped and
say why. Loaded by ``zhurnal_kit.pytest_plugin``; nothing starts until a test asks for
``browser`` or ``page``.

Screenshots go to ``artifacts/screenshots/<test-name>/`` (git-ignored): a test saves there
through the ``screenshots`` folder, and a failing test that used ``page`` leaves
``failed.png`` there as well.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import AsyncIterator, Generator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, ViewportSize, async_playwright
from playwright.async_api import Error as PlaywrightError

from zhurnal_kit.pytest_plugin import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"

# A desktop screen; pages are asked for in Russian, the district's language.
DESKTOP = ViewportSize(width=1280, height=800)
LOCALE = "ru-RU"
TIME_ZONE = "Europe/Moscow"

# Modest memory on small machines: shared memory in /tmp rather than a small /dev/shm, and no
# GPU process. Playwright itself adds --headless and, since nothing asks for the sandbox,
# --no-sandbox (needed when the tests run as root).
CHROMIUM_ARGS = ["--disable-dev-shm-usage", "--disable-gpu"]

_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the outcome of a test's call, so ``page`` can photograph a failure."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


def chromium_executable() -> str | None:
    """Debian's chromium launcher (/usr/bin/chromium), or None when it is not installed."""
    return shutil.which("chromium")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the whole run (Debian's binary, never a downloaded one)."""
    executable = chromium_executable()
    if executable is None:
        pytest.skip(
            "browser tests need Debian's chromium package (`apt-get install chromium`; "
            "`make install` does it): Playwright's own browsers are never downloaded"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder, ``artifacts/screenshots/<test-name>/``, emptied first."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest_asyncio.fixture(loop_scope="session")
async def page(
    browser: Browser, screenshots: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    """A page in a fresh browser context (no cookies from other tests), ru-RU, 1280x800."""
    context = await browser.new_context(locale=LOCALE, timezone_id=TIME_ZONE, viewport=DESKTOP)
    try:
        opened = await context.new_page()
        yield opened
        report = request.node.stash.get(_CALL_REPORT, None)
        if report is not None and report.failed:
            # The page may be what failed: its picture is a help, not a second error.
            with contextlib.suppress(PlaywrightError):
                await opened.screenshot(path=screenshots / "failed.png", full_page=True)
    finally:
        await context.close()
