"""The touch-screen pages: one decision per screen, Vietnamese, big targets.

Routes (Vietnamese paths, as a citizen might see them in the address bar):
    /                  home: Nộp hồ sơ / Tra cứu hồ sơ / Lấy số thứ tự
    /nop-ho-so         start a session -> /thu-tuc (choose a procedure)
    /dang-nhap         VNeID QR login with a countdown
    /to-khai           the form, prefilled from identity data
    /giay-to           documents checklist and scanning
    /xem-lai           review, every answer changeable
    /xac-nhan          confirmation code
    /ket-qua           dossier code, appointment date, receipt
    /tra-cuu[/<code>]  dossier status and history
    /so-thu-tu         queue ticket
    /su-kien           server-sent events for the open page
"""
from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from shared.bus import Bus
from shared.catalogue import Procedure, prefill, validate_form
from shared.i18n import t
from shared.logging import get_logger
from shared.messages import (
    ArmQrReader,
    DisarmQrReader,
    DiscardSession,
    GetDossierStatus,
    IssueQueueTicket,
    ScanDocument,
    SendOtp,
    SubmitDossier,
    VerifyOtp,
)
from shared.settings import CommonSettings

from .handlers import Deps
from .lookup import normalise_code
from .sessions import DocState, Session

log = get_logger()
HERE = Path(__file__).parent
COOKIE = "kiosk_session"
DEPS = web.AppKey("deps", Deps)
BUS = web.AppKey("bus", Bus)
SETTINGS = web.AppKey("settings", CommonSettings)
JINJA = web.AppKey("jinja", jinja2.Environment)


VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_time(value: Any) -> str:
    """ISO time -> "14:05 29/11/2026" in Vietnam time."""
    try:
        return datetime.fromisoformat(str(value)).astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")
    except ValueError:
        return str(value)


def vn_date(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def render(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    deps = request.app[DEPS]
    env = request.app[JINJA]
    s = deps.sessions.get(request.cookies.get(COOKIE))
    html = env.get_template(template).render(t=t, ui=deps.ui, session=s, version=s.version if s else 0, **ctx)
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status,
                        headers={"Cache-Control": "no-store"})


def session_of(request: web.Request) -> Session | None:
    s = request.app[DEPS].sessions.get(request.cookies.get(COOKIE))
    if s is not None:
        s.touch()
    return s


def need_session(request: web.Request) -> Session:
    s = session_of(request)
    if s is None:
        raise web.HTTPSeeOther("/?het-phien=1")
    return s


async def publish(request: web.Request, payload: Any, s: Session) -> None:
    await request.app[BUS].publish(payload, correlation_id=s.correlation_id)


def new_session(request: web.Request, response: web.StreamResponse) -> Session:
    deps = request.app[DEPS]
    old = deps.sessions.get(request.cookies.get(COOKIE))
    if old is not None:
        deps.sessions.drop(old)
    s = deps.sessions.create()
    response.set_cookie(COOKIE, s.token, httponly=True, samesite="Strict", path="/")
    return s


# -- home and procedure choice -----------------------------------------------------------------
async def home(request: web.Request) -> web.Response:
    return render(request, "home.html", expired="het-phien" in request.query)


async def start_submission(request: web.Request) -> web.StreamResponse:
    resp = web.HTTPSeeOther("/thu-tuc")
    new_session(request, resp)
    return resp


async def procedures(request: web.Request) -> web.Response:
    need_session(request)
    procs = await request.app[DEPS].catalogue.get()
    if not procs:
        return render(request, "message.html", status=503, title=t("ui.busy.title"), text=t("ui.busy.catalogue"))
    return render(request, "procedures.html", procedures=list(procs.values()))


async def choose_procedure(request: web.Request) -> web.StreamResponse:
    s = need_session(request)
    procs = await request.app[DEPS].catalogue.get()
    code = request.match_info["code"]
    if code not in procs:
        raise web.HTTPSeeOther("/thu-tuc")
    if s.procedure_code != code:
        s.procedure_code, s.form, s.form_ok, s.documents = code, {}, False, {}
    raise web.HTTPSeeOther("/dang-nhap" if s.citizen is None else "/to-khai")


async def procedure_of(request: web.Request, s: Session) -> Procedure:
    proc = (await request.app[DEPS].catalogue.get()).get(s.procedure_code)
    if proc is None:
        raise web.HTTPSeeOther("/thu-tuc")
    return proc


# -- login -------------------------------------------------------------------------------------
async def login(request: web.Request) -> web.Response:
    s = need_session(request)
    proc = await procedure_of(request, s)
    if s.citizen is not None:
        raise web.HTTPSeeOther("/to-khai")
    timeout = request.app[DEPS].ui.qr_timeout_s
    await publish(request, ArmQrReader(purpose="login", timeout_s=timeout), s)
    error, s.login_error = s.login_error, ""
    return render(request, "login.html", proc=proc, timeout=int(timeout), error=error)


# -- form --------------------------------------------------------------------------------------
async def form_page(request: web.Request) -> web.Response:
    s = need_session(request)
    proc = await procedure_of(request, s)
    if s.citizen is None:
        raise web.HTTPSeeOther("/dang-nhap")
    if not s.form:
        s.form = prefill(proc, s.citizen)
    return render(request, "form.html", proc=proc, values=s.form, errors={}, citizen=s.citizen)


async def form_submit(request: web.Request) -> web.Response:
    s = need_session(request)
    proc = await procedure_of(request, s)
    if s.citizen is None:
        raise web.HTTPSeeOther("/dang-nhap")
    data = await request.post()
    s.form = {f.key: str(data.get(f.key, ""))[:2000] for f in proc.fields}
    _clean, errors = validate_form(proc, s.form)
    if errors:
        s.form_ok = False
        return render(request, "form.html", status=422, proc=proc, values=s.form, errors=errors, citizen=s.citizen)
    s.form_ok = True
    raise web.HTTPSeeOther("/xem-lai" if _documents_done(proc, s) else "/giay-to")


def _documents_done(proc: Procedure, s: Session) -> bool:
    return all(s.documents.get(d.key, DocState()).state == "scanned" for d in proc.documents if d.required)


# -- documents ---------------------------------------------------------------------------------
async def documents_page(request: web.Request) -> web.Response:
    s = need_session(request)
    proc = await procedure_of(request, s)
    if not s.form_ok:
        raise web.HTTPSeeOther("/to-khai")
    docs = [(d, s.documents.get(d.key, DocState())) for d in proc.documents]
    return render(request, "documents.html", proc=proc, docs=docs, done=_documents_done(proc, s))


async def scan_document(request: web.Request) -> web.StreamResponse:
    s = need_session(request)
    proc = await procedure_of(request, s)
    spec = next((d for d in proc.documents if d.key == request.match_info["key"]), None)
    if spec is None:
        raise web.HTTPSeeOther("/giay-to")
    s.documents[spec.key] = DocState("scanning")
    await publish(request, ScanDocument(document_key=spec.key, document_name=spec.name), s)
    raise web.HTTPSeeOther("/giay-to")


async def thumbnail(request: web.Request) -> web.StreamResponse:
    """A scanned page's thumbnail, only to the session that scanned it."""
    s = need_session(request)
    doc = s.documents.get(request.match_info["key"])
    if doc is None or not doc.thumbnail_ref:
        raise web.HTTPNotFound()
    var_dir = request.app[SETTINGS].var_dir.resolve()
    path = (var_dir / doc.thumbnail_ref).resolve()
    if not path.is_relative_to(var_dir) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "no-store"})


