"""The staff web app in a real browser: Debian's Chromium (Playwright) against the live
server, every diagram of workflows/ deployed and the demo accounts seeded.

`Browser.page()` opens a fresh context (one person, one set of cookies) whose requests
may go to the live server only, and records script errors and CSP violations; tests end
with `assert tab.problems == []`. `shoot(tab, name)` writes screenshots at 1280 and 375 px
wide into test-artifacts/screenshots (git-ignored; RELIEF_TEST_ARTIFACTS moves it) and
`axe(tab)` runs axe-core on the page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from api.demo import DEMO_PASSWORD
from api.settings import ROOT
from tests.api.conftest import Client, live  # noqa: F401 - the live server fixture
from tests.support.browser import CHROMIUM, CHROMIUM_HINT
from tests.support.re_execution import every_case_re_executes

ARTIFACTS = Path(os.environ.get("RELIEF_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 375)


@pytest.fixture
def site(live: Client, scenario) -> Client:  # noqa: F811
    """The live server with every workflow deployed (the scenario fixture deploys them)."""
    return live


@dataclass
class Tab:
    """One browser context and its page, with what went wrong in it."""

    page: Any
    base: str
    problems: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.go("/")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.submit("button:has-text('登录'), button:has-text('Sign in')")

    def submit(self, selector: str) -> None:
        """Click a button that submits a form, and wait for the page that answers."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def cookies(self) -> list[dict[str, Any]]:
        return self.page.context.cookies()


class Browser:
    def __init__(self, chromium: Any, base: str) -> None:
        self.chromium, self.base = chromium, base
        self._contexts: list[Any] = []

    def page(self, width: int = 1280, height: int = 900) -> Tab:
        context = self.chromium.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        self._contexts.append(context)
        page = context.new_page()
        tab = Tab(page, self.base)

        def local_only(route: Any) -> None:
            # No CDN: anything not from the live server is recorded (a failure) and never leaves.
            if route.request.url.startswith(self.base + "/"):
                route.continue_()
            else:
                tab.problems.append(f"request outside the app: {route.request.url}")
                route.abort()

        context.route("**/*", local_only)
        page.on("pageerror", lambda err: tab.problems.append(f"script error: {err}"))
        page.on("console", lambda msg: tab.problems.append(f"console: {msg.text}")
                if msg.type == "error" and "status of 4" not in msg.text else None)
        return tab

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(CHROMIUM_HINT)
    from playwright.sync_api import sync_playwright  # only where a browser exists to drive

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium: Any, site: Client) -> Iterator[Browser]:
    b = Browser(chromium, site.base)
    yield b
    b.close()


def shoot(tab: Tab, name: str) -> list[Path]:
    """Full-page screenshots of the current page at each width, for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, paths = tab.page, []
    original = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)  # let the layout settle at the new width
        path = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(original)
    return paths


def axe(tab: Tab) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each.
    (evaluate() runs in the page without being an inline script, so the CSP stays as served.)"""
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `make test`, which installs the npm packages")
    tab.page.evaluate(AXE.read_text("utf-8"))
    result = tab.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def overflowing(tab: Tab) -> list[str]:
    """Elements wider than the page (cut off or scrolling sideways at phone width). Measured
    after two animation frames: a viewport change reaches the page's resize handlers (charts
    that redraw at the new width) in the next frame, not before `set_viewport_size` returns."""
    return tab.page.evaluate("""async () => {
        await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
        const width = document.documentElement.clientWidth, out = [];
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && (r.right > width + 1) && !el.closest('.table-wrap, .diagram, pre'))
                out.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)} > ${width}`);
        }
        return out.slice(0, 10);
    }""")


@pytest.fixture(autouse=True)
def _X_AUDIT_every_case_re_executes(request: pytest.FixtureRequest) -> Iterator[None]:
    """X-AUDIT: every case a web test leaves re-executes to its stored state."""
    yield from every_case_re_executes(request)
