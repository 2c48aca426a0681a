"""identity's handlers: VNeID login by QR, and confirmation codes.

    qr.scanned (purpose login)  -> citizen.authenticated | citizen.authentication_failed
    identity.send_otp           -> otp.sent | otp.rejected (locked, send_failed)
    identity.verify_otp         -> otp.verified | otp.rejected (wrong, locked, expired, no_challenge)

Every handler runs in one transaction with its inbox claim; what it emits goes through the outbox in
that same transaction. A refused QR or code stores nothing about the citizen.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

from services.identity import otp, repository, tokens
from services.identity.jwks import ProviderUnavailable
from services.identity.provider import SendRefused
from services.identity.tokens import TokenRejected, VerifiedLogin
from shared.logging import get_logger
from shared.messages import (
    CitizenAuthenticated,
    CitizenAuthenticationFailed,
    Message,
    OtpRejected,
    OtpSent,
    OtpVerified,
    QrScanned,
    SendOtp,
    VerifyOtp,
    utcnow,
)
from shared.service import Context

if TYPE_CHECKING:
    from services.identity.app import Deps

log = get_logger()


async def on_qr_scanned(msg: Message[QrScanned], ctx: Context[Deps]) -> None:
    """Consumes qr.scanned (login); emits citizen.authenticated or citizen.authentication_failed."""
    if msg.payload.purpose != "login":
        return
    try:
        login = await _check_login_token(msg.payload.text, ctx)
    except TokenRejected as exc:
        log.info("login.rejected", reason=exc.reason, detail=exc.detail, decoder=msg.payload.decoder)
        await ctx.emit(CitizenAuthenticationFailed(reason=exc.reason, detail=exc.detail))  # type: ignore[arg-type]
        return
    log.info("login.accepted", decoder=msg.payload.decoder)
    await ctx.emit(CitizenAuthenticated(citizen=login.citizen))


async def _check_login_token(text: str, ctx: Context[Deps]) -> VerifiedLogin:
    header = tokens.read_header(text)
    keys = await ctx.deps.jwks.keys_for(header.kid)
    login = tokens.verify(text, keys, ctx.deps.expect, now=int(time.time()))
    assert ctx.conn is not None
    # In the handler's transaction: of two scans of one token, exactly one commits.
    if not await repository.use_token(ctx.conn, login.jti, login.expires_at):
        raise TokenRejected("replayed", "token already used")
    return login


async def on_send_otp(msg: Message[SendOtp], ctx: Context[Deps]) -> None:
    """Consumes identity.send_otp; emits otp.sent, or otp.rejected (locked, send_failed)."""
    cmd, conn, cfg, now = msg.payload, ctx.conn, ctx.deps.cfg, utcnow()
    assert conn is not None
    if until := await repository.locked_until(conn, cmd.id_number, now):
        await ctx.emit(OtpRejected(reason="locked", locked_until=until))
        return
    code, salt = otp.new_code(), otp.new_salt()
    code_hash = await asyncio.to_thread(otp.hash_code, code, salt)
    try:
        masked_phone = await ctx.deps.vneid.send_otp(cmd.id_number, code, cmd.purpose)
    except (ProviderUnavailable, SendRefused) as exc:
        log.warning("otp.send_failed", error=str(exc)[:300])
        await ctx.emit(OtpRejected(reason="send_failed"))
        return
    expires_at = otp.expiry(now, cfg.otp_ttl_s)
    await repository.save_challenge(conn, msg.correlation_id, cmd.id_number, code_hash, salt, expires_at)
    await ctx.emit(OtpSent(masked_phone=masked_phone, expires_at=expires_at))


async def on_verify_otp(msg: Message[VerifyOtp], ctx: Context[Deps]) -> None:
    """Consumes identity.verify_otp; emits otp.verified or otp.rejected (wrong, locked, expired, no_challenge)."""
    cmd, conn, now = msg.payload, ctx.conn, utcnow()
    assert conn is not None
    if until := await repository.locked_until(conn, cmd.id_number, now):
        await ctx.emit(OtpRejected(reason="locked", locked_until=until))
        return
    challenge = await repository.challenge_for_update(conn, msg.correlation_id)
    if reason := otp.problem(challenge, cmd.id_number, now):
        await ctx.emit(OtpRejected(reason=reason))
        return
    assert challenge is not None
    matches = await asyncio.to_thread(otp.code_matches, cmd.code, challenge)
    attempt = otp.after_attempt(challenge.attempts, matches, ctx.deps.cfg.otp_max_attempts)
    await _record_attempt(msg, ctx, attempt)


async def _record_attempt(msg: Message[VerifyOtp], ctx: Context[Deps], attempt: otp.Attempt) -> None:
    conn, cfg, cid = ctx.conn, ctx.deps.cfg, msg.correlation_id
    assert conn is not None
    log.info("otp.checked", outcome=attempt.outcome, attempts=attempt.attempts)
    if attempt.outcome == "verified":
        await repository.delete_challenge(conn, cid)  # a code confirms once
        await ctx.emit(OtpVerified(confirmation_id=uuid.uuid4()))
    elif attempt.outcome == "locked":
        until = otp.expiry(utcnow(), cfg.otp_lockout_s)
        await repository.delete_challenge(conn, cid)
        await repository.lock(conn, msg.payload.id_number, until)
        await ctx.emit(OtpRejected(reason="locked", locked_until=until))
    else:
        await repository.set_attempts(conn, cid, attempt.attempts)
        await ctx.emit(OtpRejected(reason="wrong", attempts_left=attempt.attempts_left))


HANDLERS: dict[Any, Any] = {
    QrScanned: on_qr_scanned,
    SendOtp: on_send_otp,
    VerifyOtp: on_verify_otp,
}