# -- review and confirmation -------------------------------------------------------------------
async def review(request: web.Request) -> web.Response:
    s = need_session(request)
    proc = await procedure_of(request, s)
    if not s.form_ok:
        raise web.HTTPSeeOther("/to-khai")
    if not _documents_done(proc, s):
        raise web.HTTPSeeOther("/giay-to")
    error, s.submit_error = s.submit_error, ""
    docs = [(d, s.documents.get(d.key, DocState())) for d in proc.documents]
    return render(request, "review.html", proc=proc, values=s.form, docs=docs, citizen=s.citizen, error=error)


async def send_code(request: web.Request) -> web.StreamResponse:
    s = need_session(request)
    if s.citizen is None:
        raise web.HTTPSeeOther("/dang-nhap")
    s.otp_sent_to, s.otp_error, s.otp_confirmation = "", "", None
    outcome = s.expect({"otp_sent", "otp_rejected"})
    await publish(request, SendOtp(id_number=s.citizen.id_number), s)
    await s.wait_for(outcome, request.app[DEPS].ui.wait_s)
    raise web.HTTPSeeOther("/xac-nhan")


async def confirm_page(request: web.Request) -> web.Response:
    s = need_session(request)
    if s.citizen is None:
        raise web.HTTPSeeOther("/dang-nhap")
    if s.submission_id is not None and s.dossier is None:
        return render(request, "waiting.html", title=t("ui.submit.waiting"))
    error, s.otp_error = s.otp_error, ""
    return render(request, "confirm.html", sent_to=s.otp_sent_to, error=error, verified=s.otp_confirmation is not None)


