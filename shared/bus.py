"""The bus: aio-pika with publisher confirms, quorum queues, manual ack, dead letters with reasons.

Ack vocabulary (FastStream's): a handler that returns -> ack; raises PermanentError (or the message
cannot be decoded) -> the message goes to the unit's DLQ with the reason, then ack; raises anything
else -> nack with requeue after a back-off, until the queue's delivery limit dead-letters it.
A message is never acked before its handler's work is committed.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage, AbstractRobustConnection

from shared.logging import get_logger
from shared.messages import ContractError, Envelope, Message, Payload, QueryReply, decode, encode, envelope_for
from shared.topology import Unit, all_units, exchange, routing_key

log = get_logger()

Runner = Callable[[Message[Any]], Awaitable[QueryReply | None]]


class PermanentError(Exception):
    """The message can never succeed (bad data, broken rule): dead-letter it with this reason."""


class Bus:
    """One connection, one publishing channel with confirms, consumers on channels of their own."""

    def __init__(self, url: str, ns: str, kiosk_id: str, *, publish_timeout: float = 10.0,
                 prefetch: int = 16, delivery_limit: int = 10) -> None:
        self.url, self.ns, self.kiosk_id = url, ns, kiosk_id
        self.publish_timeout, self.prefetch, self.delivery_limit = publish_timeout, prefetch, delivery_limit
        self.conn: AbstractRobustConnection | None = None
        self._pub: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._consumers: list[tuple[Any, str]] = []
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._replies: dict[str, asyncio.Future[QueryReply]] = {}
        self._reply_queue: Any = None

    # -- lifecycle -------------------------------------------------------------------------------
    async def connect(self) -> None:
        self.conn = await aio_pika.connect_robust(self.url, timeout=10, client_properties={"connection_name": self.ns})
        self._pub = await self.conn.channel(publisher_confirms=True, on_return_raises=True)
        await self.declare_topology()

    async def declare_topology(self) -> None:
        """Declare every exchange and every unit's queues (idempotent)."""
        ch = self._pub
        assert ch is not None
        for kind, typ in (("event", "topic"), ("command", "topic"), ("query", "topic"), ("dlx", "direct")):
            self._exchanges[kind] = await ch.declare_exchange(exchange(self.ns, kind), typ, durable=True)
        for unit in all_units(self.ns, self.kiosk_id):
            await self._declare_unit(ch, unit)

    async def _declare_unit(self, ch: AbstractChannel, unit: Unit) -> None:
        dlq = await ch.declare_queue(unit.queue("dlq"), durable=True, arguments={"x-queue-type": "quorum"})
        await dlq.bind(self._exchanges["dlx"], routing_key=unit.name)
        work_args: dict[str, Any] = {"x-queue-type": "quorum", "x-delivery-limit": self.delivery_limit,
                     "x-dead-letter-exchange": exchange(self.ns, "dlx"), "x-dead-letter-routing-key": unit.name}
        commands = await ch.declare_queue(unit.queue("commands"), durable=True, arguments=work_args)
        await commands.bind(self._exchanges["command"], routing_key=unit.command_pattern)
        events = await ch.declare_queue(unit.queue("events"), durable=True, arguments=work_args)
        for pattern in unit.event_patterns:
            await events.bind(self._exchanges["event"], routing_key=pattern)
        queries = await ch.declare_queue(unit.queue("queries"), durable=True, arguments={"x-message-ttl": 30_000})
        await queries.bind(self._exchanges["query"], routing_key=unit.command_pattern)

    async def close(self, grace_s: float = 10.0) -> None:
        """Stop taking messages, let those in hand finish (or hand them back), close."""
        for queue, tag in self._consumers:
            try:
                await queue.cancel(tag)
            except Exception:  # noqa: BLE001 - the channel may already be gone
                pass
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=grace_s)
        if self.conn is not None:
            await self.conn.close()

    # -- publishing ------------------------------------------------------------------------------
    async def publish_envelope(self, env: Envelope, kind: str, *, reply_to: str | None = None) -> None:
        """Publish and wait for the broker's confirm; raise if unroutable, nacked or timed out."""
        assert self._pub is not None, "bus not connected"
        ex = self._exchanges[kind]
        msg = aio_pika.Message(
            encode(env), content_type="application/json", content_encoding="utf-8",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=str(env.message_id),
            correlation_id=env.correlation_id, type=env.type, reply_to=reply_to,
            headers={"x-kiosk-id": env.kiosk_id, "x-version": env.version},
        )
        # Commands must reach their owner's queue: mandatory makes an unroutable one raise.
        await ex.publish(msg, routing_key(kind, env.type, env.kiosk_id), mandatory=kind != "event",
                         timeout=self.publish_timeout)

    async def publish(self, payload: Payload, *, correlation_id: str, kiosk_id: str | None = None,
                      causation_id: str | None = None) -> Envelope:
        env = envelope_for(payload, correlation_id=correlation_id, kiosk_id=kiosk_id or self.kiosk_id,
                           causation_id=causation_id)
        await self.publish_envelope(env, payload.KIND)
        return env

    async def request(self, payload: Payload, *, correlation_id: str, timeout: float = 5.0) -> QueryReply:
        """Send a query and wait for its reply (for reads only; never for commands)."""
        assert self.conn is not None
        if self._reply_queue is None:
            ch = await self.conn.channel()
            self._reply_queue = await ch.declare_queue(exclusive=True, auto_delete=True)
            await self._reply_queue.consume(self._on_reply, no_ack=True)
        env = envelope_for(payload, correlation_id=correlation_id, kiosk_id=self.kiosk_id)
        fut: asyncio.Future[QueryReply] = asyncio.get_running_loop().create_future()
        self._replies[str(env.message_id)] = fut
        try:
            await self.publish_envelope(env, "query", reply_to=self._reply_queue.name)
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._replies.pop(str(env.message_id), None)

    async def _on_reply(self, raw: AbstractIncomingMessage) -> None:
        fut = self._replies.get(raw.correlation_id or "")
        if fut is not None and not fut.done():
            try:
                fut.set_result(QueryReply.model_validate_json(raw.body))
            except ValueError as exc:
                fut.set_exception(exc)

    async def _reply(self, raw: AbstractIncomingMessage, reply: QueryReply) -> None:
        assert self._pub is not None
        await self._pub.default_exchange.publish(
            aio_pika.Message(reply.model_dump_json().encode(), correlation_id=raw.message_id,
                             content_type="application/json"),
            routing_key=raw.reply_to or "", mandatory=False, timeout=self.publish_timeout)

    async def dead_letter(self, raw: AbstractIncomingMessage, unit: Unit, reason: str) -> None:
        """Put the original message on the unit's DLQ with the reason; confirmed before we ack."""
        assert self._pub is not None
        headers = dict(raw.headers or {})
        headers.update({"x-death-reason": reason[:2000], "x-original-queue": raw.routing_key or "",
                        "x-original-exchange": raw.exchange or "", "x-original-routing-key": raw.routing_key or ""})
        msg = aio_pika.Message(raw.body, headers=headers, content_type=raw.content_type,
                               message_id=raw.message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await self._exchanges["dlx"].publish(msg, routing_key=unit.name, mandatory=True,
                                             timeout=self.publish_timeout)

    # -- consuming -------------------------------------------------------------------------------
    async def consume(self, unit: Unit, kind: str, handled: set[type[Payload]], runner: Runner) -> None:
        """Consume one of a unit's queues; `runner` runs the handler for a decoded message."""
        assert self.conn is not None
        ch = await self.conn.channel()
        await ch.set_qos(prefetch_count=self.prefetch)
        # Declared (passively) through the robust channel, not fetched: only declared queues are
        # re-consumed after a reconnect; a fetched one would silently lose its consumer.
        queue = await ch.declare_queue(unit.queue(kind), passive=True)

        async def on_message(raw: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                await self._handle(raw, unit, kind, handled, runner)
            finally:
                self._in_flight.discard(task)

        tag = await queue.consume(on_message, no_ack=False)
        self._consumers.append((queue, tag))

    async def _handle(self, raw: AbstractIncomingMessage, unit: Unit, kind: str,
                      handled: set[type[Payload]], runner: Runner) -> None:
        count = (raw.headers or {}).get("x-delivery-count", 0)
        attempt = (int(count) if isinstance(count, (int, str)) else 0) + 1
        try:
            msg = decode(raw.body)
        except ContractError as exc:
            log.warning("message.dead_lettered", reason=str(exc)[:500], routing_key=raw.routing_key or "")
            await self.dead_letter(raw, unit, str(exc))
            await raw.ack()
            return
        bind = {"message_id": str(msg.message_id), "type": msg.envelope.type,
                "correlation_id": msg.correlation_id, "attempt": attempt}
        if type(msg.payload) not in handled:
            if kind == "events":  # a wildcard binding brought an event this service does not need
                await raw.ack()
                return
            await self.dead_letter(raw, unit, f"no handler for {msg.envelope.type} in {unit.name}")
            await raw.ack()
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            reply = await runner(msg)
        except PermanentError as exc:
            log.warning("message.dead_lettered", reason=str(exc), **bind)
            await self.dead_letter(raw, unit, f"permanent: {exc}")
            await raw.ack()
            return
        except asyncio.CancelledError:
            await _safe(raw.nack(requeue=True))  # shutting down mid-work: hand it back
            raise
        except Exception as exc:  # noqa: BLE001 - transient: retried with back-off, then dead-lettered
            log.exception("message.failed", error=repr(exc)[:500], **bind)
            if attempt >= self.delivery_limit:
                # Dead-letter it ourselves on the last try, so the DLQ keeps why (the broker's own
                # delivery-limit dead-lettering, the safety net behind this, only says "delivery_limit").
                await self.dead_letter(raw, unit, f"gave up after {attempt} attempts: {_describe_error(exc)}")
                await raw.ack()
                return
            await asyncio.sleep(min(0.2 * 2 ** min(attempt, 5), 5.0))
            await raw.nack(requeue=True)
            return
        if reply is not None and raw.reply_to:
            await self._reply(raw, reply)
        await raw.ack()
        log.info("message.handled", ms=round((loop.time() - started) * 1000, 1), **bind)

    async def queue_depths(self) -> dict[str, int]:
        """Messages ready in every queue of the topology (passive declares; for `kiosk status`)."""
        assert self.conn is not None
        out: dict[str, int] = {}
        ch = await self.conn.channel()
        for unit in all_units(self.ns, self.kiosk_id):
            for kind in ("commands", "events", "queries", "dlq"):
                q = await ch.declare_queue(unit.queue(kind), passive=True)
                out[unit.queue(kind)] = q.declaration_result.message_count or 0
        await ch.close()
        return out


def _describe_error(exc: BaseException) -> str:
    """An exception for a dead-letter header: its type and message, cut short."""
    return f"{type(exc).__name__}: {exc}"[:1000]


async def _safe(aw: Awaitable[Any]) -> None:
    try:
        await aw
    except Exception:  # noqa: BLE001
        pass


def new_correlation_id() -> str:
    return uuid.uuid4().hex
