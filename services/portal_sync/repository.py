"""portal_sync's SQL, and only SQL (schema portal_sync)."""
from __future__ import annotations

from datetime import datetime

import asyncpg

from shared.messages import DossierData

WAKE_CHANNEL = "portal_sync_deliveries"


async def insert_delivery(conn: asyncpg.Connection, dossier: DossierData, correlation_id: str) -> bool:
    """Queue a dossier for delivery; False when it (or its idempotency key) is already queued."""
    row = await conn.fetchrow(
        "INSERT INTO portal_sync.deliveries (dossier_code, idempotency_key, dossier, kiosk_id, correlation_id)"
        " VALUES ($1, $2, $3::jsonb, $4, $5) ON CONFLICT DO NOTHING RETURNING dossier_code",
        dossier.code, str(dossier.submission_id), dossier.model_dump_json(), dossier.kiosk_id, correlation_id)
    return row is not None


async def idempotency_key_of(conn: asyncpg.Connection, dossier_code: str) -> str | None:
    return await conn.fetchval(
        "SELECT idempotency_key FROM portal_sync.deliveries WHERE dossier_code = $1", dossier_code)


async def notify_new(conn: asyncpg.Connection) -> None:
    """Wake the delivery loop; PostgreSQL delivers the notification only when the transaction commits."""
    await conn.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)


async def lock_next_due(conn: asyncpg.Connection) -> asyncpg.Record | None:
    """The oldest pending delivery that is due, locked until the transaction ends (others skip it)."""
    return await conn.fetchrow(
        "SELECT dossier_code, idempotency_key, dossier, kiosk_id, correlation_id, attempts"
        " FROM portal_sync.deliveries WHERE state = 'pending' AND next_attempt_at <= now()"
        " ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED")


async def mark_delivered(conn: asyncpg.Connection, dossier_code: str, portal_ref: str) -> datetime:
    return await conn.fetchval(
        "UPDATE portal_sync.deliveries SET state = 'delivered', portal_ref = $2, delivered_at = now(),"
        " attempts = attempts + 1, last_error = NULL WHERE dossier_code = $1 RETURNING delivered_at",
        dossier_code, portal_ref)


async def mark_failed(conn: asyncpg.Connection, dossier_code: str, retry_in_s: float, error: str) -> None:
    await conn.execute(
        "UPDATE portal_sync.deliveries SET attempts = attempts + 1, last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $2) WHERE dossier_code = $1",
        dossier_code, retry_in_s, error[:2000])


async def lock_cursor(conn: asyncpg.Connection) -> int:
    """The last change-feed seq handled, locked so two instances never emit the same change."""
    return await conn.fetchval("SELECT last_seq FROM portal_sync.status_cursor FOR UPDATE")


async def set_cursor(conn: asyncpg.Connection, seq: int) -> None:
    await conn.execute("UPDATE portal_sync.status_cursor SET last_seq = $1", seq)


async def origin(conn: asyncpg.Connection, dossier_code: str) -> asyncpg.Record | None:
    """The kiosk and citizen session a dossier came from (to address its status events)."""
    return await conn.fetchrow(
        "SELECT kiosk_id, correlation_id FROM portal_sync.deliveries WHERE dossier_code = $1", dossier_code)
