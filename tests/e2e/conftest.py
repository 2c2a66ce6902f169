"""Fixtures for the web tests: the real app served by uvicorn, and headless Chromium.

The server runs ``mmpath.api.app:create_app`` in a subprocess on a free 127.0.0.1 port
with SQLite in a temporary folder. The browser is Debian's ``chromium`` driven by
Playwright through ``executable_path`` (``.ci/browser.sh`` installs it; Playwright's own
browser download is never used). Without chromium the browser tests are skipped with
the reason shown, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "first-relapse-on-lenalidomide.json"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("MMPATH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str


#: The user the browser signs in as (created in the server's database before it starts).
USER = "e2e-clinician"
PASSWORD = "e2e password for the browser tests"


def sign_in_page(page: Any, server: Server) -> None:
    """Sign in through the real sign-in page, as a person would."""
    page.goto(server.url + "/login")
    page.locator("#name").fill(USER)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web-e2e")
    database_url = f"sqlite:///{folder / 'mmpath.sqlite3'}"
    from mmpath.auth import accounts
    from mmpath.store import Store

    setup = Store(database_url)
    if accounts.get_user(setup, USER) is None:
        accounts.add_user(setup, USER, "clinician", PASSWORD)
    setup.close()
    port = _free_port()
    env = {
        **os.environ,
        "MMPATH_DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "mmpath.api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded CI machine
    while True:
        try:
            with urllib.request.urlopen(url + "/static/app.css", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("web server did not start:\n" + (folder / "server.log").read_text("utf-8"))
        time.sleep(0.2)
    try:
        yield Server(url, database_url)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} not found: run .ci/browser.sh (installs Debian's chromium)"
        if in_ci():
            pytest.fail(message + " — required in CI")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def signed_in(browser: Any, server: Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The cookies of one sign-in through the real form, shared by the tests' tabs.

    Signing in for every test ran into the server's own limit of 10 sign-in attempts per
    minute per address (auth/middleware.py) whenever the suite ran fast: the form came back
    with 429 and ``wait_for_url`` timed out (the browser tests failed intermittently)."""
    context = browser.new_context()
    sign_in_page(context.new_page(), server)
    path = tmp_path_factory.mktemp("e2e-session") / "state.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser tab; signed in when the test uses the ``server``."""
    state = request.getfixturevalue("signed_in") if "server" in request.fixturenames else None
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, storage_state=state
    )
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    return data


def shot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot into test-artifacts/ (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full_page)
    return path
