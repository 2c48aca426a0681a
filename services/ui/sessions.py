"""Citizen sessions at the touch screen (phien lam viec), held in memory only.

Nothing personal is written to disk on the kiosk: a session lives in this process and is dropped at
logout, at idle timeout, or when the process ends.
"""
from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from shared.messages import Citizen, DocumentRef


@dataclass
class DocState:
    """One required document's progress at the scanner."""

    state: str = "missing"  # missing | scanning | scanned | failed
    ref: DocumentRef | None = None
    thumbnail_ref: str = ""
    error: str = ""
    blank_pages_dropped: int = 0


@dataclass
class Session:
    token: str
    correlation_id: str
    created: float = field(default_factory=time.monotonic)
    last_touch: float = field(default_factory=time.monotonic)
    procedure_code: str = ""
    citizen: Citizen | None = None
    login_error: str = ""
    form: dict[str, str] = field(default_factory=dict)
    form_ok: bool = False
    documents: dict[str, DocState] = field(default_factory=dict)
    otp_sent_to: str = ""
    otp_error: str = ""
    otp_confirmation: uuid.UUID | None = None
    submission_id: uuid.UUID | None = None
    dossier: dict[str, Any] | None = None
    submit_error: str = ""
    receipt_printed: bool = False
    print_error: str = ""
    ticket: dict[str, Any] | None = None
    lookup_code: str = ""
    # Bumped on every change an open page may need to show; a page reloads when it sees a newer one.
    version: int = 0
    listeners: set[asyncio.Queue[dict[str, Any]]] = field(default_factory=set)
    waiters: list[tuple[set[str], asyncio.Future[tuple[str, Any]]]] = field(default_factory=list)

    def touch(self) -> None:
        self.last_touch = time.monotonic()

    def notify(self, kind: str, data: Any = None, **sse: Any) -> None:
        """Wake POSTs waiting for this kind of outcome and push an SSE event to open pages."""
        self.version += 1
        for kinds, fut in list(self.waiters):
            if kind in kinds and not fut.done():
                fut.set_result((kind, data))
        for q in list(self.listeners):
            q.put_nowait({"kind": kind, "version": self.version, **sse})

    def expect(self, kinds: set[str]) -> asyncio.Future[tuple[str, Any]]:
        """Start listening for an outcome before sending the command that causes it (it may come fast)."""
        fut: asyncio.Future[tuple[str, Any]] = asyncio.get_running_loop().create_future()
        entry = (kinds, fut)
        self.waiters.append(entry)
        fut.add_done_callback(lambda _: self.waiters.remove(entry) if entry in self.waiters else None)
        return fut

    async def wait_for(self, kinds: set[str] | asyncio.Future[tuple[str, Any]], timeout: float) -> tuple[str, Any] | None:
        """The outcome, or None after timeout seconds."""
        fut = self.expect(kinds) if isinstance(kinds, set) else kinds
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            fut.cancel()
            return None


class SessionStore:
    """Sessions by cookie token and by correlation id (how bus events find their session)."""

    def __init__(self) -> None:
        self._by_token: dict[str, Session] = {}
        self._by_corr: dict[str, Session] = {}

    def create(self) -> Session:
        s = Session(token=secrets.token_urlsafe(24), correlation_id=uuid.uuid4().hex)
        self._by_token[s.token] = s
        self._by_corr[s.correlation_id] = s
        return s

    def get(self, token: str | None) -> Session | None:
        return self._by_token.get(token or "")

    def by_correlation(self, correlation_id: str) -> Session | None:
        return self._by_corr.get(correlation_id)

    def drop(self, s: Session) -> None:
        self._by_token.pop(s.token, None)
        self._by_corr.pop(s.correlation_id, None)
        for q in list(s.listeners):
            q.put_nowait({"kind": "logout", "go": "/"})

    def expired(self, max_idle_s: float) -> list[Session]:
        now = time.monotonic()
        return [s for s in self._by_token.values() if now - s.last_touch > max_idle_s]

    def __len__(self) -> int:
        return len(self._by_token)
