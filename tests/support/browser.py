"""Driving the browser tests' pages: Debian's Chromium, the demo's people signing in through the
form, pages that remember every JavaScript error, and axe-core's accessibility check. The
fixtures (a live `tandem serve`, the browser, `pages` and `page`) are in tests/e2e/conftest.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "tests" / "e2e" / "vendor" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")

TABLET: ViewportSize = {"width": 1024, "height": 768}  # iPad, landscape
PHONE: ViewportSize = {"width": 375, "height": 667}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

DEMO_PASSWORD = "e2e demo password 42"
DEMO_LOGINS = {
    "admin": "admin@demo.tandem.example.org",
    "lead": "lead@demo.tandem.example.org",
    "facilitator": "facilitator1@demo.tandem.example.org",
    "mentor": "mentor1@demo.tandem.example.org",
}

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SCREENSHOTS = ROOT / "var" / "screenshots"


class BrowserPage:
    """Builds pages in fresh contexts and remembers every JavaScript error they report."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.errors: list[str] = []
        self._contexts: list[BrowserContext] = []

    def new(self, viewport: ViewportSize, *, role: str | None = "lead") -> Page:
        """A page in a fresh context, signed in as the demo user of `role` (None: signed out).
        The Content-Security-Policy is enforced: a violation is a console error."""
        context = self.browser.new_context(viewport=viewport, base_url=self.base_url)
        self._contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)

        def on_console(msg: ConsoleMessage) -> None:
            if msg.type != "error":
                return
            loc = msg.location
            where = f" ({loc.get('url')}:{loc.get('lineNumber')})" if loc else ""
            self.errors.append(f"console error: {msg.text}{where}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        if role is not None:
            sign_in(page, role)
        return page

    def close(self) -> None:
        for context in self._contexts:
            context.close()


def _format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']}  [{v.get('helpUrl', '')}]")
        for node in v["nodes"][:5]:
            target = json.dumps(node.get("target"))
            lines.append(f"    target: {target}")
            lines.append(f"    html:   {node.get('html', '')[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def sign_in(page: Page, role: str) -> None:
    """Through the sign-in form, as a person would."""
    page.goto("/login")
    page.get_by_label("Email address").fill(DEMO_LOGINS[role])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def assert_accessible(page: Page) -> None:
    """Run axe-core on the whole document (WCAG 2.2 A/AA and best practice): no violations.
    axe is evaluated through the DevTools protocol, which the page's CSP does not govern."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    results = page.evaluate(
        """async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})""",
        AXE_TAGS,
    )
    violations = results["violations"]
    assert not violations, _format_violations(page.url, violations)


def assert_focus_visible(page: Page, *, tabs: int) -> None:
    """Tab (at most `tabs` times) from the top of the page to the first control in the main
    content: the focused element is drawn differently from the same element unfocused
    (GOV.UK's yellow focus)."""
    page.locator("body").click(position={"x": 1, "y": 1})
    for _ in range(tabs):
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "() => !!document.activeElement.closest('main') && ['A', 'INPUT', 'SELECT', "
            "'BUTTON', 'TEXTAREA'].includes(document.activeElement.tagName)"
        )
        if inside:
            break
    else:
        raise AssertionError("Tab never reached the main content")
    style = """(el) => { const s = getComputedStyle(el);
        return [s.outlineStyle, s.outlineWidth, s.boxShadow, s.backgroundColor].join('|'); }"""
    element = page.evaluate_handle("() => document.activeElement")
    focused = page.evaluate(style, element)
    page.evaluate("(el) => el.blur()", element)
    unfocused = page.evaluate(style, element)
    assert focused != unfocused, f"focus changes nothing on the page: {focused}"
