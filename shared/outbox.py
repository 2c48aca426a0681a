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
    """Publishes a schema's outbox rows in order, woken by NOTIFY, polling as a safety net.

    It never dies of a broker or database error: it backs off and goes on, re-listening after a
    database restart. A row the broker refuses is retried on later passes, and after MAX_ATTEMPTS
    set aside as dead with its reason (visible in health), so it cannot hold up the rows behind it.
    """

    MAX_ATTEMPTS = 20
    CLEANUP_EVERY_S = 60.0

    def __init__(self, pool: asyncpg.Pool, schema: str, bus: Bus, *, batch: int = 200, poll_s: float = 1.0) -> None:
        self.pool, self.schema, self.bus, self.batch, self.poll_s = pool, schema, bus, batch, poll_s
        self._wake = asyncio.Event()
        self.published = 0
        self.failures = 0

    async def run(self) -> None:
        while True:
            try:
                await self._listen_and_drain()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever broke, the relay must come back
                self.failures += 1
                log.warning("outbox.relay_error", schema=self.schema, error=repr(exc)[:300])
                await asyncio.sleep(min(0.5 * 2 ** min(self.failures, 5), 10))

    async def _listen_and_drain(self) -> None:
        channel = f"{self.schema}_outbox"
        wake = lambda *_: self._wake.set()  # noqa: E731
        loop = asyncio.get_running_loop()
        next_cleanup = loop.time()
        listener = await self.pool.acquire()
        try:
            await listener.add_listener(channel, wake)
            while not listener.is_closed():
                if loop.time() >= next_cleanup:
                    await self.clean_up()
                    next_cleanup = loop.time() + self.CLEANUP_EVERY_S
                n = await self.drain_once()
                self.failures = 0
                if n == 0:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.poll_s)
                    except TimeoutError:
                        pass
        finally:
            if not listener.is_closed():
                await listener.remove_listener(channel, wake)
            await self.pool.release(listener)

    async def drain_once(self) -> int:
        """Publish one batch; returns how many rows were published."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"SELECT id, kind, body FROM {self.schema}.outbox WHERE published_at IS NULL AND dead_at IS NULL"
                f" ORDER BY id LIMIT {self.batch} FOR UPDATE SKIP LOCKED")
            if not rows:
                return 0
            # Pipelined on one confirming channel: the broker keeps the order, we wait for all acks.
            results = await asyncio.gather(
                *(self.bus.publish_envelope(_Env.model_validate_json(r["body"]), r["kind"]) for r in rows),
                return_exceptions=True)
            ok = [r["id"] for r, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)]
            failed = [(r["id"], repr(res)[:500]) for r, res in zip(rows, results, strict=True)
                      if isinstance(res, BaseException)]
            await conn.execute(f"UPDATE {self.schema}.outbox SET published_at = now() WHERE id = ANY($1::bigint[])", ok)
            for row_id, error in failed:
                await conn.execute(
                    f"UPDATE {self.schema}.outbox SET attempts = attempts + 1, last_error = $2,"
                    f" dead_at = CASE WHEN attempts + 1 >= $3 THEN now() END WHERE id = $1",
                    row_id, error, self.MAX_ATTEMPTS)
                log.warning("outbox.publish_failed", schema=self.schema, outbox_id=row_id, error=error)
        self.published += len(ok)
        if failed and not ok:
            raise RuntimeError(f"{len(failed)} outbox rows refused by the broker")  # back off before the next try
        return len(ok)


    async def clean_up(self) -> None:
        """Forget published outbox rows after a day and handled inbox ids after 30 days.

        Once a minute, not on every batch: these deletes scan, and the batch path is the hot one.
        """
        async with self.pool.acquire() as conn:
            await conn.execute(f"DELETE FROM {self.schema}.outbox WHERE published_at < now() - interval '1 day'")
            await conn.execute(f"DELETE FROM {self.schema}.inbox WHERE handled_at < now() - interval '30 days'")


async def dead_rows(conn: asyncpg.Connection, schema: str) -> int:
    """Outbox rows set aside after the broker refused them too often (for health and ops)."""
    return int(await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox WHERE dead_at IS NOT NULL"))
