"""Run the whole stack as separate processes: simulators first, then the six services.

Used by `kiosk run` (which restarts a process that dies) and by the end-to-end tests (which kill
and restart processes on purpose).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from shared.service import HEALTH_PORTS
from shared.settings import CommonSettings


@dataclass(frozen=True)
class ProcSpec:
    name: str
    module: str
    health_url: str


def specs(env: dict[str, str]) -> list[ProcSpec]:
    ui_port = env.get("KIOSK_UI_PORT", "8080")
    vneid_port = env.get("KIOSK_VNEID_SIM_PORT", "8070")
    portal_port = env.get("KIOSK_PORTAL_SIM_PORT", "8090")
    out = [
        ProcSpec("vneid_sim", "simulators.vneid", f"http://127.0.0.1:{vneid_port}/.well-known/jwks.json"),
        ProcSpec("portal_sim", "simulators.portal", f"http://127.0.0.1:{portal_port}/healthz"),
    ]
    for name, port in HEALTH_PORTS.items():
        port = int(env.get(f"KIOSK_{name.upper()}_HEALTH_PORT", port))
        out.append(ProcSpec(name, f"services.{name}", f"http://127.0.0.1:{port}/healthz"))
    out.append(ProcSpec("ui", "services.ui", f"http://127.0.0.1:{ui_port}/healthz"))
    return out


@dataclass
class Stack:
    """The stack's processes; each writes its log to var/log/<name>.log."""

    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.settings = CommonSettings(**{})  # reads KIOSK_* from os.environ
        var_dir = Path(self.env.get("KIOSK_VAR_DIR", str(self.settings.var_dir)))
        self.log_dir = var_dir / "log"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.by_name = {p.name: p for p in specs(self.env)}

    def start(self, name: str) -> subprocess.Popen[bytes]:
        spec = self.by_name[name]
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        env = {**self.env, "PYTHONUNBUFFERED": "1"}
        p = subprocess.Popen([sys.executable, "-m", spec.module], env=env, stdout=log, stderr=subprocess.STDOUT,
                             cwd=Path(__file__).resolve().parent.parent, start_new_session=True)
        self.procs[name] = p
        return p

    def start_all(self, timeout: float = 60) -> None:
        for name in self.by_name:
            self.start(name)
            if name.endswith("_sim"):
                self.wait_healthy(name, timeout)
        for name in self.by_name:
            self.wait_healthy(name, timeout)

    def healthy(self, name: str) -> bool:
        try:
            with urllib.request.urlopen(self.by_name[name].health_url, timeout=2) as r:  # noqa: S310 - loopback
                return r.status == 200
        except OSError:
            return False

    def wait_healthy(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.healthy(name):
            p = self.procs.get(name)
            if p is not None and p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode}; see {self.log_dir / (name + '.log')}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not healthy after {timeout}s; see {self.log_dir / (name + '.log')}")
            time.sleep(0.2)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        p = self.procs[name]
        p.send_signal(sig)
        p.wait(timeout=30)

    def stop_all(self, timeout: float = 15) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
