"""What the portal does with a request, shared by the REST API and the staff page.

Each function runs one transaction and raises a PortalProblem (with an HTTP status) when the
request cannot be honoured; the callers turn that into a JSON answer or a page.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import ValidationError

from shared.messages import DossierData, nfc
from simulators.portal import repository as repo
from simulators.portal.rules import INITIAL, STATUSES, can_move

KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
DOCUMENT_KEY_RE = re.compile(r"^[a-z0-9_]{1,40}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
PORTAL_ACTOR = "portal"  # the actor of entries the portal makes itself (receipt)


class PortalProblem(Exception):
    """A request the portal refuses: `status` is the HTTP status, the message the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Received:
    ref: str
    duplicate: bool


def parse_dossier(body: Any) -> DossierData:
    if not isinstance(body, dict):
        raise PortalProblem(400, "body must be a JSON object (a dossier)")
    try:
        return DossierData.model_validate(nfc(body))
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors()[:5])
        raise PortalProblem(400, f"invalid dossier: {fields}") from exc


def body_digest(dossier: DossierData) -> str:
    """A digest of the dossier independent of key order and whitespace in the request."""
    canonical = json.dumps(dossier.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def receive_dossier(pool: asyncpg.Pool, key: str, body: Any) -> Received:
    """Store a dossier once per Idempotency-Key; the same key again answers with the first ref."""
    if not KEY_RE.match(key or ""):
        raise PortalProblem(400, "header Idempotency-Key is required (1-200 visible ASCII characters)")
    dossier = parse_dossier(body)
    digest = body_digest(dossier)
    ref = "DVC-" + secrets.token_hex(6).upper()
    async with pool.acquire() as conn, conn.transaction():
        if await repo.insert_dossier(conn, code=dossier.code, ref=ref, key=key, body_sha256=digest,
                                     dossier=dossier.model_dump(mode="json"), status=INITIAL):
            await repo.lock_feed(conn)
            await repo.add_history(conn, dossier.code, INITIAL, PORTAL_ACTOR, "", in_feed=False)
            return Received(ref, duplicate=False)
        known = await repo.dossier_by_key(conn, key)
    if known is None:
        raise PortalProblem(409, f"dossier code {dossier.code} already received under another Idempotency-Key")
    if known["body_sha256"] != digest or known["code"] != dossier.code:
        raise PortalProblem(409, "Idempotency-Key already used for a different dossier")
    return Received(known["ref"], duplicate=True)


async def store_document(pool: asyncpg.Pool, code: str, key: str, claimed_sha256: str, content: bytes) -> bool:
    """Store a document's PDF once; True when newly stored, False when it already was."""
    if not DOCUMENT_KEY_RE.match(key):
        raise PortalProblem(400, "document key must match [a-z0-9_]{1,40}")
    claimed = (claimed_sha256 or "").strip().lower()
    if not SHA256_RE.match(claimed):
        raise PortalProblem(400, "header X-Content-SHA256 is required (64 hex digits)")
    actual = hashlib.sha256(content).hexdigest()
    if actual != claimed:
        raise PortalProblem(400, "X-Content-SHA256 does not match the body")
    if not content.startswith(b"%PDF-"):
        raise PortalProblem(415, "a document must be a PDF")
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.get_dossier(conn, code)
        if row is None:
            raise PortalProblem(404, "unknown dossier")
        listed = {d.document_key: d.sha256 for d in DossierData.model_validate(json.loads(row["dossier"])).documents}
        if key not in listed:
            raise PortalProblem(404, "the dossier lists no document with this key")
        if listed[key] != actual:
            raise PortalProblem(409, "the document differs from the one listed in the dossier")
        if await repo.insert_document(conn, code, key, actual, content):
            return True
        if await repo.document_sha256(conn, code, key) != actual:
            raise PortalProblem(409, "a different document is already stored under this key")
        return False


async def change_status(pool: asyncpg.Pool, code: str, status: str, actor: str, note: str) -> asyncpg.Record:
    """Apply a staff transition and add it to the change feed; returns the history row (seq, at)."""
    if status not in STATUSES:
        raise PortalProblem(400, f"unknown status {status!r}")
    actor, note = nfc(actor or "").strip(), nfc(note or "").strip()
    if len(actor) > 200 or len(note) > 2000:
        raise PortalProblem(400, "actor (200) or note (2000 characters) too long")
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.get_dossier(conn, code, for_update=True)
        if row is None:
            raise PortalProblem(404, "unknown dossier")
        if not can_move(row["status"], status):
            raise PortalProblem(409, f"transition {row['status']} -> {status} is not allowed")
        await repo.lock_feed(conn)
        await repo.set_status(conn, code, status)
        return await repo.add_history(conn, code, status, actor, note, in_feed=True)


async def dossier_view(pool: asyncpg.Pool, code: str) -> dict[str, Any]:
    """A dossier with its status, history and stored documents, as plain data."""
    async with pool.acquire() as conn:
        row = await repo.get_dossier(conn, code)
        if row is None:
            raise PortalProblem(404, "unknown dossier")
        history = await repo.history(conn, code)
        docs = await repo.documents(conn, code)
    dossier = json.loads(row["dossier"])
    names = {d["document_key"]: d["name"] for d in dossier.get("documents", [])}
    return {
        "code": row["code"], "ref": row["ref"], "status": row["status"],
        "received_at": row["received_at"].isoformat(), "dossier": dossier,
        "history": [{"seq": h["seq"], "status": h["status"], "at": h["at"].isoformat(), "actor": h["actor"],
                     "note": h["note"]} for h in history],
        "documents": [{"document_key": d["document_key"], "name": names.get(d["document_key"], ""),
                       "sha256": d["sha256"], "size_bytes": d["size_bytes"],
                       "uploaded_at": d["uploaded_at"].isoformat()} for d in docs],
    }


async def change_feed(pool: asyncpg.Pool, after: int, limit: int) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await repo.changes(conn, after, limit)
    return [{"seq": r["seq"], "dossier_code": r["dossier_code"], "status": r["status"], "at": r["at"].isoformat(),
             "actor": r["actor"], "note": r["note"]} for r in rows]
