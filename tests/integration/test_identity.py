"""identity on the real RabbitMQ and PostgreSQL, against the VNeID simulator served over real HTTP."""
from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from joserfc.jwk import generate_key

from services.identity import repository
from services.identity.app import SPEC, build_deps
from services.identity.config import IdentitySettings
from shared.messages import (
    CitizenAuthenticated,
    CitizenAuthenticationFailed,
    Message,
    OtpRejected,
    OtpSent,
    OtpVerified,
    Payload,
    QrScanned,
    SendOtp,
    VerifyOtp,
    envelope_for,
)
from shared.service import Context, Runtime, ServiceSpec
from shared.settings import CommonSettings
from simulators.vneid import SimSettings, create_app
from simulators.vneid.app import STATE, sign_login_token

pytestmark = pytest.mark.integration

NGOC = "049195003817"  # Trần Thị Bích Ngọc in data/citizens.json
HUNG = "049048001276"  # Lê Văn Hùng
AN = "001092012345"  # Nguyễn Văn An
EVENTS = (CitizenAuthenticated, CitizenAuthenticationFailed, OtpSent, OtpVerified, OtpRejected)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass
class Stack:
    settings: CommonSettings
    sim_url: str
    sim_app: web.Application
    identity: Runtime[Any]
    http: aiohttp.ClientSession
    events: dict[str, list[Payload]]

    async def publish(self, payload: Payload, cid: str) -> Any:
        return await self.identity.bus.publish(payload, correlation_id=cid)

    async def outcome(self, cid: str, n: int = 1, within_s: float = 10.0) -> Payload:
        """The n-th event identity emitted in session `cid`, waiting with a deadline."""
        deadline = time.monotonic() + within_s
        while len(self.events.get(cid, [])) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"no event #{n} for {cid} before the deadline: {self.events.get(cid)}")
            await asyncio.sleep(0.01)
        return self.events[cid][n - 1]

    async def token(self, id_number: str, **extra: Any) -> str:
        async with self.http.post(f"{self.sim_url}/api/qr-token", json={"id_number": id_number, **extra}) as r:
            assert r.status == 200
            return (await r.json())["token"]

    async def sent_code(self, id_number: str) -> str:
        async with self.http.get(f"{self.sim_url}/api/sim/otp/{id_number}") as r:
            assert r.status == 200
            return (await r.json())["code"]

    async def sim_mode(self, mode: str) -> None:
        async with self.http.post(f"{self.sim_url}/api/sim/fail", json={"mode": mode}) as r:
            assert r.status == 200

    async def fetchval(self, sql: str, *args: Any) -> Any:
        assert self.identity.pool is not None
        async with self.identity.pool.acquire() as conn:
            return await conn.fetchval(sql, *args)


