"""The bus on the real RabbitMQ and the outbox/inbox on the real PostgreSQL."""
from __future__ import annotations

import asyncio
from pathlib import Path

import aio_pika
import pytest

from shared import outbox
from shared.bus import Bus, PermanentError
from shared.messages import DisarmQrReader, GetCatalogue, Message, QrScanned, QueryReply, envelope_for
from shared.service import Context, Runtime, ServiceSpec
from shared.settings import CommonSettings
from shared.topology import unit_for
from tests.conftest import cleanup_namespace

pytestmark = pytest.mark.integration


async def _started(spec: ServiceSpec, settings: CommonSettings) -> Runtime:
    """A service runtime, connected, migrated and consuming, as its process would run it."""
    rt = Runtime(spec, settings)
    await rt.start_infra()
    await rt.start_consuming(None)
    return rt


async def _wait_for(pred, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not pred():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.02)


async def _dlq_messages(s: CommonSettings, unit_name: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    conn = await aio_pika.connect(s.amqp_url)
    out = []
    async with conn:
        ch = await conn.channel()
        q = await ch.get_queue(f"{s.namespace}.{unit_name}.dlq", ensure=False)
        while (m := await q.get(fail=False, no_ack=True)) is not None:
            out.append(m)
    return out


async def test_command_reaches_owner_and_malformed_message_is_dead_lettered_with_reason(settings: CommonSettings) -> None:
    """A valid command is handled; a malformed one goes to the DLQ with its reason and the consumer goes on."""
    seen: list[str] = []

    async def on_disarm(msg: Message[DisarmQrReader], ctx: Context) -> None:
        seen.append(msg.correlation_id)

    rt = await _started(ServiceSpec("scanner", {DisarmQrReader: on_disarm}), settings)
    try:
        unit = unit_for(settings.namespace, "scanner", settings.kiosk_id)
        ch = await rt.bus.conn.channel()
        ex = await ch.get_exchange(f"{settings.namespace}.commands")
        await ex.publish(aio_pika.Message(b"{not json"), routing_key=f"scanner.arm_qr_reader.{settings.kiosk_id}")
        await rt.bus.publish(DisarmQrReader(), correlation_id="c-after-bad")
        await _wait_for(lambda: seen == ["c-after-bad"])
        dead = await _dlq_messages(settings, unit.name)
        assert len(dead) == 1
        assert dead[0].body == b"{not json"
        assert "invalid envelope" in dead[0].headers["x-death-reason"]
    finally:
        await rt.stop()


async def test_permanent_error_dead_letters_and_transient_error_retries(settings: CommonSettings) -> None:
    """PermanentError -> DLQ with reason at once; another exception -> redelivered until it succeeds."""
    attempts: dict[str, int] = {}

    async def on_disarm(msg: Message[DisarmQrReader], ctx: Context) -> None:
        n = attempts[msg.correlation_id] = attempts.get(msg.correlation_id, 0) + 1
        if msg.correlation_id == "perm":
            raise PermanentError("procedure does not exist")
        if n < 3:
            raise RuntimeError("database briefly away")

    rt = await _started(ServiceSpec("scanner", {DisarmQrReader: on_disarm}), settings)
    try:
        await rt.bus.publish(DisarmQrReader(), correlation_id="perm")
        await rt.bus.publish(DisarmQrReader(), correlation_id="flaky")
        await _wait_for(lambda: attempts.get("flaky") == 3 and attempts.get("perm") == 1)
        dead: list = []
        deadline = asyncio.get_running_loop().time() + 10
        while not dead and asyncio.get_running_loop().time() < deadline:
            dead = await _dlq_messages(settings, unit_for(settings.namespace, "scanner", settings.kiosk_id).name)
        assert [m.headers["x-death-reason"] for m in dead] == ["permanent: procedure does not exist"]
        assert attempts["flaky"] == 3  # it succeeded on its third try and was not dead-lettered
    finally:
        await rt.stop()


async def test_outbox_publishes_after_commit_and_inbox_ignores_redelivery(settings: CommonSettings, tmp_path: Path) -> None:
    """An emitted event leaves only after commit; the same message id handled twice changes nothing twice."""
    mig = tmp_path / "mig"
    mig.mkdir()
    (mig / "0001_counter.sql").write_text("CREATE TABLE bus_test.counter (n int NOT NULL); INSERT INTO bus_test.counter VALUES (0);")
    got: list[str] = []

    async def on_scanned(msg: Message[QrScanned], ctx: Context) -> None:
        await ctx.conn.execute("UPDATE bus_test.counter SET n = n + 1")
        await ctx.emit(DisarmQrReader())

    async def on_catalogue(msg: Message[GetCatalogue], ctx: Context) -> QueryReply:
        n = await ctx.conn.fetchval("SELECT n FROM bus_test.counter")
        return QueryReply(ok=True, data={"n": n})

    rt = await _started(ServiceSpec("identity", {QrScanned: on_scanned}, schema="bus_test", migrations=mig), settings)
    listener = await _started(ServiceSpec("scanner", {DisarmQrReader: lambda m, c: _append(got, m)}), settings)
    try:
        env = envelope_for(QrScanned(purpose="login", text="x", decoder="zxing"), correlation_id="s1", kiosk_id=settings.kiosk_id)
        await rt.bus.publish_envelope(env, "event")
        await rt.bus.publish_envelope(env, "event")  # the same message id again: a redelivery
        marker = envelope_for(QrScanned(purpose="login", text="y", decoder="zxing"), correlation_id="s2", kiosk_id=settings.kiosk_id)
        await rt.bus.publish_envelope(marker, "event")
        # The queue is FIFO: once the marker's effect is seen, the duplicate before it was handled (or skipped).
        await _wait_for(lambda: "s2" in got)
        assert got == ["s1", "s2"]
        async with rt.pool.acquire() as conn:
            assert await conn.fetchval("SELECT n FROM bus_test.counter") == 2
            # The relay marks rows after the broker confirmed them, which can be after they were consumed.
            deadline = asyncio.get_running_loop().time() + 10
            while await conn.fetchval("SELECT count(*) FROM bus_test.outbox WHERE published_at IS NULL"):
                assert asyncio.get_running_loop().time() < deadline, "outbox rows never marked published"
                await asyncio.sleep(0.05)
    finally:
        await listener.stop()
        await rt.stop()


async def _append(got: list[str], msg: Message) -> None:
    got.append(msg.correlation_id)


async def test_query_gets_a_reply(settings: CommonSettings) -> None:
    """bus.request() sends a query to its owner and returns the owner's reply."""

    async def on_catalogue(msg: Message[GetCatalogue], ctx: Context) -> QueryReply:
        return QueryReply(ok=True, data={"procedures": ["khai-sinh"], "asked_by": msg.kiosk_id})

    rt = await _started(ServiceSpec("intake", {GetCatalogue: on_catalogue}), settings)
    try:
        reply = await rt.bus.request(GetCatalogue(), correlation_id="q1", timeout=5)
        assert reply.ok and reply.data == {"procedures": ["khai-sinh"], "asked_by": settings.kiosk_id}
    finally:
        await rt.stop()


async def test_consumer_comes_back_after_the_connection_drops(settings: CommonSettings) -> None:
    """When the broker connection breaks, the service reconnects and its queues are consumed again."""
    seen: list[str] = []

    async def on_disarm(msg: Message[DisarmQrReader], ctx: Context) -> None:
        seen.append(msg.correlation_id)

    rt = await _started(ServiceSpec("scanner", {DisarmQrReader: on_disarm}), settings)
    sender = Bus(settings.amqp_url, settings.namespace, settings.kiosk_id)
    await sender.connect()
    try:
        await sender.publish(DisarmQrReader(), correlation_id="before")
        await _wait_for(lambda: seen == ["before"])
        # Break the service's connection under it, as a broker restart or a network cut would.
        await rt.bus.conn.transport.connection.close(ConnectionResetError("connection cut by the test"))
        await _wait_for(lambda: rt.bus.conn is not None and not rt.bus.conn.is_closed and
                        rt.bus.conn.transport is not None and not rt.bus.conn.transport.connection.is_closed, 20)
        await sender.publish(DisarmQrReader(), correlation_id="after")
        await _wait_for(lambda: seen == ["before", "after"], 20)
    finally:
        await sender.close()
        await rt.stop()


async def test_an_unroutable_outbox_row_does_not_block_the_rows_behind_it(settings: CommonSettings, tmp_path: Path) -> None:
    """A command the broker refuses (no queue for that kiosk) is set aside with its reason; later rows still go."""
    mig = tmp_path / "mig"
    mig.mkdir()
    rt = Runtime(ServiceSpec("intake", {}, schema="relay_test", migrations=mig), settings)
    await rt.start_infra()
    got: list[str] = []
    listener = await _started(ServiceSpec("scanner", {DisarmQrReader: lambda m, c: _append(got, m)}), settings)
    relay = outbox.OutboxRelay(rt.pool, "relay_test", rt.bus)
    relay.MAX_ATTEMPTS = 2
    try:
        async with rt.pool.acquire() as conn:
            lost = envelope_for(DisarmQrReader(), correlation_id="nowhere", kiosk_id="kiosk-that-never-ran")
            good = envelope_for(DisarmQrReader(), correlation_id="good", kiosk_id=settings.kiosk_id)
            await outbox.add(conn, "relay_test", lost, "command")
            await outbox.add(conn, "relay_test", good, "command")
        assert await relay.drain_once() == 1
        await _wait_for(lambda: got == ["good"])
        with pytest.raises(RuntimeError):
            await relay.drain_once()  # only the refused row is left: it fails again and is set aside
        async with rt.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT attempts, last_error, dead_at FROM relay_test.outbox WHERE message_id = $1",
                                      lost.message_id)
            assert row["attempts"] == 2 and row["dead_at"] is not None and "NO_ROUTE" in row["last_error"].upper()
            assert await outbox.dead_rows(conn, "relay_test") == 1
        assert await relay.drain_once() == 0
        health = await rt.health()
        assert health["checks"]["outbox_dead"] is False and health["ok"] is False
        async with rt.pool.acquire() as conn:  # housekeeping forgets rows published over a day ago, only those
            await conn.execute("UPDATE relay_test.outbox SET published_at = now() - interval '2 days' WHERE message_id = $1",
                               good.message_id)
            await relay.clean_up()
            assert await conn.fetchval("SELECT count(*) FROM relay_test.outbox") == 1
    finally:
        await listener.stop()
        await rt.stop()


