"""Wiring of the portal simulator: create_app() for tests and for `python -m simulators.portal`.

    POST /api/v1/dossiers                         Idempotency-Key; 201 new, 200 duplicate, 409 key reused
    PUT  /api/v1/dossiers/{code}/documents/{key}  PDF bytes, X-Content-SHA256; idempotent
    GET  /api/v1/dossiers/{code}                  dossier, status, history, documents
    POST /api/v1/dossiers/{code}/status           staff transition {"status", "note", "actor"}
    GET  /api/v1/changes?after=<seq>&limit=100    the change feed, seq ascending
    POST /api/sim/mode                            {"mode": "ok"|"down"|"slow", "delay_s": 2}
    GET  /  and  /dossiers/{code}                 the staff page (Vietnamese HTML)
    GET  /healthz                                 liveness of the process (no token; 200 even when "down")

/api/ paths need the bearer token when one is configured; failure modes touch /api/v1/ only, so
the staff page and the mode switch keep working while the "portal" is down.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
from aiohttp import web

from shared import db
from shared.settings import CommonSettings
from simulators.portal import api, staff
from simulators.portal.config import PortalSimSettings
from simulators.portal.repository import SCHEMA

MIGRATIONS = Path(__file__).with_name("migrations")


def create_app(common: CommonSettings, sim: PortalSimSettings | None = None,
               pool: asyncpg.Pool | None = None) -> web.Application:
    """The simulator as an aiohttp application; it opens (and migrates) its own pool unless given one."""
    sim = sim or PortalSimSettings()
    # Room for the largest document plus headers; a longer body is refused with 413 by aiohttp.
    app = web.Application(middlewares=[api.api_guard], client_max_size=sim.max_document_bytes + 64 * 1024)
    app[api.SIM] = sim
    app[api.MODE] = api.Mode()
    app.cleanup_ctx.append(_database(common, pool))
    api.add_routes(app)
    staff.add_routes(app)
    return app


def _database(common: CommonSettings, given: asyncpg.Pool | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        pool = given
        if pool is None:
            await db.ensure_database(common.pg_dsn)
            pool = await db.create_pool(common.pg_dsn)
        async with pool.acquire() as conn:
            await db.migrate(conn, SCHEMA, MIGRATIONS, with_outbox=False)
        app[api.POOL] = pool
        yield
        if given is None:
            await pool.close()

    return ctx
