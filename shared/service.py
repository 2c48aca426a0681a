"""The runtime every service shares: connect, migrate, relay the outbox, consume, report health, stop.

A service is described by a ServiceSpec: its name, its handlers ({PayloadModel: handler}) and, for
services that own state, its schema and migrations. Handlers read like sentences:

    async def on_print_receipt(msg: Message[PrintReceipt], ctx: Context) -> None

`ctx.emit(payload)` sends the messages a handler causes. In a service with a database, emits go to
the outbox inside the handler's transaction (with the inbox claim), so effects and messages commit
together. Elsewhere they are published with confirms after the handler returns, before the ack.
"""
from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import asyncpg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from shared import db, outbox
from shared.bus import Bus
from shared.logging import configure, get_logger
from shared.messages import Envelope, Message, Payload, QueryReply, envelope_for
from shared.settings import CommonSettings
from shared.topology import unit_for

log = get_logger()
HANDLED = Counter("kiosk_messages_total", "Messages handled", ["service", "type", "outcome"])
D = TypeVar("D")

Handler = Callable[[Message[Any], "Context[Any]"], Awaitable[QueryReply | None]]


@dataclass
class Context(Generic[D]):
    """What a handler gets besides its message: deps, the transaction (if any), and emit()."""

    msg: Message[Any] | None
    deps: D
    bus: Bus
    kiosk_id: str
    conn: asyncpg.Connection | None = None
    schema: str | None = None
    pending: list[tuple[Envelope, str]] = field(default_factory=list)

    async def emit(self, payload: Payload, *, kiosk_id: str | None = None, correlation_id: str | None = None) -> Envelope:
        env = envelope_for(
            payload,
            correlation_id=correlation_id or (self.msg.correlation_id if self.msg else "system"),
            kiosk_id=kiosk_id or (self.msg.kiosk_id if self.msg else self.kiosk_id),
            causation_id=str(self.msg.message_id) if self.msg else None,
        )
        if self.conn is not None and self.schema is not None:
            await outbox.add(self.conn, self.schema, env, payload.KIND)
        else:
            self.pending.append((env, payload.KIND))
        return env

    async def flush(self) -> None:
        """Publish buffered emits (services without a database), each confirmed."""
        for env, kind in self.pending:
            await self.bus.publish_envelope(env, kind)
        self.pending.clear()


@dataclass
class ServiceSpec:
    name: str
    handlers: dict[type[Payload], Handler]
    schema: str | None = None
    migrations: Path | None = None
    health_port: int | None = None


