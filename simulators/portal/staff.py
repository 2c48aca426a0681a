"""The staff page (trang cán bộ): dossiers received, their details, buttons for the next statuses.

Plain HTML forms and redirects, no JavaScript: the simulator must be usable from any browser and
by tests with nothing but an HTTP client. Every label comes from the catalogues (portal, status).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from shared.i18n import t
from simulators.portal import repository as repo
from simulators.portal import store
from simulators.portal.api import POOL
from simulators.portal.rules import next_statuses
from simulators.portal.store import PortalProblem

# Vietnam keeps UTC+7 all year (no daylight saving), so a fixed offset is exact.
VN_TZ = timezone(timedelta(hours=7), "ICT")
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
)
ERROR_KEYS = {400: "portal.errors.invalid", 404: "portal.errors.not_found", 409: "portal.errors.not_allowed"}


def local_time(value: datetime | str) -> str:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def local_date(value: str) -> str:
    return date.fromisoformat(value).strftime("%d/%m/%Y")


def actor_label(actor: str) -> str:
    """The portal's own entries are recorded with the actor code "portal"; staff entries with a name."""
    return t("portal.detail.actor_portal") if actor == store.PORTAL_ACTOR else actor


TEMPLATES.globals.update(t=t, local_time=local_time, local_date=local_date, actor_label=actor_label,
                         status_label=lambda s: t(f"status.{s}"))


def render(name: str, status: int = 200, **context: Any) -> web.Response:
    html = TEMPLATES.get_template(name).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


async def index(request: web.Request) -> web.Response:
    async with request.app[POOL].acquire() as conn:
        rows = await repo.list_dossiers(conn)
    dossiers = [{"code": r["code"], "dossier": json.loads(r["dossier"]), "status": r["status"],
                 "received_at": r["received_at"], "documents": r["documents"]} for r in rows]
    return render("index.html", dossiers=dossiers)


async def _dossier_page(request: web.Request, code: str, *, error: str = "", status: int = 200) -> web.Response:
    try:
        view = await store.dossier_view(request.app[POOL], code)
    except PortalProblem as exc:
        return render("not_found.html", status=exc.status, code=code)
    return render("dossier.html", status=status, d=view, next_statuses=next_statuses(view["status"]), error=error)


async def dossier(request: web.Request) -> web.Response:
    return await _dossier_page(request, request.match_info["code"])


async def change_status(request: web.Request) -> web.StreamResponse:
    """Apply the button pressed, then redirect (POST/redirect/GET) so a reload does not repeat it."""
    code = request.match_info["code"]
    form = await request.post()
    try:
        await store.change_status(request.app[POOL], code, str(form.get("status", "")),
                                  str(form.get("actor", "")), str(form.get("note", "")))
    except PortalProblem as exc:
        return await _dossier_page(request, code, error=t(ERROR_KEYS.get(exc.status, "portal.errors.invalid")),
                                   status=exc.status)
    raise web.HTTPSeeOther(request.app.router["staff-dossier"].url_for(code=code))


async def document(request: web.Request) -> web.Response:
    code, key = request.match_info["code"], request.match_info["key"]
    async with request.app[POOL].acquire() as conn:
        content = await repo.document_content(conn, code, key)
    if content is None:
        return render("not_found.html", status=404, code=code)
    return web.Response(body=content, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{key}.pdf"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index, name="staff-index")
    app.router.add_get("/dossiers/{code}", dossier, name="staff-dossier")
    app.router.add_post("/dossiers/{code}/status", change_status)
    app.router.add_get("/dossiers/{code}/documents/{key}.pdf", document, name="staff-document")
