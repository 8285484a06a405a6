"""Open a page in the machine's real headless Chromium (Debian's `chromium`,
driven by Playwright over the DevTools protocol) and report what a person
would see: console errors, uncaught exceptions, network requests, and a
screenshot."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

#: The flags that work on this machine kind (see the machine notes): no
#: sandbox as root, no GPU, and none of Chromium's own network traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("Debian's chromium is not installed: run `make debian-packages` (or apt-get install chromium)")
    return path


@dataclass
class PageVisit:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    evaluated: dict[str, object] = field(default_factory=dict)


def visit(path: Path, screenshot: Path, expressions: dict[str, str]) -> PageVisit:
    """Load a local file, refuse every request that would leave it, evaluate
    some JavaScript expressions and save a full-page screenshot."""
    from playwright.sync_api import sync_playwright

    result = PageVisit()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: result.page_errors.append(str(error)))

            def route(request_route):
                url = request_route.request.url
                if url.startswith(("file:", "data:")):
                    request_route.continue_()
                else:
                    result.requests.append(url)
                    request_route.abort()

            page.route("**/*", route)
            page.goto(path.resolve().as_uri(), wait_until="load")
            for name, expression in expressions.items():
                result.evaluated[name] = page.evaluate(expression)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return result