async def test_a_message_that_keeps_failing_is_dead_lettered_with_its_last_error(settings: CommonSettings) -> None:
    """A transient error that never clears: after the delivery limit the message is in the DLQ with the error."""
    tries: list[int] = []

    async def on_disarm(msg: Message[DisarmQrReader], ctx: Context) -> None:
        tries.append(1)
        raise RuntimeError("portal answers 503")

    # Queue arguments are fixed at declaration: a namespace of its own for a different delivery limit.
    limited = settings.model_copy(update={"delivery_limit": 3, "namespace": settings.namespace + "dl"})
    rt = await _started(ServiceSpec("scanner", {DisarmQrReader: on_disarm}), limited)
    try:
        await rt.bus.publish(DisarmQrReader(), correlation_id="never")
        unit = unit_for(limited.namespace, "scanner", settings.kiosk_id).name
        dead: list = []
        deadline = asyncio.get_running_loop().time() + 20
        while not dead and asyncio.get_running_loop().time() < deadline:
            dead = await _dlq_messages(limited, unit)
        assert len(tries) == 3
        assert [m.headers["x-death-reason"] for m in dead] == ["gave up after 3 attempts: RuntimeError: portal answers 503"]
    finally:
        await rt.stop()
        await cleanup_namespace(settings.amqp_url, limited.namespace, settings.kiosk_id)