async def confirm_submit(request: web.Request) -> web.StreamResponse:
    """Check the code, then submit the dossier; wait a little for the outcome, else a waiting page."""
    s = need_session(request)
    proc = await procedure_of(request, s)
    if s.citizen is None:
        raise web.HTTPSeeOther("/dang-nhap")
    if s.dossier is not None:
        raise web.HTTPSeeOther("/ket-qua")
    wait = request.app[DEPS].ui.wait_s
    # A code already verified (its answer came after an earlier press had stopped waiting) is not
    # asked again: identity consumed it, and the citizen would be told it does not exist.
    if s.otp_confirmation is None:
        code = "".join(ch for ch in str((await request.post()).get("code", "")) if ch.isdigit())[:6]
        if len(code) != 6:
            s.otp_error = t("ui.otp_error.format")
            raise web.HTTPSeeOther("/xac-nhan")
        expected = s.expect({"otp_verified", "otp_rejected"})
        await publish(request, VerifyOtp(id_number=s.citizen.id_number, code=code), s)
        outcome = await s.wait_for(expected, wait)
        if outcome is None or outcome[0] != "otp_verified":
            if outcome is None:
                s.otp_error = t("ui.busy.retry")
            raise web.HTTPSeeOther("/xac-nhan")
    expected = s.expect({"dossier_received", "dossier_rejected"})
    await submit(request, s, proc)
    if await s.wait_for(expected, wait) is None:
        return render(request, "waiting.html", title=t("ui.submit.waiting"))
    raise web.HTTPSeeOther("/ket-qua" if s.dossier else "/xem-lai")


async def submit(request: web.Request, s: Session, proc: Procedure) -> None:
    assert s.citizen is not None and s.otp_confirmation is not None
    docs = [st.ref for d in proc.documents if (st := s.documents.get(d.key)) and st.ref is not None]
    # One submission id per session: a retried or double-tapped submit lands once at intake.
    s.submission_id = s.submission_id or uuid.uuid4()
    await publish(request, SubmitDossier(
        submission_id=s.submission_id, procedure_code=proc.code, applicant=s.citizen, form=s.form,
        documents=docs, otp_confirmation_id=s.otp_confirmation), s)


async def result(request: web.Request) -> web.Response:
    s = need_session(request)
    if s.dossier is None:
        if s.submission_id is not None:
            return render(request, "waiting.html", title=t("ui.submit.waiting"))
        raise web.HTTPSeeOther("/xem-lai")
    return render(request, "result.html", dossier=s.dossier, printed=s.receipt_printed, print_error=s.print_error)


# -- lookup ------------------------------------------------------------------------------------
async def lookup_page(request: web.Request) -> web.StreamResponse:
    s = session_of(request)
    resp: web.StreamResponse
    if s is None:
        resp = web.HTTPSeeOther("/tra-cuu")
        new_session(request, resp)
        return resp
    await publish(request, ArmQrReader(purpose="lookup", timeout_s=request.app[DEPS].ui.qr_timeout_s), s)
    error = t("ui.lookup.bad_qr") if request.query.get("loi") == "qr" else ""
    return render(request, "lookup.html", error=error)


async def lookup_submit(request: web.Request) -> web.StreamResponse:
    s = need_session(request)
    code = normalise_code(str((await request.post()).get("code", ""))[:64])
    if code is None:
        return render(request, "lookup.html", status=422, error=t("ui.lookup.bad_code"))
    await publish(request, DisarmQrReader(), s)
    raise web.HTTPSeeOther(f"/tra-cuu/{code}")


async def lookup_result(request: web.Request) -> web.Response:
    s = session_of(request)
    code = normalise_code(request.match_info["code"])
    if code is None:
        return render(request, "lookup.html", status=422, error=t("ui.lookup.bad_code"))
    corr = s.correlation_id if s else uuid.uuid4().hex
    try:
        reply = await request.app[BUS].request(GetDossierStatus(dossier_code=code), correlation_id=corr,
                                               timeout=request.app[DEPS].ui.query_timeout_s)
    except TimeoutError:
        return render(request, "message.html", status=503, title=t("ui.busy.title"), text=t("ui.busy.lookup"))
    if not reply.ok or not reply.data.get("found"):
        return render(request, "lookup.html", status=404, error=t("ui.lookup.not_found", code=code))
    return render(request, "status.html", d=reply.data)


# -- queue ticket ------------------------------------------------------------------------------
async def ticket_page(request: web.Request) -> web.Response:
    s = session_of(request)
    return render(request, "ticket.html", ticket=s.ticket if s else None)


async def ticket_take(request: web.Request) -> web.StreamResponse:
    resp = web.HTTPSeeOther("/so-thu-tu")
    s = new_session(request, resp)
    expected = s.expect({"ticket"})
    await publish(request, IssueQueueTicket(request_id=uuid.uuid4()), s)
    await s.wait_for(expected, request.app[DEPS].ui.wait_s)
    return resp


