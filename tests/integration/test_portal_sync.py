"""portal_sync against the real broker and database, delivering to the portal simulator over real HTTP."""
from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import aio_pika
import aiohttp
import img2pdf
import pytest
from aiohttp import web
from PIL import Image, ImageDraw

from services.portal_sync.app import SPEC, build_deps
from services.portal_sync.config import PortalSyncSettings
from shared.messages import (
    DocumentRef,
    DossierData,
    DossierDelivered,
    DossierReceived,
    DossierStatusChanged,
    Message,
)
from shared.service import Context, Runtime, ServiceSpec
from shared.settings import CommonSettings
from simulators.portal.app import create_app
from simulators.portal.config import PortalSimSettings
from tests.unit.portal_sync.samples import dossier_json

pytestmark = pytest.mark.integration
TOKEN = "test-token"
MAX_DOC = 1_000_000


async def wait_for(pred: Callable[[], Awaitable[Any]], within_s: float = 10.0) -> Any:
    """Poll an async condition until it is truthy; fail at the deadline."""
    deadline = asyncio.get_running_loop().time() + within_s
    while not (result := await pred()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.05)
    return result


@dataclass
class Portal:
    url: str
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        async with self.http.request(method, self.url + path, allow_redirects=False, **kw) as resp:
            body = await resp.json() if resp.content_type == "application/json" else await resp.text()
            return resp.status, body

    async def mode(self, mode: str) -> None:
        assert (await self.call("POST", "/api/sim/mode", json={"mode": mode}))[0] == 200


@dataclass
class Heard:
    delivered: list[Message[DossierDelivered]] = field(default_factory=list)
    changed: list[Message[DossierStatusChanged]] = field(default_factory=list)

    def delivered_for(self, code: str) -> list[Message[DossierDelivered]]:
        return [m for m in self.delivered if m.payload.dossier_code == code]

    def changed_for(self, code: str) -> list[Message[DossierStatusChanged]]:
        return [m for m in self.changed if m.payload.dossier_code == code]


