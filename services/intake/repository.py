"""intake's SQL, and only SQL (asyncpg, $n parameters)."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from shared.messages import DossierData


async def lock_request(conn: asyncpg.Connection, request_id: uuid.UUID) -> None:
    """Serialise work on one submission/request id until the transaction ends.

    Two messages with the same id (a retry with a new message id) then run one after the other:
    the second sees the first one's row instead of taking a number and then colliding.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", str(request_id))


async def dossier_code_for_submission(conn: asyncpg.Connection, submission_id: uuid.UUID) -> str | None:
    return await conn.fetchval("SELECT code FROM intake.dossiers WHERE submission_id = $1", submission_id)


async def next_dossier_seq(conn: asyncpg.Connection, agency_code: str, day: date) -> int:
    """The next dossier number of an agency for a day (atomic across concurrent transactions)."""
    return await conn.fetchval(
        "INSERT INTO intake.dossier_sequences (agency_code, day, last_value) VALUES ($1, $2, 1)"
        " ON CONFLICT (agency_code, day) DO UPDATE SET last_value = intake.dossier_sequences.last_value + 1"
        " RETURNING last_value", agency_code, day)


async def next_ticket_seq(conn: asyncpg.Connection, area: str, day: date) -> int:
    """The next queue number of an area for a day (atomic across concurrent transactions)."""
    return await conn.fetchval(
        "INSERT INTO intake.queue_sequences (area, day, last_value) VALUES ($1, $2, 1)"
        " ON CONFLICT (area, day) DO UPDATE SET last_value = intake.queue_sequences.last_value + 1"
        " RETURNING last_value", area, day)


async def insert_dossier(conn: asyncpg.Connection, d: DossierData, *, correlation_id: str,
                         otp_confirmation_id: uuid.UUID) -> None:
    """The dossier, its documents and its first status entry."""
    await conn.execute(
        "INSERT INTO intake.dossiers (code, submission_id, agency_code, agency_name, procedure_code, procedure_name,"
        " applicant, form, fee_vnd, received_at, due_date, status, kiosk_id, correlation_id, otp_confirmation_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13, $14, $15)",
        d.code, d.submission_id, d.agency_code, d.agency_name, d.procedure_code, d.procedure_name,
        d.applicant.model_dump_json(), json.dumps(d.form, ensure_ascii=False), d.fee_vnd, d.received_at,
        d.due_date, d.status, d.kiosk_id, correlation_id, otp_confirmation_id)
    await conn.executemany(
        "INSERT INTO intake.dossier_documents (dossier_code, position, document_key, name, file_ref, sha256,"
        " pages, size_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [(d.code, i, doc.document_key, doc.name, doc.file_ref, doc.sha256, doc.pages, doc.size_bytes)
         for i, doc in enumerate(d.documents, start=1)])


async def add_history(conn: asyncpg.Connection, code: str, status: str, at: datetime, *,
                      actor: str = "", note: str = "", portal_seq: int = 0) -> None:
    await conn.execute(
        "INSERT INTO intake.status_history (dossier_code, status, at, actor, note, portal_seq)"
        " VALUES ($1, $2, $3, $4, $5, $6)", code, status, at, actor, note, portal_seq)


async def status_seq_for_update(conn: asyncpg.Connection, code: str) -> int | None:
    """The last applied portal_seq of a dossier (row locked), or None if there is no such dossier."""
    return await conn.fetchval("SELECT status_seq FROM intake.dossiers WHERE code = $1 FOR UPDATE", code)


async def set_status(conn: asyncpg.Connection, code: str, status: str, seq: int) -> None:
    await conn.execute(
        "UPDATE intake.dossiers SET status = $2, status_seq = GREATEST(status_seq, $3), updated_at = now()"
        " WHERE code = $1", code, status, seq)


async def mark_delivered(conn: asyncpg.Connection, code: str, at: datetime, portal_ref: str) -> bool:
    status = await conn.execute(
        "UPDATE intake.dossiers SET delivered_at = COALESCE(delivered_at, $2), portal_ref = COALESCE(portal_ref, $3),"
        " updated_at = now() WHERE code = $1", code, at, portal_ref)
    return status == "UPDATE 1"


async def mark_receipt_printed(conn: asyncpg.Connection, code: str, at: datetime) -> bool:
    status = await conn.execute(
        "UPDATE intake.dossiers SET receipt_printed_at = COALESCE(receipt_printed_at, $2), updated_at = now()"
        " WHERE code = $1", code, at)
    return status == "UPDATE 1"


async def dossier_status(conn: asyncpg.Connection, code: str) -> dict[str, Any] | None:
    """What a status lookup may show: no personal data is selected."""
    row = await conn.fetchrow(
        "SELECT code, procedure_name, status, received_at, due_date FROM intake.dossiers WHERE code = $1", code)
    return dict(row) if row else None


async def history(conn: asyncpg.Connection, code: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT status, at, actor, note FROM intake.status_history WHERE dossier_code = $1 ORDER BY at, id", code)
    return [dict(r) for r in rows]


async def ticket_exists(conn: asyncpg.Connection, request_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM intake.queue_tickets WHERE request_id = $1", request_id))


async def waiting_count(conn: asyncpg.Connection, area: str, day: date) -> int:
    """Tickets of an area issued today and not called yet."""
    return await conn.fetchval(
        "SELECT count(*) FROM intake.queue_tickets WHERE area = $1 AND day = $2 AND called_at IS NULL", area, day)


async def insert_ticket(conn: asyncpg.Connection, *, request_id: uuid.UUID, area: str, day: date, seq: int,
                        number: str, kiosk_id: str, issued_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO intake.queue_tickets (request_id, area, day, seq, number, kiosk_id, issued_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)", request_id, area, day, seq, number, kiosk_id, issued_at)
