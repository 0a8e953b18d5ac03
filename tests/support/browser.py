"""Debian's Chromium, driven by Playwright, for the tests that look at a page or an email
as a person would: skipped with the reason when it is missing, failed under CI
(``tools.required_tool``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tests.support.tools import required_tool

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots the browser tests take, for a person to look at (ignored by git).
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@contextmanager
def chromium(needed_for: str) -> Iterator[Browser]:
    executable = required_tool("/usr/bin/chromium", needed_for)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
