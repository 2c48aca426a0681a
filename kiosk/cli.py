"""`kiosk`: run the stack, migrate, show status, and drive the simulators from a terminal or a test."""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from shared.settings import REPO_ROOT, CommonSettings

MIGRATIONS = {
    "identity": REPO_ROOT / "services/identity/migrations",
    "intake": REPO_ROOT / "services/intake/migrations",
    "portal_sync": REPO_ROOT / "services/portal_sync/migrations",
}


def _portal_token() -> str:
    import os

    # The simulator's development token (not a secret); a real portal's credentials come from config.
    return os.environ.get("KIOSK_PORTAL_SIM_TOKEN", "dev-token")


def _http(method: str, url: str, body: dict[str, Any] | None = None, timeout: float = 5, token: str = "") -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - configured simulator URLs
        return json.loads(r.read() or b"null")


def fail(msg: str) -> None:
    print(f"kiosk: {msg}", file=sys.stderr)
    raise SystemExit(1)


# -- migrate -----------------------------------------------------------------------------------
async def _migrate(s: CommonSettings) -> list[str]:
    from shared import db

    await db.ensure_database(s.pg_dsn)
    pool = await db.create_pool(s.pg_dsn, max_size=1)
    applied: list[str] = []
    try:
        async with pool.acquire() as conn:
            for schema, directory in MIGRATIONS.items():
                applied += await db.migrate(conn, schema, directory)
            applied += await db.migrate(conn, "portal_sim", REPO_ROOT / "simulators/portal/migrations", with_outbox=False)
    finally:
        await pool.close()
    return applied


def cmd_migrate(args: argparse.Namespace) -> None:
    applied = asyncio.run(_migrate(CommonSettings()))
    print("\n".join(applied) if applied else "database is up to date")


# -- run ---------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> None:
    from kiosk.stack import Stack

    s = CommonSettings()
    asyncio.run(_migrate(s))
    stack = Stack()
    stop = False

    def on_signal(*_: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        stack.start_all()
    except (RuntimeError, TimeoutError) as exc:
        stack.stop_all()
        fail(str(exc))
    print(f"Kiosk:  {s.ui_public_url}\nPortal: {s.portal_url}  (staff page)\nVNeID:  {s.vneid_url}\n"
          f"Logs:   {stack.log_dir}/\nCtrl-C stops the stack.", flush=True)
    restarts: dict[str, float] = {}
    while not stop:
        time.sleep(0.5)
        for name, p in list(stack.procs.items()):
            if p.poll() is not None and not stop:
                # A supervisor restarts what died; back off if it keeps dying.
                wait = restarts.get(name, 0.5)
                print(f"{name} exited ({p.returncode}); restarting in {wait:.1f}s", flush=True)
                time.sleep(wait)
                restarts[name] = min(wait * 2, 30)
                stack.start(name)
    stack.stop_all()


# -- status ------------------------------------------------------------------------------------
async def _depths(s: CommonSettings) -> dict[str, int]:
    from shared.bus import Bus

    bus = Bus(s.amqp_url, s.namespace, s.kiosk_id)
    await bus.connect()
    try:
        return await bus.queue_depths()
    finally:
        await bus.close()


def cmd_status(args: argparse.Namespace) -> None:
    import os

    from kiosk.stack import specs

    s = CommonSettings()
    ok = True
    print(f"{'process':<12} {'health':<8} details")
    for spec in specs(dict(os.environ)):
        try:
            with urllib.request.urlopen(spec.health_url, timeout=2) as r:  # noqa: S310
                body = r.read().decode()
                state = "up"
                detail = json.loads(body).get("checks", "") if body.startswith("{") else ""
        except urllib.error.HTTPError as exc:
            state, detail, ok = "degraded", exc.read().decode()[:200], False
        except OSError as exc:
            state, detail, ok = "down", str(getattr(exc, "reason", exc)), False
        print(f"{spec.name:<12} {state:<8} {detail}")
    try:
        depths = asyncio.run(_depths(s))
        print(f"\n{'queue':<48} messages")
        for q, n in depths.items():
            print(f"{q:<48} {n}")
    except Exception as exc:  # noqa: BLE001
        ok = False
        print(f"\nRabbitMQ at {s.amqp_url}: not reachable ({exc!r})")
    raise SystemExit(0 if ok else 1)


# -- sim ---------------------------------------------------------------------------------------
def cmd_sim(args: argparse.Namespace) -> None:
    s = CommonSettings()
    try:
        _sim(args, s)
    except urllib.error.HTTPError as exc:
        fail(f"{exc.url}: HTTP {exc.code} {exc.read().decode()[:300]}")
    except urllib.error.URLError as exc:
        fail(f"simulator not reachable ({exc.reason}); is the stack running (make run)?")


def _sim(args: argparse.Namespace, s: CommonSettings) -> None:
    from simulators import devices

    if args.sim == "citizens":
        for c in _http("GET", f"{s.vneid_url}/api/citizens"):
            print(f"{c['id_number']}  {c['full_name']:<28} {c['date_of_birth']}  {c['sex']:<3}  {c['address']}")
    elif args.sim == "present-qr":
        if args.text is not None:
            text = args.text
        elif args.id_number:
            text = _http("POST", f"{s.vneid_url}/api/qr-token", {"id_number": args.id_number})["token"]
        else:
            fail("present-qr needs an ID number or --text")
        print(devices.present_qr(s.var_dir, text))
    elif args.sim == "insert-document":
        try:
            print(devices.insert_documents(s.var_dir, [Path(f) for f in args.files]))
        except ValueError as exc:
            fail(str(exc))
    elif args.sim == "otp":
        print(_http("GET", f"{s.vneid_url}/api/sim/otp/{args.id_number}")["code"])
    elif args.sim == "portal":
        r = _http("POST", f"{s.portal_url}/api/v1/dossiers/{args.code}/status",
                  {"status": args.status, "note": args.note, "actor": "kiosk sim"}, token=_portal_token())
        print(json.dumps(r, ensure_ascii=False))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="kiosk", description="Public Service Kiosk")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("run", help="the whole stack with simulators").set_defaults(fn=cmd_run)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(fn=cmd_migrate)
    sub.add_parser("status", help="health of each service and queue depths").set_defaults(fn=cmd_status)
    sim = sub.add_parser("sim", help="drive the simulators").add_subparsers(dest="sim", required=True)
    sim.add_parser("citizens", help="list VNeID demo citizens")
    qr = sim.add_parser("present-qr", help="show a VNeID QR (or any text) to the camera")
    qr.add_argument("id_number", nargs="?")
    qr.add_argument("--text", help="any payload, for bad-input tries")
    doc = sim.add_parser("insert-document", help="put pages into the document feeder")
    doc.add_argument("files", nargs="+")
    otp = sim.add_parser("otp", help="the last confirmation code sent to a citizen")
    otp.add_argument("id_number")
    portal = sim.add_parser("portal", help="act as portal staff").add_subparsers(dest="portal_cmd", required=True)
    st = portal.add_parser("set-status", help="move a dossier to a status")
    st.add_argument("code")
    st.add_argument("status")
    st.add_argument("--note", default="")
    for sp in (sim,):
        sp.required = True
    p.set_defaults()
    args = p.parse_args(argv)
    if args.cmd == "sim":
        args.fn = cmd_sim
    args.fn(args)


if __name__ == "__main__":
    main()
