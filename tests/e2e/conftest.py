"""The whole stack as separate processes, on the real broker and database, driven by headless Chromium.

Ports are picked free at start, so a developer's `make run` or another test run can go on beside.
"""
from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import socket
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from playwright.async_api import Browser, Page, async_playwright

from kiosk.stack import Stack
from tests.conftest import REPO, cleanup_namespace

CHROMIUM = os.environ.get("KIOSK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PORTAL_TOKEN = os.environ.get("KIOSK_PORTAL_SIM_TOKEN", "dev-token")  # the simulator's development token
PORT_VARS = ("KIOSK_UI_PORT", "KIOSK_VNEID_SIM_PORT", "KIOSK_PORTAL_SIM_PORT", "KIOSK_SCANNER_HEALTH_PORT",
             "KIOSK_PRINTER_HEALTH_PORT", "KIOSK_IDENTITY_HEALTH_PORT", "KIOSK_INTAKE_HEALTH_PORT",
             "KIOSK_PORTAL_SYNC_HEALTH_PORT")


def free_ports(n: int) -> list[int]:
    """Ports free right now: two test runs (or a `make run`) on one machine must not meet."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class E2E:
    """Handles to the running stack for tests: URLs, env for `kiosk` commands, the database."""

    def __init__(self, stack: Stack, env: dict[str, str], var_dir: Path, artifacts: Path) -> None:
        self.stack, self.env, self.var_dir, self.artifacts = stack, env, var_dir, artifacts
        self.ui = env["KIOSK_UI_PUBLIC_URL"]
        self.portal = env["KIOSK_PORTAL_URL"]
        self.vneid = env["KIOSK_VNEID_URL"]
        self.pg_dsn = env["KIOSK_PG_DSN"]

    async def kiosk(self, *args: str) -> str:
        """Run a `kiosk` CLI command against this stack and return its output."""
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "kiosk.cli", *args, env=self.env, cwd=REPO,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        if proc.returncode != 0:
            raise AssertionError(f"kiosk {' '.join(args)} failed: {err.decode()}")
        return out.decode().strip()

    def get_json(self, url: str) -> Any:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {PORTAL_TOKEN}"})
        with urllib.request.urlopen(req, timeout=5) as r:  # noqa: S310 - loopback
            return json.loads(r.read())

    def post_json(self, url: str, body: dict[str, Any]) -> Any:
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:  # noqa: S310 - loopback
            return json.loads(r.read())

    async def fetchval(self, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.pg_dsn)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def restart(self, name: str) -> None:
        self.stack.start(name)
        await asyncio.to_thread(self.stack.wait_healthy, name, 60)


def _with_db(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = REPO / "var" / "test-artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def e2e(infra: dict[str, str], tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[E2E]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"end-to-end tests need Chromium at {CHROMIUM} (apt-get install chromium); make test installs it",
                    pytrace=False)
    ns = "e" + uuid.uuid4().hex[:10]
    var_dir = tmp_path_factory.mktemp("e2e-var")
    ports = dict(zip(PORT_VARS, free_ports(len(PORT_VARS)), strict=True))
    env = {**os.environ, **{k: str(v) for k, v in ports.items()},
           "KIOSK_NAMESPACE": ns, "KIOSK_KIOSK_ID": "kiosk-e2e", "KIOSK_VAR_DIR": str(var_dir),
           "KIOSK_AMQP_URL": infra["amqp"], "KIOSK_PG_DSN": _with_db(infra["pg"], f"kiosk_{ns}"),
           "KIOSK_UI_PUBLIC_URL": f"http://127.0.0.1:{ports['KIOSK_UI_PORT']}",
           "KIOSK_VNEID_URL": f"http://127.0.0.1:{ports['KIOSK_VNEID_SIM_PORT']}",
           "KIOSK_PORTAL_URL": f"http://127.0.0.1:{ports['KIOSK_PORTAL_SIM_PORT']}",
           "KIOSK_LOG_FORMAT": "json"}
    stack = Stack(env=env)
    try:
        stack.start_all(timeout=90)
    except Exception:
        stack.stop_all()
        _dump_logs(stack)
        raise
    try:
        yield E2E(stack, env, var_dir, artifacts)
    finally:
        stack.stop_all()
        _copy_logs(stack, artifacts)
        asyncio.run(_drop(infra, ns, "kiosk-e2e"))


def _dump_logs(stack: Stack) -> None:
    for log in sorted(stack.log_dir.glob("*.log")):
        print(f"==== {log.name}\n{log.read_text()[-3000:]}")


def _copy_logs(stack: Stack, artifacts: Path) -> None:
    for log in stack.log_dir.glob("*.log"):
        shutil.copy(log, artifacts / f"e2e-{log.name}")


async def _drop(infra: dict[str, str], ns: str, kiosk_id: str) -> None:
    await cleanup_namespace(infra["amqp"], ns, kiosk_id)
    admin = await asyncpg.connect(_with_db(infra["pg"], "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "kiosk_{ns}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    ctx = await browser.new_context(viewport={"width": 1080, "height": 1600}, locale="vi-VN")
    p = await ctx.new_page()
    yield p
    await asyncio.wait_for(ctx.close(), 30)  # never let a stuck browser hold the whole run


async def wait_until(pred: Any, timeout: float = 20, what: str = "condition") -> Any:
    """Poll pred() until it returns something true, without blocking the event loop (Playwright runs on it)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = await asyncio.to_thread(pred)
            if value:
                return value
        except Exception:  # noqa: BLE001 - not yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        await asyncio.sleep(0.2)


E2E_TEST_TIMEOUT_S = float(os.environ.get("KIOSK_E2E_TEST_TIMEOUT_S", 240))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every e2e test gets a deadline: a hang fails fast, with the await it hung on in the traceback,
    instead of holding CI until its own limit."""
    for item in items:
        fn = getattr(item, "obj", None)
        if "tests/e2e/" in str(item.path) and asyncio.iscoroutinefunction(fn):
            item.obj = _with_deadline(fn)


def _with_deadline(fn: Any) -> Any:
    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> Any:
        async with asyncio.timeout(E2E_TEST_TIMEOUT_S):
            return await fn(*args, **kwargs)

    return run
