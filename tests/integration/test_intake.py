"""intake on the real RabbitMQ and PostgreSQL: dossiers, codes, status, queue tickets.

Two intake runtimes consume the same queues (as several central instances would); a small "ui"
runtime records the events intake emits and a "printer" stub records print commands and answers
ReceiptPrinted, as the real printer does.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import aio_pika
import pytest

from services.intake.app import SPEC, build_deps
from services.intake.schedule import due_date, local_day
from shared.catalogue import load_catalogue
from shared.messages import (
    Citizen,
    DocumentRef,
    DossierDelivered,
    DossierReceived,
    DossierRejected,
    DossierStatusChanged,
    GetCatalogue,
    GetDossierStatus,
    IssueQueueTicket,
    Message,
    Payload,
    PrintQueueTicket,
    PrintReceipt,
    QueueTicketIssued,
    ReceiptPrinted,
    SubmitDossier,
    envelope_for,
    utcnow,
)
from shared.service import Context, Runtime, ServiceSpec
from shared.settings import REPO_ROOT, CommonSettings

pytestmark = pytest.mark.integration

CITIZEN = Citizen(id_number="049092012345", full_name="Nguyễn Văn An", date_of_birth=date(1990, 1, 1), sex="Nam",
                  address="Thôn Lý Trường, xã Bình Phú", phone="0905123456")
FORM = {"nguoi_yeu_cau": "Nguyễn Văn An", "quan_he": "Cha", "ho_ten_tre": "Nguyễn Văn Bình",
        "ngay_sinh_tre": "05/01/2025", "gioi_tinh_tre": "Nam", "noi_sinh": "Trạm y tế xã Bình Phú",
        "ho_ten_me": "Trần Thị Cúc"}
KHAI_SINH = load_catalogue(REPO_ROOT / "data" / "procedures")["dang-ky-khai-sinh"]


class Stack:
    """Two intakes, a recording ui and a printer stub, on the session's namespace and database."""

    def __init__(self, settings: CommonSettings) -> None:
        self.settings = settings
        self.seen: list[Message[Any]] = []
        spec = dataclasses.replace(SPEC, health_port=None)  # no port clash with a running intake
        self.intakes = [Runtime(spec, settings), Runtime(spec, settings)]
        record = self._record
        self.ui = Runtime(ServiceSpec("ui", {DossierReceived: record, DossierRejected: record,
                                             QueueTicketIssued: record}), settings)
        self.printer = Runtime(ServiceSpec("printer", {PrintReceipt: self._print, PrintQueueTicket: record}), settings)

    async def _record(self, msg: Message[Any], ctx: Context[Any]) -> None:
        self.seen.append(msg)

    async def _print(self, msg: Message[PrintReceipt], ctx: Context[Any]) -> None:
        self.seen.append(msg)
        await ctx.emit(ReceiptPrinted(job_id=msg.payload.job_id, dossier_code=msg.payload.dossier.code))

    async def start(self) -> None:
        for rt in self.intakes:
            await rt.start_infra()
            await rt.start_consuming(await build_deps(rt))
        for rt in (self.ui, self.printer):
            await rt.start_infra()
            await rt.start_consuming(None)

    async def stop(self) -> None:
        for rt in (self.ui, self.printer, *self.intakes):
            await rt.stop()

    @property
    def pool(self) -> Any:
        return self.intakes[0].pool

    async def send(self, payload: Payload, correlation_id: str, message_id: uuid.UUID | None = None) -> uuid.UUID:
        env = envelope_for(payload, correlation_id=correlation_id, kiosk_id=self.settings.kiosk_id,
                           message_id=message_id)
        await self.ui.bus.publish_envelope(env, payload.KIND)
        return env.message_id

    def of(self, kind: type[Payload], correlation_id: str) -> list[Any]:
        return [m.payload for m in self.seen if isinstance(m.payload, kind) and m.correlation_id == correlation_id]

    async def wait(self, pred: Callable[[], Any], deadline_s: float = 10.0) -> Any:
        deadline = asyncio.get_running_loop().time() + deadline_s
        while not (result := pred()):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met before the deadline")
            await asyncio.sleep(0.02)
        return result

    async def wait_db(self, sql: str, *args: Any, deadline_s: float = 10.0) -> Any:
        deadline = asyncio.get_running_loop().time() + deadline_s
        while not (value := await self.pool.fetchval(sql, *args)):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"database condition not met before the deadline: {sql}")
            await asyncio.sleep(0.02)
        return value

    async def handled(self, message_id: uuid.UUID) -> None:
        """Wait until intake has handled (and committed) a message: its id is in the inbox."""
        await self.wait_db("SELECT true FROM intake.inbox WHERE message_id = $1", message_id)


@pytest.fixture(scope="module")
async def stack(settings: CommonSettings) -> AsyncIterator[Stack]:
    s = Stack(settings)
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


