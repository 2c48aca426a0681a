"""The identity schema's SQL, and only SQL."""
from __future__ import annotations

from datetime import datetime

import asyncpg

from services.identity.otp import Challenge


async def use_token(conn: asyncpg.Connection, jti: str, expires_at: datetime) -> bool:
    """Mark a login token used; False if it already was (a replay)."""
    status = await conn.execute(
        "INSERT INTO identity.used_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        jti, expires_at)
    return status.endswith(" 1")


async def locked_until(conn: asyncpg.Connection, id_number: str, now: datetime) -> datetime | None:
    return await conn.fetchval(
        "SELECT locked_until FROM identity.otp_lockouts WHERE id_number = $1 AND locked_until > $2",
        id_number, now)


async def lock(conn: asyncpg.Connection, id_number: str, until: datetime) -> None:
    await conn.execute(
        "INSERT INTO identity.otp_lockouts (id_number, locked_until) VALUES ($1, $2)"
        " ON CONFLICT (id_number) DO UPDATE SET locked_until = EXCLUDED.locked_until, created_at = now()",
        id_number, until)


async def save_challenge(conn: asyncpg.Connection, correlation_id: str, id_number: str, code_hash: bytes,
                         salt: bytes, expires_at: datetime) -> None:
    """Replace the session's challenge. Wrong attempts carry over for the same citizen, so asking
    for a new code does not buy new guesses."""
    await conn.execute(
        "INSERT INTO identity.otp_challenges (correlation_id, id_number, code_hash, salt, expires_at)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (correlation_id) DO UPDATE SET id_number = EXCLUDED.id_number,"
        "  code_hash = EXCLUDED.code_hash, salt = EXCLUDED.salt, expires_at = EXCLUDED.expires_at,"
        "  attempts = CASE WHEN identity.otp_challenges.id_number = EXCLUDED.id_number"
        "             THEN identity.otp_challenges.attempts ELSE 0 END,"
        "  created_at = now()",
        correlation_id, id_number, code_hash, salt, expires_at)


async def challenge_for_update(conn: asyncpg.Connection, correlation_id: str) -> Challenge | None:
    row = await conn.fetchrow(
        "SELECT id_number, code_hash, salt, expires_at, attempts FROM identity.otp_challenges"
        " WHERE correlation_id = $1 FOR UPDATE", correlation_id)
    return Challenge(**dict(row)) if row else None


async def set_attempts(conn: asyncpg.Connection, correlation_id: str, attempts: int) -> None:
    await conn.execute("UPDATE identity.otp_challenges SET attempts = $2 WHERE correlation_id = $1",
                       correlation_id, attempts)


async def delete_challenge(conn: asyncpg.Connection, correlation_id: str) -> None:
    await conn.execute("DELETE FROM identity.otp_challenges WHERE correlation_id = $1", correlation_id)


async def purge_expired(conn: asyncpg.Connection, now: datetime) -> None:
    """Forget what no longer protects anything: spent tokens past expiry, dead codes, ended lockouts."""
    await conn.execute("DELETE FROM identity.used_tokens WHERE expires_at < $1", now)
    # Expired codes stay an hour, so the citizen hears "expired" (not "no code") and keeps the attempt count.
    await conn.execute("DELETE FROM identity.otp_challenges WHERE expires_at < $1::timestamptz - interval '1 hour'", now)
    await conn.execute("DELETE FROM identity.otp_lockouts WHERE locked_until < $1", now)
