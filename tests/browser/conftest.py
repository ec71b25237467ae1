"""The browser tests' shared Chromium: one headless browser per test module, on the module's running app
(`app_server`), with test-artifacts/ ready for its screenshots."""

from __future__ import annotations

import pytest

from tests.support.apphelpers import ARTIFACTS, launch_chromium


@pytest.fixture(scope="module")
def browser(app_server):
    playwright = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()