def _submission(form: dict[str, str] | None = None, procedure: str = "dang-ky-khai-sinh") -> SubmitDossier:
    doc = DocumentRef(document_key="giay_chung_sinh", name="Giấy chứng sinh", file_ref="scans/s1/giay_chung_sinh.pdf",
                      sha256="ab" * 32, pages=1, size_bytes=52_000)
    return SubmitDossier(submission_id=uuid.uuid4(), procedure_code=procedure, applicant=CITIZEN,
                         form=form or FORM, documents=[doc], otp_confirmation_id=uuid.uuid4())


async def _submit(stack: Stack) -> DossierReceived:
    corr = uuid.uuid4().hex
    await stack.send(_submission(), corr)
    received = await stack.wait(lambda: stack.of(DossierReceived, corr))
    return received[0]


async def test_submit_stores_dossier_and_prints_receipt(stack: Stack) -> None:
    """A valid submission is stored with a well-formed code and due date, announced, and its receipt printed."""
    corr = "submit-1"
    sub = _submission()
    await stack.send(sub, corr)
    [received] = await stack.wait(lambda: stack.of(DossierReceived, corr))
    d = received.dossier
    day = local_day(d.received_at)
    assert re.fullmatch(rf"{re.escape(stack.settings.agency_code)}-{day:%y%m%d}-\d{{4}}", d.code)
    assert d.due_date == due_date(d.received_at, KHAI_SINH.processing_days)
    assert d.procedure_name == "Đăng ký khai sinh" and d.status == "received" and d.fee_vnd == 0
    assert d.form["ngay_sinh_tre"] == "2025-01-05" and d.applicant == CITIZEN
    [job] = await stack.wait(lambda: stack.of(PrintReceipt, corr))
    assert job.job_id == f"receipt-{d.code}"
    assert job.lookup_url == f"{stack.settings.ui_public_url}/tra-cuu/{d.code}"
    row = await stack.pool.fetchrow("SELECT * FROM intake.dossiers WHERE code = $1", d.code)
    assert row["submission_id"] == sub.submission_id
    assert json.loads(row["applicant"])["id_number"] == CITIZEN.id_number
    docs = await stack.pool.fetch("SELECT document_key, sha256, pages FROM intake.dossier_documents WHERE dossier_code = $1", d.code)
    assert [tuple(r) for r in docs] == [("giay_chung_sinh", "ab" * 32, 1)]
    hist = await stack.pool.fetch("SELECT status, actor FROM intake.status_history WHERE dossier_code = $1", d.code)
    assert [tuple(r) for r in hist] == [("received", "kiosk")]
    await stack.wait_db("SELECT receipt_printed_at IS NOT NULL FROM intake.dossiers WHERE code = $1", d.code)


async def test_same_submission_twice_makes_one_dossier(stack: Stack) -> None:
    """A retried submit (new message id, same submission id) stores nothing new and emits nothing new."""
    sub = _submission()
    first = await stack.send(sub, "twice")
    second = await stack.send(sub, "twice")
    await stack.handled(first)
    await stack.handled(second)
    await stack.wait(lambda: stack.of(DossierReceived, "twice"))
    assert await stack.pool.fetchval("SELECT count(*) FROM intake.dossiers WHERE submission_id = $1",
                                     sub.submission_id) == 1
    # Both messages are handled; only one DossierReceived and one PrintReceipt were ever queued.
    queued = await stack.pool.fetchval(
        "SELECT count(*) FROM intake.outbox WHERE convert_from(body, 'UTF8') LIKE '%' || $1 || '%'",
        str(sub.submission_id))
    assert queued == 2


async def test_concurrent_submits_get_distinct_sequential_codes(stack: Stack) -> None:
    """20 submissions at once, over two intake instances, get 20 distinct codes numbered without gaps."""
    corrs = [f"burst-{i}" for i in range(20)]
    await asyncio.gather(*(stack.send(_submission(), c) for c in corrs))
    await stack.wait(lambda: all(stack.of(DossierReceived, c) for c in corrs), deadline_s=20)
    codes = [stack.of(DossierReceived, c)[0].dossier.code for c in corrs]
    assert len(set(codes)) == 20
    seqs = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert seqs == list(range(seqs[0], seqs[0] + 20))


async def test_invalid_submissions_are_rejected_with_a_reason(stack: Stack) -> None:
    """An unknown procedure or an invalid form is answered with DossierRejected, and nothing is stored."""
    unknown, invalid = _submission(procedure="khong-co"), _submission(form={**FORM, "ngay_sinh_tre": "32/01/2025"})
    await stack.send(unknown, "rej-1")
    await stack.send(invalid, "rej-2")
    [r1] = await stack.wait(lambda: stack.of(DossierRejected, "rej-1"))
    [r2] = await stack.wait(lambda: stack.of(DossierRejected, "rej-2"))
    assert r1.submission_id == unknown.submission_id and "Thủ tục này" in r1.reason
    assert r2.submission_id == invalid.submission_id and "Ngày sinh của trẻ không phải là một ngày có thật" in r2.reason
    assert await stack.pool.fetchval("SELECT count(*) FROM intake.dossiers WHERE submission_id = ANY($1::uuid[])",
                                     [unknown.submission_id, invalid.submission_id]) == 0


