"""The UI service: the touch-screen web app plus the bus events that move its pages on."""
from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from shared.logging import get_logger
from shared.service import Runtime, ServiceSpec
from shared.settings import CommonSettings

from .catalogue_cache import CatalogueCache
from .config import UiSettings
from .handlers import HANDLERS, Deps
from .sessions import SessionStore
from .web import create_app, end_session

log = get_logger()
SPEC = ServiceSpec("ui", HANDLERS)


async def expire_idle_sessions(rt: Runtime[Deps], deps: Deps) -> None:
    """Log out sessions nobody touched for idle_s + warn_s, even if the page is gone."""
    while True:
        await asyncio.sleep(2)
        for s in deps.sessions.expired(deps.ui.idle_s + deps.ui.warn_s):
            log.info("session.expired")
            with contextlib.suppress(Exception):
                await end_session(rt.bus, deps, s)


async def main_async(settings: CommonSettings, ui: UiSettings) -> None:
    rt: Runtime[Deps] = Runtime(SPEC, settings)
    await rt.start_infra()
    deps = Deps(SessionStore(), CatalogueCache(rt.bus, ui.query_timeout_s), ui, settings.kiosk_id)
    await rt.start_consuming(deps)
    rt.health_checks["sessions"] = lambda: _count(deps)
    app = create_app(deps, rt.bus, settings)
    rt.add_health_routes(app)
    # handler_cancellation: a page that reloads closes its event stream; the handler must notice at once,
    # or each reload leaves a stream open until its next keep-alive and the browser runs out of connections.
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, ui.host, ui.port).start()
    rt.tasks.append(asyncio.create_task(deps.catalogue.warm(), name="catalogue"))
    rt.tasks.append(asyncio.create_task(expire_idle_sessions(rt, deps), name="idle"))
    log.info("ui.listening", url=f"http://{ui.host}:{ui.port}")
    try:
        await rt.wait_for_signal()
    finally:
        await runner.cleanup()
        await rt.stop()


async def _count(deps: Deps) -> int:
    return len(deps.sessions)
