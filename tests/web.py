"""`bilan serve` for tests and benchmarks: the real command, started as its
own process on a free port of 127.0.0.1 with the caller's BILAN_* settings,
and the helpers a browser test needs (accounts, logging in)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.dovecot import free_port
from tests.processes import BilanProcess

#: Signs the test server's session cookies (never a real key).
TEST_SECRET = "test-only-secret-key-of-the-web-tests-0123456789"
PASSWORD = "mot-de-passe-de-test"


class WebServer:
    """`bilan serve --port P` until `stop()`; `url` is its address."""

    def __init__(self, log_file: Path, env: dict[str, str] | None = None, timeout: float = 120.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = {"BILAN_WEB_SECRET_KEY": TEST_SECRET, **(env or {})}
        self.process = BilanProcess(["serve", "--host", "127.0.0.1", "--port", str(self.port)], log_file, settings)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.process.poll() is not None:
                raise AssertionError(f"bilan serve exited ({self.process.process.returncode}):\n{self.process.output}")
            try:
                with urllib.request.urlopen(f"{self.url}/connexion", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"bilan serve not ready after {timeout} s:\n{self.process.output}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.stop()

    def __enter__(self) -> WebServer:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def add_account(engine, name: str, role: str, password: str = PASSWORD) -> None:
    from bilan.storage.accounts import save_account
    from bilan.web.auth import hash_password

    save_account(engine, name, role, hash_password(password))


def log_in(page, url: str, name: str, password: str = PASSWORD) -> None:
    """Through the login form, as a person does."""
    page.goto(f"{url}/connexion")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