async def test_status_changes_update_history_and_lookup(stack: Stack) -> None:
    """Status changes are applied in portal order (stale ones ignored) and the lookup shows them without personal data."""
    code = (await _submit(stack)).dossier.code

    def change(status: str, seq: int) -> DossierStatusChanged:
        return DossierStatusChanged(dossier_code=code, status=status, at=utcnow(), actor="Cán bộ tư pháp", portal_seq=seq)

    await stack.handled(await stack.send(change("in_processing", 2), "st"))
    await stack.handled(await stack.send(change("supplement_requested", 1), "st"))  # older than what we have
    await stack.handled(await stack.send(change("result_ready", 3), "st"))
    await stack.handled(await stack.send(DossierDelivered(dossier_code=code, portal_ref="P-1", delivered_at=utcnow()), "st"))
    reply = await stack.ui.bus.request(GetDossierStatus(dossier_code=f" {code.lower()} "), correlation_id="st")
    assert reply.ok
    data = reply.data
    assert data["found"] and data["code"] == code and data["status"] == "result_ready"
    assert data["status_label"] == "Đã có kết quả" and data["procedure_name"] == "Đăng ký khai sinh"
    assert [(h["status"], h["label"]) for h in data["history"]] == [
        ("received", "Đã tiếp nhận"), ("in_processing", "Đang xử lý"), ("result_ready", "Đã có kết quả")]
    text = json.dumps(data, ensure_ascii=False)
    assert CITIZEN.full_name not in text and CITIZEN.id_number not in text and "Thôn" not in text
    assert await stack.pool.fetchval("SELECT portal_ref FROM intake.dossiers WHERE code = $1", code) == "P-1"
    missing = await stack.ui.bus.request(GetDossierStatus(dossier_code="000.00.19.H47-000000-0000"), correlation_id="st")
    assert missing.data == {"found": False, "code": "000.00.19.H47-000000-0000"}


async def test_status_change_for_unknown_dossier_is_dead_lettered(stack: Stack) -> None:
    """A status change for a dossier intake never had goes to intake's DLQ with the reason."""
    bogus = DossierStatusChanged(dossier_code="KHONG-CO-260101-0001", status="in_processing", at=utcnow())
    message_id = await stack.send(bogus, "dlq")
    conn = await aio_pika.connect(stack.settings.amqp_url)
    async with conn:
        ch = await conn.channel()
        q = await ch.get_queue(f"{stack.settings.namespace}.intake.dlq", ensure=False)

        async def find() -> aio_pika.abc.AbstractIncomingMessage | None:
            while (m := await q.get(fail=False, no_ack=True)) is not None:
                if m.message_id == str(message_id):
                    return m
            return None

        deadline = asyncio.get_running_loop().time() + 10
        while (dead := await find()) is None:
            assert asyncio.get_running_loop().time() < deadline, "not dead-lettered before the deadline"
            await asyncio.sleep(0.05)
    assert dead.headers["x-death-reason"] == "permanent: unknown dossier KHONG-CO-260101-0001"


async def test_queue_tickets_are_consecutive_and_issued_once_per_request(stack: Stack) -> None:
    """Two requests get consecutive numbers in the area; the same request again gets nothing new."""
    first, second = uuid.uuid4(), uuid.uuid4()
    await stack.send(IssueQueueTicket(request_id=first), "q1")
    [t1] = await stack.wait(lambda: stack.of(QueueTicketIssued, "q1"))
    await stack.send(IssueQueueTicket(request_id=second), "q2")
    [t2] = await stack.wait(lambda: stack.of(QueueTicketIssued, "q2"))
    assert re.fullmatch(r"A\d{3,}", t1.number) and int(t2.number[1:]) == int(t1.number[1:]) + 1
    assert t1.area_name == "Tiếp nhận hồ sơ" and t2.people_ahead == t1.people_ahead + 1
    [p2] = await stack.wait(lambda: stack.of(PrintQueueTicket, "q2"))
    assert p2.job_id == f"ticket-{local_day(t2.issued_at):%Y%m%d}-{t2.number}" and p2.number == t2.number
    await stack.handled(await stack.send(IssueQueueTicket(request_id=second), "q3"))
    assert await stack.pool.fetchval("SELECT count(*) FROM intake.queue_tickets WHERE request_id = $1", second) == 1
    queued = await stack.pool.fetchval(
        "SELECT count(*) FROM intake.outbox WHERE convert_from(body, 'UTF8') LIKE '%' || $1 || '%'", str(second))
    assert queued == 1  # the QueueTicketIssued of the first request only


async def test_catalogue_query_lists_every_procedure(stack: Stack) -> None:
    """GetCatalogue answers with the procedures from the data files, in file order."""
    reply = await stack.ui.bus.request(GetCatalogue(), correlation_id="cat")
    codes = [p["code"] for p in reply.data["procedures"]]
    assert codes[:2] == ["dang-ky-khai-sinh", "dang-ky-ket-hon"] and len(codes) >= 6
    assert reply.data["procedures"][0]["documents"][0]["key"] == "giay_chung_sinh"