# -- session end and keep-alive ----------------------------------------------------------------
async def logout(request: web.Request) -> web.StreamResponse:
    s = request.app[DEPS].sessions.get(request.cookies.get(COOKIE))
    if s is not None:
        await end_session(request.app[BUS], request.app[DEPS], s)
    resp = web.HTTPSeeOther("/")
    resp.del_cookie(COOKIE, path="/")
    return resp


async def end_session(bus: Bus, deps: Deps, s: Session) -> None:
    """Forget the citizen; scans of a dossier never submitted are deleted from the kiosk."""
    deps.sessions.drop(s)
    if s.submission_id is None:
        await bus.publish(DiscardSession(), correlation_id=s.correlation_id)


async def still_here(request: web.Request) -> web.Response:
    s = session_of(request)
    return web.json_response({"ok": s is not None})


async def session_state(request: web.Request) -> web.Response:
    """Where the session stands, without side effects (for tools and the benchmark)."""
    s = request.app[DEPS].sessions.get(request.cookies.get(COOKIE))
    if s is None:
        return web.json_response({"session": False})
    return web.json_response({"session": True, "version": s.version, "logged_in": s.citizen is not None,
                              "dossier_code": s.dossier["code"] if s.dossier else None})


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: what happened to this session, so the page can move on by itself."""
    s = request.app[DEPS].sessions.get(request.cookies.get(COOKIE))
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await resp.prepare(request)
    if s is None:
        await resp.write(b'data: {"kind": "logout", "go": "/"}\n\n')
        return resp
    q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    s.listeners.add(q)
    # What happened before the page connected: the page compares with the version it was drawn at.
    q.put_nowait({"kind": "state", "version": s.version})
    try:
        while True:
            try:
                item = await asyncio.wait_for(q.get(), 15)
                await resp.write(f"data: {json.dumps(item, ensure_ascii=False, default=str)}\n\n".encode())
            except TimeoutError:
                await resp.write(b": keep-alive\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        s.listeners.discard(q)
    return resp


@web.middleware
async def vietnamese_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Any error a citizen could meet is a Vietnamese page with a way home, never a stack trace."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or request.path in ("/healthz", "/metrics", "/phien", "/su-kien"):
            raise
        key = {404: "not_found", 405: "not_found", 413: "too_large"}.get(exc.status, "bad_request")
        return render(request, "message.html", status=exc.status, title=t(f"ui.error.{key}.title"),
                      text=t(f"ui.error.{key}.text"))
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        log.exception("ui.error", path=request.path)
        return render(request, "message.html", status=500, title=t("ui.error.internal.title"),
                      text=t("ui.error.internal.text"))


def create_app(deps: Deps, bus: Bus, settings: CommonSettings) -> web.Application:
    app = web.Application(client_max_size=256 * 1024, middlewares=[vietnamese_errors])
    app[DEPS], app[BUS], app[SETTINGS] = deps, bus, settings
    app[JINJA] = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                    autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined)
    app[JINJA].filters["ddmmyyyy"] = lambda d: d.strftime("%d/%m/%Y") if hasattr(d, "strftime") else str(d)
    app[JINJA].filters["vnd"] = lambda n: f"{int(n):,}".replace(",", ".")
    app[JINJA].filters["vntime"] = vn_time
    app[JINJA].filters["vndate"] = vn_date
    app.router.add_get("/", home)
    app.router.add_get("/nop-ho-so", start_submission)
    app.router.add_get("/thu-tuc", procedures)
    app.router.add_post("/thu-tuc/{code}", choose_procedure)
    app.router.add_get("/dang-nhap", login)
    app.router.add_get("/to-khai", form_page)
    app.router.add_post("/to-khai", form_submit)
    app.router.add_get("/giay-to", documents_page)
    app.router.add_post("/giay-to/{key}/quet", scan_document)
    app.router.add_get("/giay-to/{key}/anh", thumbnail)
    app.router.add_get("/xem-lai", review)
    app.router.add_post("/xac-nhan/gui", send_code)
    app.router.add_get("/xac-nhan", confirm_page)
    app.router.add_post("/xac-nhan", confirm_submit)
    app.router.add_get("/ket-qua", result)
    app.router.add_get("/tra-cuu", lookup_page)
    app.router.add_post("/tra-cuu", lookup_submit)
    app.router.add_get("/tra-cuu/{code}", lookup_result)
    app.router.add_get("/so-thu-tu", ticket_page)
    app.router.add_post("/so-thu-tu", ticket_take)
    app.router.add_post("/dang-xuat", logout)
    app.router.add_post("/con-o-day", still_here)
    app.router.add_get("/su-kien", events)
    app.router.add_get("/phien", session_state)
    app.router.add_static("/static", HERE / "static")
    return app
