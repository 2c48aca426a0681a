"""Transactional outbox and inbox.

Outbox: a state change and the messages it causes are written in one transaction; the relay
publishes them with confirms afterwards and marks them published. A crash between publish and
mark re-publishes with the same message id, which consumers' inboxes absorb.

Inbox: a consumer records the message id in the same transaction as its effects, so a redelivered
message changes nothing twice.
"""
from __future__ import annotations

import asyncio
import uuid

import asyncpg

from shared.bus import Bus
from shared.logging import get_logger
from shared.messages import Envelope, encode
from shared.messages import Envelope as _Env

log = get_logger()


async def add(conn: asyncpg.Connection, schema: str, env: Envelope, kind: str) -> None:
    """Queue a message for publishing when (and only if) the surrounding transaction commits."""
    await conn.execute(f"INSERT INTO {schema}.outbox (message_id, kind, body) VALUES ($1, $2, $3)",
                       env.message_id, kind, encode(env))
    await conn.execute("SELECT pg_notify($1, '')", f"{schema}_outbox")


async def claim(conn: asyncpg.Connection, schema: str, message_id: uuid.UUID, msg_type: str) -> bool:
    """Record a message as handled; False when it already was (a redelivery)."""
    status = await conn.execute(
        f"INSERT INTO {schema}.inbox (message_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        message_id, msg_type)
    return status.endswith(" 1")


class OutboxRelay:
    """Publishes a schema's outbox rows in order, woken by NOTIFY, polling as a safety net."""

    def __init__(self, pool: asyncpg.Pool, schema: str, bus: Bus, *, batch: int = 200, poll_s: float = 1.0) -> None:
        self.pool, self.schema, self.bus, self.batch, self.poll_s = pool, schema, bus, batch, poll_s
        self._wake = asyncio.Event()
        self.published = 0

    async def run(self) -> None:
        listener = await self.pool.acquire()
        channel = f"{self.schema}_outbox"
        wake = lambda *_: self._wake.set()  # noqa: E731
        await listener.add_listener(channel, wake)
        try:
            while True:
                try:
                    n = await self.drain_once()
                except (TimeoutError, OSError, asyncpg.PostgresError, ConnectionError) as exc:
                    log.warning("outbox.relay_error", error=repr(exc)[:300])
                    n = 0
                    await asyncio.sleep(1)
                if n == 0:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.poll_s)
                    except TimeoutError:
                        pass
        finally:
            await listener.remove_listener(channel, wake)
            await self.pool.release(listener)

    async def drain_once(self) -> int:
        """Publish one batch; returns how many were published."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"SELECT id, kind, body FROM {self.schema}.outbox WHERE published_at IS NULL"
                f" ORDER BY id LIMIT {self.batch} FOR UPDATE SKIP LOCKED")
            if not rows:
                return 0
            # Pipelined on one confirming channel: the broker keeps the order, we wait for all acks.
            await asyncio.gather(*(self.bus.publish_envelope(_Env.model_validate_json(r["body"]), r["kind"])
                                   for r in rows))
            await conn.execute(f"UPDATE {self.schema}.outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                               [r["id"] for r in rows])
            await conn.execute(f"DELETE FROM {self.schema}.outbox WHERE published_at < now() - interval '1 day'")
        self.published += len(rows)
        return len(rows)