@pytest.fixture(scope="module")
async def portal(settings: CommonSettings) -> AsyncIterator[Portal]:
    """The portal simulator served in-process on a free port."""
    runner = web.AppRunner(create_app(settings, PortalSimSettings(token=TOKEN, max_document_bytes=MAX_DOC)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        yield Portal(f"http://127.0.0.1:{port}", http)
    await runner.cleanup()


@pytest.fixture(scope="module")
async def heard(settings: CommonSettings) -> AsyncIterator[Heard]:
    """What a scanner, intake and ui would hear (their queues drained so nothing lingers for other tests)."""
    got = Heard()

    async def on_delivered(msg: Message[DossierDelivered], ctx: Context[Any]) -> None:
        got.delivered.append(msg)

    async def on_changed(msg: Message[DossierStatusChanged], ctx: Context[Any]) -> None:
        got.changed.append(msg)

    async def ignore(msg: Message[DossierReceived], ctx: Context[Any]) -> None:
        return None

    runtimes = [Runtime(ServiceSpec("scanner", {DossierDelivered: on_delivered}), settings),
                Runtime(ServiceSpec("intake", {DossierStatusChanged: on_changed}), settings),
                Runtime(ServiceSpec("ui", {DossierReceived: ignore}), settings)]
    for rt in runtimes:
        await rt.start_infra()
        await rt.start_consuming(None)
    yield got
    for rt in runtimes:
        await rt.stop()


@pytest.fixture(scope="module")
async def sync(settings: CommonSettings, portal: Portal, heard: Heard) -> AsyncIterator[Runtime[Any]]:
    """portal_sync itself, pointed at the simulator, with short retry and poll intervals."""
    rt: Runtime[Any] = Runtime(replace(SPEC, health_port=None), settings)
    await rt.start_infra()
    config = PortalSyncSettings(url=portal.url, token=TOKEN, poll_s=0.2, delivery_poll_s=0.5,
                                retry_base_s=0.2, retry_max_s=1.0)
    await rt.start_consuming(await build_deps(rt, config))
    yield rt
    await rt.stop()


def make_pdf(text: str = "Giấy chứng sinh") -> bytes:
    """A real one-page PDF (an image of a page, as the scanner makes them)."""
    image = Image.new("RGB", (600, 800), "white")
    ImageDraw.Draw(image).text((40, 40), text, fill="black")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return img2pdf.convert(buf.getvalue())


def new_dossier(settings: CommonSettings, pdf: bytes | None = None) -> tuple[DossierData, str]:
    """A dossier with a unique code and one document (its file written when `pdf` is given)."""
    code = f"000.00.19.H47-260105-{uuid.uuid4().int % 10**8:08d}"
    file_ref = f"scans/{uuid.uuid4().hex}/giay_chung_sinh.pdf"
    content = pdf if pdf is not None else b"%PDF-1.4 placeholder"
    if pdf is not None:
        (settings.var_dir / file_ref).parent.mkdir(parents=True, exist_ok=True)
        (settings.var_dir / file_ref).write_bytes(pdf)
    doc = DocumentRef(document_key="giay_chung_sinh", name="Giấy chứng sinh", file_ref=file_ref,
                      sha256=hashlib.sha256(content).hexdigest(), pages=1, size_bytes=len(content))
    return DossierData.model_validate(dossier_json(code, documents=[doc.model_dump()], kiosk_id=settings.kiosk_id)), file_ref


async def delivery(rt: Runtime[Any], code: str) -> Any:
    async with rt.pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM portal_sync.deliveries WHERE dossier_code = $1", code)


async def test_dossier_reaches_the_portal_once_with_its_document_even_if_the_event_comes_twice(
        settings: CommonSettings, portal: Portal, heard: Heard, sync: Runtime[Any]) -> None:
    """dossier.received twice (two message ids) -> one dossier and one document at the portal, one dossier.delivered."""
    pdf = make_pdf()
    dossier, file_ref = new_dossier(settings, pdf)
    first = await sync.bus.publish(DossierReceived(dossier=dossier), correlation_id="sess-1", kiosk_id=settings.kiosk_id)
    second = await sync.bus.publish(DossierReceived(dossier=dossier), correlation_id="sess-1", kiosk_id=settings.kiosk_id)

    await wait_for(lambda: _async(heard.delivered_for(dossier.code)))
    async with sync.pool.acquire() as conn:
        await wait_for(lambda: _count(conn, "SELECT count(*) FROM portal_sync.inbox WHERE message_id = ANY($1::uuid[])",
                                      [first.message_id, second.message_id], expect=2))
        await wait_for(lambda: _count(conn, "SELECT count(*) FROM portal_sync.outbox WHERE published_at IS NULL", expect=0))
    status, view = await portal.call("GET", f"/api/v1/dossiers/{dossier.code}")
    assert status == 200 and view["status"] == "received"
    assert view["dossier"]["applicant"]["full_name"] == "Nguyễn Văn An"
    assert [(d["document_key"], d["sha256"]) for d in view["documents"]] == [("giay_chung_sinh", hashlib.sha256(pdf).hexdigest())]
    [event] = heard.delivered_for(dossier.code)
    assert event.payload.portal_ref == view["ref"] and event.payload.document_refs == [file_ref]
    assert (event.correlation_id, event.kiosk_id) == ("sess-1", settings.kiosk_id)
    row = await delivery(sync, dossier.code)
    assert (row["state"], row["attempts"], row["portal_ref"], row["last_error"]) == ("delivered", 1, view["ref"], None)
    async with portal.http.get(f"{portal.url}/dossiers/{dossier.code}/documents/giay_chung_sinh.pdf") as resp:
        assert resp.status == 200 and await resp.read() == pdf


async def test_dossier_waits_while_the_portal_is_down_and_is_delivered_when_it_returns(
        settings: CommonSettings, portal: Portal, heard: Heard, sync: Runtime[Any]) -> None:
    """With the portal answering 503 the dossier stays pending with the error; it is delivered once the portal is back."""
    dossier, _ = new_dossier(settings, make_pdf())
    await portal.mode("down")
    try:
        await sync.bus.publish(DossierReceived(dossier=dossier), correlation_id="sess-2", kiosk_id=settings.kiosk_id)
        row = await wait_for(lambda: _row_if(sync, dossier.code, lambda r: r["attempts"] >= 2))
        assert row["state"] == "pending" and "503" in row["last_error"]
        health = await sync.health()
        assert health["checks"]["portal"] is False and health["ok"] is False
    finally:
        await portal.mode("ok")
    await wait_for(lambda: _async(heard.delivered_for(dossier.code)))
    assert (await portal.call("GET", f"/api/v1/dossiers/{dossier.code}"))[0] == 200
    assert (await sync.health())["checks"]["portal"] is True


async def test_missing_scan_file_is_a_retried_failure_not_a_crash(
        settings: CommonSettings, portal: Portal, heard: Heard, sync: Runtime[Any]) -> None:
    """A document whose file is not there yet leaves the dossier pending with a clear error; it goes once the file appears."""
    pdf = make_pdf("Tờ khai")
    dossier, file_ref = new_dossier(settings)  # the file is not written
    dossier = dossier.model_copy(update={"documents": [dossier.documents[0].model_copy(update={
        "sha256": hashlib.sha256(pdf).hexdigest(), "size_bytes": len(pdf)})]})
    await sync.bus.publish(DossierReceived(dossier=dossier), correlation_id="sess-3", kiosk_id=settings.kiosk_id)
    row = await wait_for(lambda: _row_if(sync, dossier.code, lambda r: r["attempts"] >= 1))
    assert row["state"] == "pending" and f"document file missing: {file_ref}" in row["last_error"]
    (settings.var_dir / file_ref).parent.mkdir(parents=True, exist_ok=True)
    (settings.var_dir / file_ref).write_bytes(pdf)
    await wait_for(lambda: _async(heard.delivered_for(dossier.code)))
    _, view = await portal.call("GET", f"/api/v1/dossiers/{dossier.code}")
    assert len(view["documents"]) == 1


async def test_staff_status_change_is_emitted_with_its_portal_seq(
        settings: CommonSettings, portal: Portal, heard: Heard, sync: Runtime[Any]) -> None:
    """A staff transition (API or staff page) becomes dossier.status_changed with the portal's seq; illegal ones get 409."""
    dossier, _ = new_dossier(settings, make_pdf())
    await sync.bus.publish(DossierReceived(dossier=dossier), correlation_id="sess-4", kiosk_id=settings.kiosk_id)
    await wait_for(lambda: _async(heard.delivered_for(dossier.code)))
    path = f"/api/v1/dossiers/{dossier.code}/status"

    status, body = await portal.call("POST", path, json={"status": "in_processing", "note": "Đang thẩm định",
                                                         "actor": "Trần Thị Hoa"})
    assert status == 200
    [changed] = await wait_for(lambda: _async(heard.changed_for(dossier.code)))
    assert (changed.payload.status, changed.payload.portal_seq, changed.payload.actor, changed.payload.note) == (
        "in_processing", body["seq"], "Trần Thị Hoa", "Đang thẩm định")
    assert (changed.correlation_id, changed.kiosk_id) == ("sess-4", settings.kiosk_id)

    assert (await portal.call("POST", path, json={"status": "returned"}))[0] == 409
    assert (await portal.call("POST", path, json={"status": "no_such_status"}))[0] == 400
    assert (await portal.call("POST", "/api/v1/dossiers/KHONG-CO/status", json={"status": "in_processing"}))[0] == 404

    status, _ = await portal.call("POST", f"/dossiers/{dossier.code}/status",
                                  data={"status": "result_ready", "actor": "Cán bộ một cửa", "note": ""})
    assert status == 303
    await wait_for(lambda: _async(len(heard.changed_for(dossier.code)) == 2))
    later = heard.changed_for(dossier.code)[1].payload
    assert later.status == "result_ready" and later.portal_seq > body["seq"]
    _, page = await portal.call("GET", f"/dossiers/{dossier.code}")
    assert "Đã có kết quả" in page and "Đang xử lý" in page and "Chuyển sang: Đã trả kết quả" in page
    assert "07/01/2026" in page and "Trần Thị Hoa" in page
    status, page = await portal.call("POST", f"/dossiers/{dossier.code}/status", data={"status": "withdrawn"})
    assert status == 409 and "Không thể chuyển hồ sơ" in page
    status, page = await portal.call("GET", "/dossiers/KHONG-CO")
    assert status == 404 and "Không tìm thấy hồ sơ KHONG-CO" in page
    _, index = await portal.call("GET", "/")
    assert dossier.code in index and "Đăng ký khai sinh" in index


async def test_a_second_submission_under_a_delivered_code_is_dead_lettered(
        settings: CommonSettings, portal: Portal, heard: Heard, sync: Runtime[Any]) -> None:
    """dossier.received reusing a code with another submission id goes to the DLQ with the reason; the first stays."""
    dossier, _ = new_dossier(settings, make_pdf())
    await sync.bus.publish(DossierReceived(dossier=dossier), correlation_id="sess-5", kiosk_id=settings.kiosk_id)
    await wait_for(lambda: _async(heard.delivered_for(dossier.code)))
    impostor = dossier.model_copy(update={"submission_id": uuid.uuid4()})
    env = await sync.bus.publish(DossierReceived(dossier=impostor), correlation_id="sess-5", kiosk_id=settings.kiosk_id)
    dead = await wait_for(lambda: _dead_letter(settings, str(env.message_id)))
    assert "conflicts with a queued delivery" in dead.headers["x-death-reason"]
    row = await delivery(sync, dossier.code)
    assert (row["idempotency_key"], row["state"]) == (str(dossier.submission_id), "delivered")
    assert len(heard.delivered_for(dossier.code)) == 1


async def test_portal_refuses_reused_keys_bad_bodies_and_bad_documents(portal: Portal) -> None:
    """The simulator's API: idempotent by key, 409 for a key reused with another body, 400/401/404/413 for bad input."""
    body = dossier_json(f"000.00.19.H47-260105-{uuid.uuid4().int % 10**8:08d}")
    key = str(uuid.uuid4())
    assert (await portal.call("POST", "/api/v1/dossiers", json=body))[0] == 400
    assert (await portal.call("POST", "/api/v1/dossiers", data=b"{nope", headers={"Idempotency-Key": key}))[0] == 400
    assert (await portal.call("POST", "/api/v1/dossiers", json={"code": 1}, headers={"Idempotency-Key": key}))[0] == 400
    status, first = await portal.call("POST", "/api/v1/dossiers", json=body, headers={"Idempotency-Key": key})
    assert status == 201 and first["status"] == "received"
    status, again = await portal.call("POST", "/api/v1/dossiers", json=body, headers={"Idempotency-Key": key})
    assert status == 200 and again == {"ref": first["ref"], "duplicate": True}
    other = {**body, "fee_vnd": 50_000}
    assert (await portal.call("POST", "/api/v1/dossiers", json=other, headers={"Idempotency-Key": key}))[0] == 409
    assert (await portal.call("POST", "/api/v1/dossiers", json=body, headers={"Idempotency-Key": "k2"}))[0] == 409
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(f"{portal.url}/api/v1/changes") as resp:
            assert resp.status == 401
        async with anonymous.get(f"{portal.url}/healthz") as resp:
            assert resp.status == 200

    pdf = b"%PDF-1.4\n" + b"x" * 100
    doc = {"document_key": "to_khai", "name": "Tờ khai", "file_ref": "scans/x/to_khai.pdf",
           "sha256": hashlib.sha256(pdf).hexdigest(), "pages": 1, "size_bytes": len(pdf)}
    code = f"000.00.19.H47-260105-{uuid.uuid4().int % 10**8:08d}"
    assert (await portal.call("POST", "/api/v1/dossiers", json=dossier_json(code, documents=[doc]),
                              headers={"Idempotency-Key": str(uuid.uuid4())}))[0] == 201
    url = f"/api/v1/dossiers/{code}/documents/to_khai"
    sha = {"X-Content-SHA256": doc["sha256"]}
    assert (await portal.call("PUT", url, data=pdf + b"!", headers=sha))[0] == 400
    assert (await portal.call("PUT", url, data=pdf))[0] == 400
    assert (await portal.call("PUT", f"/api/v1/dossiers/{code}/documents/khac", data=pdf, headers=sha))[0] == 404
    big = b"%PDF-" + b"0" * MAX_DOC
    assert (await portal.call("PUT", url, data=big, headers={"X-Content-SHA256": hashlib.sha256(big).hexdigest()}))[0] == 413
    assert (await portal.call("PUT", url, data=pdf, headers=sha)) == (201, {"stored": True, "duplicate": False})
    assert (await portal.call("PUT", url, data=pdf, headers=sha)) == (200, {"stored": True, "duplicate": True})


async def _async(value: Any) -> Any:
    return value


async def _count(conn: Any, sql: str, *args: Any, expect: int) -> bool:
    return await conn.fetchval(sql, *args) == expect


async def _dead_letter(settings: CommonSettings, message_id: str) -> Any:
    """The message with this id from portal_sync's DLQ, if it is there (others go back when we disconnect)."""
    found = None
    conn = await aio_pika.connect(settings.amqp_url)
    async with conn:
        queue = await (await conn.channel()).get_queue(f"{settings.namespace}.portal_sync.dlq", ensure=False)
        while (m := await queue.get(fail=False)) is not None:
            if m.message_id == message_id:
                await m.ack()
                found = m
    return found


async def _row_if(rt: Runtime[Any], code: str, pred: Callable[[Any], bool]) -> Any:
    row = await delivery(rt, code)
    return row if row is not None and pred(row) else None