def _with_db(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
async def stack(settings: CommonSettings) -> AsyncIterator[Stack]:
    """The VNeID simulator on a free port, the identity service, and a "ui" listener for its events.

    identity gets a database of its own: tests/integration/test_bus.py puts a test migration of its
    own under schema "identity" in the session database, which would hide the real one.
    """
    db_name = urlsplit(settings.pg_dsn).path.lstrip("/") + "_identity"
    port = _free_port()
    sim_url = f"http://127.0.0.1:{port}"
    s = settings.model_copy(update={"pg_dsn": _with_db(settings.pg_dsn, db_name), "vneid_url": sim_url})
    sim_app = create_app(s, SimSettings(port=port))
    runner = web.AppRunner(sim_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    cfg = IdentitySettings(jwks_url=f"{sim_url}/.well-known/jwks.json", issuer=sim_url, vneid_url=sim_url)
    identity: Runtime[Any] = Runtime(dataclasses.replace(SPEC, health_port=None), s)
    await identity.start_infra()
    await identity.start_consuming(await build_deps(identity, cfg))
    events: dict[str, list[Payload]] = {}

    async def collect(msg: Message[Any], ctx: Context[Any]) -> None:
        events.setdefault(msg.correlation_id, []).append(msg.payload)

    ui: Runtime[Any] = Runtime(ServiceSpec("ui", {e: collect for e in EVENTS}), s)
    await ui.start_infra()
    await ui.start_consuming(None)
    http = aiohttp.ClientSession()
    try:
        yield Stack(s, sim_url, sim_app, identity, http, events)
    finally:
        await http.close()
        await ui.stop()
        await identity.stop()
        await runner.cleanup()
        admin = await asyncpg.connect(_with_db(settings.pg_dsn, "postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        finally:
            await admin.close()


def _scan(text: str, purpose: str = "login") -> QrScanned:
    return QrScanned(purpose=purpose, text=text, decoder="zxing")  # type: ignore[arg-type]


async def test_a_fresh_vneid_token_logs_the_citizen_in_once(stack: Stack) -> None:
    """A fresh token authenticates the right citizen; the same token again is refused as replayed."""
    token = await stack.token(NGOC)
    started = time.monotonic()
    await stack.publish(_scan(token), "login-1")
    event = await stack.outcome("login-1")
    elapsed = time.monotonic() - started
    assert isinstance(event, CitizenAuthenticated), event
    c = event.citizen
    assert (c.id_number, c.full_name, c.sex, c.date_of_birth.isoformat()) == (NGOC, "Trần Thị Bích Ngọc", "Nữ", "1995-08-22")
    assert c.address == "Thôn Lý Trường, xã Bình Phú, huyện Thăng Bình, tỉnh Quảng Nam" and c.phone == "0935218467"
    print(f"login: scan -> authenticated in {elapsed * 1000:.0f} ms")  # a figure, not an assertion: shared machines are noisy

    await stack.publish(_scan(token), "login-2")
    replay = await stack.outcome("login-2")
    assert isinstance(replay, CitizenAuthenticationFailed) and replay.reason == "replayed"
    assert await stack.fetchval("SELECT count(*) FROM identity.used_tokens") == 1


async def test_qr_codes_that_are_not_valid_vneid_tokens_are_refused_with_their_reason(stack: Stack) -> None:
    """Garbage, a CCCD card QR, an expired, a forged and a wrong-audience token each get their own reason, storing nothing."""
    state = stack.sim_app[STATE]
    forger = generate_key("EC", "P-256", parameters={"alg": "ES256", "kid": state.key.kid})
    forged = sign_login_token(dataclasses.replace(state, key=forger), state.citizens[AN], issued_at=int(time.time()))
    other_rp = dataclasses.replace(state, sim=SimSettings(audience="another-app"))
    cases = {
        "hello": "not_vneid",
        f"{AN}||Nguyễn Văn An|14051992|Nam|Kim Mã, Ba Đình, Hà Nội|15082021": "not_vneid",
        await stack.token(AN, age_s=300): "expired",
        forged: "bad_signature",
        sign_login_token(other_rp, state.citizens[AN], issued_at=int(time.time())): "wrong_audience",
    }
    used_before = await stack.fetchval("SELECT count(*) FROM identity.used_tokens")
    for i, text in enumerate(cases):
        await stack.publish(_scan(text), f"bad-{i}")
    for i, expected in enumerate(cases.values()):
        event = await stack.outcome(f"bad-{i}")
        assert isinstance(event, CitizenAuthenticationFailed) and event.reason == expected, (expected, event)
    assert await stack.fetchval("SELECT count(*) FROM identity.used_tokens") == used_before


async def test_a_lookup_qr_is_left_alone(stack: Stack) -> None:
    """A QR scanned for a dossier lookup causes no identity event and does not use up the token."""
    token = await stack.token(AN)
    env = envelope_for(_scan(token, purpose="lookup"), correlation_id="lookup-1", kiosk_id=stack.settings.kiosk_id)
    await stack.identity.bus.publish_envelope(env, "event")
    deadline = time.monotonic() + 10
    while not await stack.fetchval("SELECT count(*) FROM identity.inbox WHERE message_id = $1", env.message_id):
        assert time.monotonic() < deadline, "the lookup QR was not handled in time"
        await asyncio.sleep(0.02)
    # The inbox claim and any emit commit together: nothing in the outbox means nothing was emitted.
    assert await stack.fetchval("SELECT count(*) FROM identity.outbox WHERE convert_from(body, 'UTF8')::jsonb"
                                " ->> 'correlation_id' = 'lookup-1'") == 0
    await stack.publish(_scan(token), "lookup-then-login")
    assert isinstance(await stack.outcome("lookup-then-login"), CitizenAuthenticated)
    assert "lookup-1" not in stack.events


async def test_a_confirmation_code_is_sent_verified_once_and_stored_only_hashed(stack: Stack) -> None:
    """SendOtp texts a code through VNeID; a wrong code is refused, the right one verifies once."""
    await stack.publish(SendOtp(id_number=NGOC), "otp-1")
    sent = await stack.outcome("otp-1")
    assert isinstance(sent, OtpSent) and sent.masked_phone == "09******67"
    assert timedelta(minutes=4) < sent.expires_at - datetime.now(UTC) <= timedelta(minutes=5)
    code = await stack.sent_code(NGOC)
    stored = await stack.fetchval("SELECT code_hash FROM identity.otp_challenges WHERE correlation_id = 'otp-1'")
    assert stored and code.encode() not in stored

    await stack.publish(VerifyOtp(id_number=NGOC, code=f"{(int(code) + 1) % 10**6:06d}"), "otp-1")
    wrong = await stack.outcome("otp-1", 2)
    assert isinstance(wrong, OtpRejected) and (wrong.reason, wrong.attempts_left) == ("wrong", 4)
    await stack.publish(VerifyOtp(id_number=NGOC, code=code), "otp-1")
    assert isinstance(await stack.outcome("otp-1", 3), OtpVerified)
    await stack.publish(VerifyOtp(id_number=NGOC, code=code), "otp-1")
    again = await stack.outcome("otp-1", 4)
    assert isinstance(again, OtpRejected) and again.reason == "no_challenge"


async def test_five_wrong_codes_lock_the_citizen_for_a_while(stack: Stack) -> None:
    """Five wrong codes lock the citizen for 15 minutes: the right code and a new code are refused meanwhile."""
    await stack.publish(SendOtp(id_number=HUNG), "lock-1")
    assert isinstance(await stack.outcome("lock-1"), OtpSent)
    code = await stack.sent_code(HUNG)
    wrong = f"{(int(code) + 7) % 10**6:06d}"
    answers = []
    for n in range(2, 7):
        await stack.publish(VerifyOtp(id_number=HUNG, code=wrong), "lock-1")
        event = await stack.outcome("lock-1", n)
        assert isinstance(event, OtpRejected)
        answers.append((event.reason, event.attempts_left))
    assert answers == [("wrong", 4), ("wrong", 3), ("wrong", 2), ("wrong", 1), ("locked", 0)]
    locked = stack.events["lock-1"][-1]
    assert isinstance(locked, OtpRejected) and locked.locked_until is not None
    assert timedelta(minutes=14) < locked.locked_until - datetime.now(UTC) <= timedelta(minutes=15)

    await stack.publish(VerifyOtp(id_number=HUNG, code=code), "lock-1")
    await stack.publish(SendOtp(id_number=HUNG), "lock-2")
    for cid, n in (("lock-1", 7), ("lock-2", 1)):
        event = await stack.outcome(cid, n)
        assert isinstance(event, OtpRejected) and event.reason == "locked", event


async def test_a_code_that_cannot_be_sent_is_reported_as_send_failed(stack: Stack) -> None:
    """With the SMS provider down, or for a citizen it does not know, SendOtp answers send_failed and stores nothing."""
    await stack.sim_mode("down")
    try:
        await stack.publish(SendOtp(id_number=AN), "send-down")
        down = await stack.outcome("send-down")
    finally:
        await stack.sim_mode("ok")
    await stack.publish(SendOtp(id_number="001099999999"), "send-unknown")
    unknown = await stack.outcome("send-unknown")
    for event in (down, unknown):
        assert isinstance(event, OtpRejected) and event.reason == "send_failed", event
    assert await stack.fetchval("SELECT count(*) FROM identity.otp_challenges"
                                " WHERE correlation_id IN ('send-down', 'send-unknown')") == 0


async def test_housekeeping_forgets_spent_tokens_dead_codes_and_ended_lockouts(stack: Stack) -> None:
    """purge_expired deletes expired rows (codes an hour after expiry) and keeps the live ones."""
    assert stack.identity.pool is not None
    now = datetime.now(UTC)
    async with stack.identity.pool.acquire() as conn, conn.transaction():
        await repository.use_token(conn, "spent-jti", now - timedelta(seconds=1))
        await repository.use_token(conn, "live-jti", now + timedelta(seconds=60))
        for cid, expired_ago in (("hk-dead", timedelta(hours=2)), ("hk-recent", timedelta(minutes=1))):
            await repository.save_challenge(conn, cid, AN, b"h", b"s", now - expired_ago)
        await repository.lock(conn, "079078009154", now - timedelta(seconds=1))
        await repository.purge_expired(conn, now)
        jtis = {r["jti"] for r in await conn.fetch("SELECT jti FROM identity.used_tokens WHERE jti LIKE '%-jti'")}
        cids = {r["correlation_id"] for r in await conn.fetch(
            "SELECT correlation_id FROM identity.otp_challenges WHERE correlation_id LIKE 'hk-%'")}
        assert jtis == {"live-jti"} and cids == {"hk-recent"}
        assert await conn.fetchval("SELECT count(*) FROM identity.otp_lockouts WHERE id_number = '079078009154'") == 0
