"""End-to-end fixtures: the app served on a loopback port in a thread, and Debian's Chromium driven by
Playwright (never a downloaded browser). Browser tests skip with a clear message where Chromium is missing."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from training.extensions import db
from training.org.demo import load_demo_organisation

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("browser tests skipped: Debian's Chromium not found (apt-get install chromium fonts-noto-cjk)")
    return str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))


@pytest.fixture(scope="session")
def playwright_browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extras always install it
        pytest.skip("browser tests skipped: the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test app on 127.0.0.1 with an ephemeral port, in a background thread, for one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def demo_data(app_ctx):
    load_demo_organisation()
    db.session.commit()


@pytest.fixture
def page(playwright_browser):
    context = playwright_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


@pytest.fixture
def browser_errors(page):
    """Script errors, console errors (a CSP violation is one) and failed requests of our pages (the browser's
    own favicon request aside). A test module may override it (the exam client expects failed requests)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error"
            and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    return errors
