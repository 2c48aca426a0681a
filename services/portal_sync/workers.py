"""The two background loops of portal_sync: deliver pending dossiers, follow the portal's change feed.

Both hold a database transaction around their HTTP calls: the delivery row (or the feed cursor)
stays locked while the portal is asked, and the outcome and the event it causes commit together.
A crash in between leaves the row pending; the retry carries the same Idempotency-Key, and the
portal answers "already have it", so each dossier lands exactly once.
"""
from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import asyncpg

from services.portal_sync import repository as repo
from services.portal_sync.delivery import DeliveryError, backoff_s, document_path, status_event
from services.portal_sync.portal import PortalError
from shared.logging import get_logger
from shared.messages import DocumentRef, DossierData, DossierDelivered
from shared.service import Runtime

if TYPE_CHECKING:
    from services.portal_sync.app import Deps

log = get_logger()
# Failures of one attempt: recorded on the row and retried, never a crash of the loop.
ATTEMPT_FAILURES = (DeliveryError, PortalError, aiohttp.ClientError, TimeoutError)


def read_document(var_dir: Path, doc: DocumentRef) -> bytes:
    """The document's bytes from the var dir, checked against the SHA-256 the dossier carries."""
    path = document_path(var_dir, doc.file_ref)
    try:
        content = path.read_bytes()
    except FileNotFoundError as exc:
        raise DeliveryError(f"document file missing: {doc.file_ref}") from exc
    except OSError as exc:
        raise DeliveryError(f"document file unreadable: {doc.file_ref}: {exc.strerror}") from exc
    if hashlib.sha256(content).hexdigest() != doc.sha256:
        raise DeliveryError(f"document file changed since it was scanned (SHA-256 differs): {doc.file_ref}")
    return content


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class DeliveryWorker:
    """Delivers due dossiers oldest first; woken by NOTIFY when one is queued, polling as a safety net."""

    def __init__(self, rt: Runtime[Any], deps: Deps) -> None:
        assert rt.pool is not None
        self.rt, self.deps, self.pool = rt, deps, rt.pool
        self._listener: asyncpg.Connection | None = None

    async def run(self) -> None:
        try:
            while True:
                await self._ensure_listener()
                self.deps.wake.clear()  # before looking, so a dossier queued meanwhile wakes us again
                if not await self._step():
                    try:
                        await asyncio.wait_for(self.deps.wake.wait(), self.deps.config.delivery_poll_s)
                    except TimeoutError:
                        pass
        finally:
            if self._listener is not None:
                await self._listener.close()

    async def _step(self) -> bool:
        try:
            return await self.deliver_next()
        except Exception as exc:  # noqa: BLE001 - a dead loop would stop all delivery silently: log, wait, go on
            log.exception("delivery.loop_error", error=describe(exc)[:300])
            await asyncio.sleep(1)
            return False

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(self.rt.settings.pg_dsn, timeout=5)
            await self._listener.add_listener(repo.WAKE_CHANNEL, lambda *_: self.deps.wake.set())
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            self._listener = None  # polling still delivers; try again next round
            log.warning("delivery.listener_unavailable", error=describe(exc)[:300])

    async def deliver_next(self) -> bool:
        """Try the oldest due delivery; False when none is due."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await repo.lock_next_due(conn)
            if row is None:
                return False
            dossier = DossierData.model_validate_json(row["dossier"])
            try:
                ref = await self._push(dossier, row["idempotency_key"])
            except ATTEMPT_FAILURES as exc:
                await self._failed(conn, dossier.code, row["attempts"] + 1, exc)
                return True
            delivered_at = await repo.mark_delivered(conn, dossier.code, ref)
            event = DossierDelivered(dossier_code=dossier.code, portal_ref=ref, delivered_at=delivered_at,
                                     document_refs=[d.file_ref for d in dossier.documents])
            await self.rt.system_context(conn).emit(event, kiosk_id=row["kiosk_id"],
                                                    correlation_id=row["correlation_id"])
        log.info("delivery.delivered", dossier_code=dossier.code, attempts=row["attempts"] + 1)
        return True

    async def _push(self, dossier: DossierData, idempotency_key: str) -> str:
        portal = self.deps.portal
        ref = await portal.submit_dossier(dossier, idempotency_key)
        for doc in dossier.documents:
            content = await asyncio.to_thread(read_document, self.deps.var_dir, doc)
            await portal.put_document(dossier.code, doc.document_key, content, doc.sha256)
        return ref

    async def _failed(self, conn: asyncpg.Connection, code: str, attempts: int, exc: BaseException) -> None:
        cfg = self.deps.config
        delay = backoff_s(attempts, base_s=cfg.retry_base_s, max_s=cfg.retry_max_s)
        await repo.mark_failed(conn, code, delay, describe(exc))
        log.warning("delivery.failed", dossier_code=code, attempts=attempts, retry_in_s=round(delay, 2),
                    error=describe(exc)[:300])


class StatusPoller:
    """Reads the portal's change feed after the stored cursor; emits dossier.status_changed per change."""

    def __init__(self, rt: Runtime[Any], deps: Deps) -> None:
        assert rt.pool is not None
        self.rt, self.deps, self.pool = rt, deps, rt.pool
        self.portal_away = False  # log the portal going away and coming back, not every poll in between

    async def run(self) -> None:
        while True:
            try:
                n = await self.poll_once()
                if self.portal_away:
                    self.portal_away = False
                    log.info("status_poll.portal_back")
            except ATTEMPT_FAILURES as exc:
                if not self.portal_away:
                    self.portal_away = True
                    log.warning("status_poll.portal_unavailable", error=describe(exc)[:300])
                n = 0
            except Exception as exc:  # noqa: BLE001 - keep following the feed whatever happened; say so loudly
                log.exception("status_poll.error", error=describe(exc)[:300])
                n = 0
            if n < self.deps.config.changes_batch:  # a full batch means more are waiting: read on at once
                await asyncio.sleep(self.deps.config.poll_s)

    async def poll_once(self) -> int:
        """Emit the changes after the cursor and advance it, in one transaction; returns how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            after = await repo.lock_cursor(conn)
            changes = [c for c in await self.deps.portal.changes(after, self.deps.config.changes_batch) if c.seq > after]
            ctx = self.rt.system_context(conn)
            for change in sorted(changes, key=lambda c: c.seq):
                origin = await repo.origin(conn, change.dossier_code)
                await ctx.emit(status_event(change),
                               kiosk_id=origin["kiosk_id"] if origin else self.rt.settings.kiosk_id,
                               correlation_id=origin["correlation_id"] if origin else f"portal-{change.seq}")
            if changes:
                await repo.set_cursor(conn, max(c.seq for c in changes))
        if changes:
            log.info("status_poll.emitted", count=len(changes), last_seq=max(c.seq for c in changes))
        return len(changes)