class Runtime(Generic[D]):
    """Owns one service process's resources from start to stop."""

    def __init__(self, spec: ServiceSpec, settings: CommonSettings) -> None:
        self.spec, self.settings = spec, settings
        self.bus = Bus(settings.amqp_url, settings.namespace, settings.kiosk_id,
                       publish_timeout=settings.publish_timeout_s, prefetch=settings.prefetch,
                       delivery_limit=settings.delivery_limit)
        self.pool: asyncpg.Pool | None = None
        self.deps: Any = None
        self.tasks: list[asyncio.Task[Any]] = []
        self.started_at = time.time()
        self.health_checks: dict[str, Callable[[], Awaitable[Any]]] = {}
        self._runner: web.AppRunner | None = None

    async def start_infra(self) -> None:
        """Connect to the broker and (if the service has one) the database; migrate."""
        configure(self.spec.name, self.settings.log_level, self.settings.log_format)
        if self.spec.schema:
            await db.ensure_database(self.settings.pg_dsn)
            self.pool = await db.create_pool(self.settings.pg_dsn)
            async with self.pool.acquire() as conn:
                assert self.spec.migrations is not None
                await db.migrate(conn, self.spec.schema, self.spec.migrations)
        await self.bus.connect()

    async def start_consuming(self, deps: Any) -> None:
        self.deps = deps
        if self.pool is not None and self.spec.schema:
            relay = outbox.OutboxRelay(self.pool, self.spec.schema, self.bus)
            self.tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
        unit = unit_for(self.settings.namespace, self.spec.name, self.settings.kiosk_id)
        for kind, queue_kind in (("command", "commands"), ("event", "events"), ("query", "queries")):
            handled = {m for m in self.spec.handlers if m.KIND == kind}
            if handled:
                await self.bus.consume(unit, queue_kind, handled, self._run_handler)
        port = os.environ.get(f"KIOSK_{self.spec.name.upper()}_HEALTH_PORT") or self.spec.health_port
        if port:
            await self.serve_health(int(port))
        log.info("service.started", kiosk_id=self.settings.kiosk_id)

    async def _run_handler(self, msg: Message[Any]) -> QueryReply | None:
        handler = self.spec.handlers[type(msg.payload)]
        outcome = "error"
        try:
            if self.pool is None or msg.payload.KIND == "query":
                reply = await self._run_direct(handler, msg)
            else:
                reply = await self._run_in_transaction(handler, msg)
            outcome = "ok"
            return reply
        finally:
            HANDLED.labels(self.spec.name, msg.envelope.type, outcome).inc()

    async def _run_direct(self, handler: Handler, msg: Message[Any]) -> QueryReply | None:
        if self.pool is not None:  # a query in a db service: a connection, no transaction, no inbox
            async with self.pool.acquire() as conn:
                ctx = Context(msg, self.deps, self.bus, self.settings.kiosk_id, conn=conn)
                return await handler(msg, ctx)
        ctx = Context(msg, self.deps, self.bus, self.settings.kiosk_id)
        reply = await handler(msg, ctx)
        await ctx.flush()
        return reply

    async def _run_in_transaction(self, handler: Handler, msg: Message[Any]) -> QueryReply | None:
        assert self.pool is not None and self.spec.schema
        async with self.pool.acquire() as conn, conn.transaction():
            if not await outbox.claim(conn, self.spec.schema, msg.message_id, msg.envelope.type):
                log.info("message.duplicate_ignored", message_id=str(msg.message_id), type=msg.envelope.type)
                return None
            ctx = Context(msg, self.deps, self.bus, self.settings.kiosk_id, conn=conn, schema=self.spec.schema)
            return await handler(msg, ctx)

    def system_context(self, conn: asyncpg.Connection | None = None) -> Context[Any]:
        """A context for work not caused by a message (timers, pollers)."""
        return Context(None, self.deps, self.bus, self.settings.kiosk_id, conn=conn, schema=self.spec.schema)

    # -- health ----------------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        checks: dict[str, Any] = {"bus": bool(self.bus.conn and not self.bus.conn.is_closed)}
        if self.pool is not None and self.spec.schema:
            try:
                async with self.pool.acquire(timeout=2) as conn:
                    dead = await outbox.dead_rows(conn, self.spec.schema)
                checks["db"] = True
                checks["outbox_dead"] = dead if dead == 0 else False
            except Exception:  # noqa: BLE001
                checks["db"] = False
        # A background loop (outbox relay, poller) that died of an error is a service that stopped working.
        crashed = [t.get_name() for t in self.tasks if t.done() and not t.cancelled() and t.exception() is not None]
        checks["tasks"] = False if crashed else True
        if crashed:
            checks["crashed_tasks"] = ", ".join(crashed)
        for name, check in self.health_checks.items():
            try:
                checks[name] = await check()
            except Exception as exc:  # noqa: BLE001
                checks[name] = f"error: {exc!r}"[:200]
        ok = all(v is not False for v in checks.values())
        return {"service": self.spec.name, "kiosk_id": self.settings.kiosk_id, "ok": ok,
                "uptime_s": round(time.time() - self.started_at), "checks": checks}

    def add_health_routes(self, app: web.Application) -> None:
        async def healthz(_: web.Request) -> web.Response:
            body = await self.health()
            return web.json_response(body, status=200 if body["ok"] else 503)

        async def metrics(_: web.Request) -> web.Response:
            return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

        app.router.add_get("/healthz", healthz)
        app.router.add_get("/metrics", metrics)

    async def serve_health(self, port: int) -> None:
        app = web.Application()
        self.add_health_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()

    # -- stop ------------------------------------------------------------------------------------
    async def wait_for_signal(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("service.stopping")

    async def stop(self) -> None:
        await self.bus.close()
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.pool is not None:
            await self.pool.close()
        log.info("service.stopped")


HEALTH_PORTS = {"scanner": 9101, "printer": 9102, "identity": 9103, "intake": 9104, "portal_sync": 9105}


async def run_service(spec: ServiceSpec, settings: CommonSettings,
                      build_deps: Callable[[Runtime[Any]], Awaitable[Any]]) -> None:
    """The whole life of a service process: start, consume until SIGTERM, stop gracefully."""
    rt: Runtime[Any] = Runtime(spec, settings)
    await rt.start_infra()
    deps = await build_deps(rt)
    await rt.start_consuming(deps)
    try:
        await rt.wait_for_signal()
    finally:
        await rt.stop()
