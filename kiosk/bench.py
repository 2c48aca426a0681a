"""`make bench`: N simulated kiosks submit dossiers concurrently through the HTTP path the browser takes.

Each simulated kiosk is a browser session (its own cookie jar) on a stack started for the bench
(separate namespace, database and ports). Login by QR and scanning are done one session at a time,
as at a real kiosk (one camera, one feeder) and are not timed; then all N sessions confirm and submit
at once (the confirmation-code click, which submits), and we time each dossier from that click to (a) its receipt printed and (b) its
delivery at the portal simulator.

    python -m kiosk.bench [--kiosks 20] [--rounds 1]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from kiosk.stack import Stack
from shared.catalogue import load_catalogue
from shared.settings import REPO_ROOT
from simulators import devices

# Fixed ports apart from `make run`'s and the tests' (which pick free ones).
PORTS = {"KIOSK_UI_PORT": 28080, "KIOSK_VNEID_SIM_PORT": 28070, "KIOSK_PORTAL_SIM_PORT": 28090,
         "KIOSK_SCANNER_HEALTH_PORT": 29101, "KIOSK_PRINTER_HEALTH_PORT": 29102, "KIOSK_IDENTITY_HEALTH_PORT": 29103,
         "KIOSK_INTAKE_HEALTH_PORT": 29104, "KIOSK_PORTAL_SYNC_HEALTH_PORT": 29105}
CODE_RE = re.compile(r'id="dossier-code">([^<]+)<')


class Kiosk:
    def __init__(self, ui: str, var_dir: Path, vneid: str, portal: str) -> None:
        self.ui, self.var_dir, self.vneid, self.portal = ui, var_dir, vneid, portal
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def prepare(self, citizen: dict[str, Any], proc: Any, photo: Path) -> None:
        """Login by QR, fill the form, scan every document (not timed: human-speed steps)."""
        await self.get("/nop-ho-so")
        await self.post(f"/thu-tuc/{proc.code}", {})
        await self.get("/dang-nhap")
        async with self.http.post(f"{self.vneid}/api/qr-token", json={"id_number": citizen["id_number"]}) as r:
            token = (await r.json())["token"]
        devices.present_qr(self.var_dir, token)
        await self.until(lambda body: '"logged_in": true' in body, "/phien")
        form = {f.key: _value(f) for f in proc.fields}
        await self.post("/to-khai", form)
        for d in proc.documents:
            devices.insert_documents(self.var_dir, [photo])
            await self.post(f"/giay-to/{d.key}/quet", {})
            await self.until(lambda h, k=d.key: f'data-key="{k}"' in h and "thumb" in h.split(f'data-key="{k}"')[1][:3000],
                             "/giay-to")
        self.citizen = citizen

    async def request_code(self) -> str:
        """Press "send the code" and read it off the simulated phone (not timed)."""
        await self.post("/xac-nhan/gui", {})
        async with self.http.get(f"{self.vneid}/api/sim/otp/{self.citizen['id_number']}") as r:
            return str((await r.json())["code"])

    async def submit(self, otp: str) -> tuple[float, float, str]:
        """Confirm the code, which submits the dossier; returns when it was pressed, when the success
        screen had the dossier code, and the code."""
        t0 = time.monotonic()
        await self.post("/xac-nhan", {"code": otp})
        html = await self.until(lambda h: "dossier-code" in h, "/ket-qua", timeout=120)
        shown = time.monotonic()
        m = CODE_RE.search(html)
        assert m, "no dossier code on the result page"
        return t0, shown, m.group(1).strip()

    async def get(self, path: str) -> str:
        async with self.http.get(self.ui + path) as r:
            return await r.text()

    async def post(self, path: str, data: dict[str, str]) -> str:
        async with self.http.post(self.ui + path, data=data) as r:
            return await r.text()

    async def until(self, pred: Any, path: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            async with self.http.get(self.ui + path) as r:
                html = await r.text()
                if pred(html):
                    return html
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path}: not ready in {timeout}s")
            await asyncio.sleep(0.1)


def _value(f: Any) -> str:
    if f.type == "choice":
        return f.options[0]
    return {"text": "Nguyễn Thị Bình", "textarea": "Thôn Lý Trường", "date": "01/11/2026",
            "id_number": "049192000123", "phone": "0912345678", "number": "1"}.get(f.type, "x")


async def wait_file(path: Path, timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(str(path))
        await asyncio.sleep(0.02)
    return time.monotonic()


async def wait_portal(http: aiohttp.ClientSession, portal: str, code: str, timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    while True:
        async with http.get(f"{portal}/api/v1/dossiers/{code}",
                            headers={"Authorization": f"Bearer {os.environ.get('KIOSK_PORTAL_SIM_TOKEN', 'dev-token')}"}) as r:
            if r.status == 200:
                return time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(code)
        await asyncio.sleep(0.02)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


async def run(n: int, rounds: int, env: dict[str, str], var_dir: Path) -> None:
    ui, vneid, portal = env["KIOSK_UI_PUBLIC_URL"], env["KIOSK_VNEID_URL"], env["KIOSK_PORTAL_URL"]
    procs = list(load_catalogue(REPO_ROOT / "data" / "procedures").values())
    photo = devices.render_document_photo(var_dir / "bench-page.png", "TỜ KHAI", ["Nguyễn Thị Bình", "Xã Bình Phú"])
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{vneid}/api/citizens") as r:
            # One citizen per kiosk: codes are sent per citizen, as to one phone.
            citizens = [c for c in await r.json() if c["full_name"].startswith("Công Dân Thử")]
        to_receipt: list[float] = []
        to_portal: list[float] = []
        to_screen: list[float] = []
        total_dossiers, total_time = 0, 0.0
        for rnd in range(rounds):
            kiosks = [Kiosk(ui, var_dir, vneid, portal) for _ in range(n)]
            prep_started = time.monotonic()
            for i, k in enumerate(kiosks):
                await k.prepare(citizens[i % len(citizens)], procs[i % len(procs)], photo)
            print(f"round {rnd + 1}: {n} sessions logged in and scanned in {time.monotonic() - prep_started:.1f}s",
                  flush=True)

            codes = await asyncio.gather(*(k.request_code() for k in kiosks))

            async def one(k: Kiosk, otp: str) -> tuple[float, float, float, float]:
                t0, shown, code = await k.submit(otp)
                printed, delivered = await asyncio.gather(
                    wait_file(var_dir / "printer" / f"receipt-{code}.png"), wait_portal(http, portal, code))
                return t0, printed - t0, delivered - t0, shown - t0

            started = time.monotonic()
            try:
                results = await asyncio.gather(*(one(k, otp) for k, otp in zip(kiosks, codes, strict=True)))
            finally:
                for k in kiosks:
                    await k.http.close()
            elapsed = max(t0 + max(a, b) for t0, a, b, _ in results) - started
            total_dossiers += len(results)
            total_time += elapsed
            to_receipt += [r[1] for r in results]
            to_portal += [r[2] for r in results]
            to_screen += [r[3] for r in results]
    print(f"\nkiosks={n} rounds={rounds} dossiers={total_dossiers}")
    print(f"throughput: {total_dossiers / total_time:.1f} dossiers/s (submit phase, all kiosks at once)")
    print(f"submit -> success screen:  p50 {pct(to_screen, 50):.0f} ms, p99 {pct(to_screen, 99):.0f} ms")
    print(f"submit -> receipt printed: p50 {pct(to_receipt, 50):.0f} ms, p99 {pct(to_receipt, 99):.0f} ms")
    print(f"submit -> at the portal:   p50 {pct(to_portal, 50):.0f} ms, p99 {pct(to_portal, 99):.0f} ms")
    print(f"(mean submit -> receipt {statistics.mean(to_receipt) * 1000:.0f} ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiosks", type=int, default=int(os.environ.get("BENCH_KIOSKS", 20)))
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    ns = "b" + uuid.uuid4().hex[:10]
    var_dir = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    env = {**os.environ, **{k: str(v) for k, v in PORTS.items()}, "KIOSK_NAMESPACE": ns, "KIOSK_KIOSK_ID": "bench",
           "KIOSK_VAR_DIR": str(var_dir), "KIOSK_PG_DSN": f"postgresql://postgres@127.0.0.1:5432/kiosk_{ns}",
           "KIOSK_UI_PUBLIC_URL": f"http://127.0.0.1:{PORTS['KIOSK_UI_PORT']}",
           "KIOSK_VNEID_URL": f"http://127.0.0.1:{PORTS['KIOSK_VNEID_SIM_PORT']}",
           "KIOSK_PORTAL_URL": f"http://127.0.0.1:{PORTS['KIOSK_PORTAL_SIM_PORT']}",
           "KIOSK_LOG_LEVEL": os.environ.get("KIOSK_LOG_LEVEL", "WARNING"), "KIOSK_LOG_FORMAT": "json",
           "KIOSK_VNEID_SIM_SYNTHETIC_CITIZENS": str(args.kiosks)}
    stack = Stack(env=env)
    try:
        stack.start_all(timeout=90)
        asyncio.run(run(args.kiosks, args.rounds, env, var_dir))
    finally:
        stack.stop_all()
        subprocess.run([sys.executable, "-c", _CLEANUP, env["KIOSK_AMQP_URL"] if "KIOSK_AMQP_URL" in env else
                        "amqp://guest:guest@127.0.0.1:5672/", ns], check=False)


_CLEANUP = """
import asyncio, sys, asyncpg
from tests.conftest import cleanup_namespace
async def main(amqp, ns):
    await cleanup_namespace(amqp, ns, "bench")
    c = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await c.execute(f'DROP DATABASE IF EXISTS "kiosk_{ns}" WITH (FORCE)')
    await c.close()
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

if __name__ == "__main__":
    main()
