"""The portal simulator's SQL, and only SQL (schema portal_sim)."""
from __future__ import annotations

import json
from typing import Any

import asyncpg

SCHEMA = "portal_sim"


async def insert_dossier(conn: asyncpg.Connection, *, code: str, ref: str, key: str, body_sha256: str,
                         dossier: dict[str, Any], status: str) -> bool:
    """Store a new dossier; False when its key or code is already taken (nothing written)."""
    row = await conn.fetchrow(
        "INSERT INTO portal_sim.dossiers (code, ref, idempotency_key, body_sha256, dossier, status)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT DO NOTHING RETURNING code",
        code, ref, key, body_sha256, json.dumps(dossier, ensure_ascii=False), status)
    return row is not None


async def dossier_by_key(conn: asyncpg.Connection, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT code, ref, body_sha256 FROM portal_sim.dossiers WHERE idempotency_key = $1", key)


async def get_dossier(conn: asyncpg.Connection, code: str, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(
        "SELECT code, ref, dossier, status, received_at FROM portal_sim.dossiers WHERE code = $1" + lock, code)


async def list_dossiers(conn: asyncpg.Connection, limit: int = 200) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT d.code, d.dossier, d.status, d.received_at,"
        " (SELECT count(*) FROM portal_sim.documents x WHERE x.dossier_code = d.code) AS documents"
        " FROM portal_sim.dossiers d ORDER BY d.received_at DESC, d.code DESC LIMIT $1", limit)


async def lock_feed(conn: asyncpg.Connection) -> None:
    """Serialise writers of the history until commit.

    A bigserial is allocated at insert but becomes visible at commit: two concurrent writers could
    commit seq 8 before seq 7, and a reader that already saw 8 would skip 7 for ever. Holding this
    lock from insert to commit makes seq order equal commit order.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('portal_sim.history'))")


async def add_history(conn: asyncpg.Connection, code: str, status: str, actor: str, note: str,
                      *, in_feed: bool) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO portal_sim.history (dossier_code, status, actor, note, in_feed)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING seq, at", code, status, actor, note, in_feed)


async def set_status(conn: asyncpg.Connection, code: str, status: str) -> None:
    await conn.execute("UPDATE portal_sim.dossiers SET status = $2 WHERE code = $1", code, status)


async def history(conn: asyncpg.Connection, code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT seq, status, at, actor, note FROM portal_sim.history WHERE dossier_code = $1 ORDER BY seq", code)


async def changes(conn: asyncpg.Connection, after: int, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT seq, dossier_code, status, at, actor, note FROM portal_sim.history"
        " WHERE in_feed AND seq > $1 ORDER BY seq LIMIT $2", after, limit)


async def insert_document(conn: asyncpg.Connection, code: str, key: str, sha256: str, content: bytes) -> bool:
    """Store a document; False when one with this key is already stored (nothing written)."""
    status = await conn.execute(
        "INSERT INTO portal_sim.documents (dossier_code, document_key, sha256, size_bytes, content)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", code, key, sha256, len(content), content)
    return status.endswith(" 1")


async def document_sha256(conn: asyncpg.Connection, code: str, key: str) -> str | None:
    return await conn.fetchval(
        "SELECT sha256 FROM portal_sim.documents WHERE dossier_code = $1 AND document_key = $2", code, key)


async def documents(conn: asyncpg.Connection, code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT document_key, sha256, size_bytes, uploaded_at FROM portal_sim.documents"
        " WHERE dossier_code = $1 ORDER BY document_key", code)


async def document_content(conn: asyncpg.Connection, code: str, key: str) -> bytes | None:
    return await conn.fetchval(
        "SELECT content FROM portal_sim.documents WHERE dossier_code = $1 AND document_key = $2", code, key)
