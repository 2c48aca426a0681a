"""The portal's REST API (JSON, UTF-8) and the failure-injection endpoint for tests and chaos drills."""
from __future__ import annotations

import asyncio
import functools
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiohttp import web

from simulators.portal import store
from simulators.portal.config import PortalSimSettings
from simulators.portal.store import PortalProblem

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Mode:
    """How the simulated portal behaves right now: "ok", "down" (503) or "slow" (answers after delay_s)."""

    mode: str = "ok"
    delay_s: float = 0.0


POOL = web.AppKey("pool", asyncpg.Pool)
SIM = web.AppKey("sim", PortalSimSettings)
MODE = web.AppKey("mode", Mode)


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON as UTF-8 text (Vietnamese readable on the wire, not \\u escapes)."""
    return web.json_response(data, status=status, dumps=_dumps)


_dumps = functools.partial(json.dumps, ensure_ascii=False)


def problem(status: int, reason: str) -> web.Response:
    return json_response({"error": reason}, status=status)


@web.middleware
async def api_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authentication, failure modes and PortalProblem -> JSON error, for /api/ paths only."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    token = request.app[SIM].token
    given = request.headers.get("Authorization", "")
    if token and not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return problem(401, "missing or wrong bearer token")
    if request.path.startswith("/api/v1/"):
        mode = request.app[MODE]
        if mode.mode == "down":
            return problem(503, "portal is down (simulated)")
        if mode.mode == "slow":
            await asyncio.sleep(mode.delay_s)
    try:
        return await handler(request)
    except PortalProblem as exc:
        return problem(exc.status, exc.reason)


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise PortalProblem(400, f"body is not JSON: {exc}") from exc


async def post_dossier(request: web.Request) -> web.Response:
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        raise PortalProblem(400, "header Idempotency-Key is required")
    received = await store.receive_dossier(request.app[POOL], key, await _json_body(request))
    if received.duplicate:
        return json_response({"ref": received.ref, "duplicate": True}, status=200)
    return json_response({"ref": received.ref, "status": "received"}, status=201)


async def put_document(request: web.Request) -> web.Response:
    limit = request.app[SIM].max_document_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PortalProblem(413, f"a document may be at most {limit} bytes")
    content = await request.read()  # client_max_size also refuses a longer chunked body with 413
    created = await store.store_document(request.app[POOL], request.match_info["code"], request.match_info["key"],
                                         request.headers.get("X-Content-SHA256", ""), content)
    return json_response({"stored": True, "duplicate": not created}, status=201 if created else 200)


async def get_dossier(request: web.Request) -> web.Response:
    return json_response(await store.dossier_view(request.app[POOL], request.match_info["code"]))


async def post_status(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        raise PortalProblem(400, 'body must be {"status": ..., "note": ..., "actor": ...}')
    row = await store.change_status(request.app[POOL], request.match_info["code"], body["status"],
                                    str(body.get("actor") or ""), str(body.get("note") or ""))
    return json_response({"seq": row["seq"], "status": body["status"], "at": row["at"].isoformat()})


def _int_param(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    try:
        value = int(request.query.get(name, default))
    except ValueError as exc:
        raise PortalProblem(400, f"{name} must be an integer") from exc
    if not lo <= value <= hi:
        raise PortalProblem(400, f"{name} must be between {lo} and {hi}")
    return value


async def get_changes(request: web.Request) -> web.Response:
    after = _int_param(request, "after", 0, 0, 2**62)
    limit = _int_param(request, "limit", 100, 1, 500)
    return json_response({"changes": await store.change_feed(request.app[POOL], after, limit)})


async def set_mode(request: web.Request) -> web.Response:
    body = await _json_body(request)
    mode = body.get("mode") if isinstance(body, dict) else None
    if mode not in ("ok", "down", "slow"):
        raise PortalProblem(400, 'mode must be "ok", "down" or "slow"')
    try:
        delay = float(body.get("delay_s", 2.0))
    except (TypeError, ValueError) as exc:
        raise PortalProblem(400, "delay_s must be a number") from exc
    if not 0 <= delay <= 120:
        raise PortalProblem(400, "delay_s must be between 0 and 120")
    current = request.app[MODE]
    current.mode, current.delay_s = mode, delay
    return json_response({"mode": current.mode, "delay_s": current.delay_s})


async def healthz(request: web.Request) -> web.Response:
    """Process liveness for the stack runner: no token needed, 200 even while simulating "down"."""
    mode = request.app[MODE]
    return json_response({"ok": True, "mode": mode.mode})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/v1/dossiers", post_dossier)
    app.router.add_put("/api/v1/dossiers/{code}/documents/{key}", put_document)
    app.router.add_get("/api/v1/dossiers/{code}", get_dossier)
    app.router.add_post("/api/v1/dossiers/{code}/status", post_status)
    app.router.add_get("/api/v1/changes", get_changes)
    app.router.add_post("/api/sim/mode", set_mode)
