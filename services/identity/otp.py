"""Confirmation codes (ma xac nhan): generation, salted hashing, and the rules of an attempt. No I/O.

A 6-digit code has only a million values, so a plain hash would be reversed at once from a leaked
table; scrypt with a per-code salt makes each guess cost real work, and the short life and the
attempt limit do the rest.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

CODE_DIGITS = 6
SALT_BYTES = 16
# scrypt cost (RFC 7914): about 16 MiB and a few tens of ms per hash; run it off the event loop.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class Challenge:
    """A code sent for one session (the hash of it, never the code)."""

    id_number: str
    code_hash: bytes
    salt: bytes
    expires_at: datetime
    attempts: int


@dataclass(frozen=True)
class Attempt:
    """What a checked code leads to."""

    outcome: Literal["verified", "wrong", "locked"]
    attempts: int
    attempts_left: int


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def hash_code(code: str, salt: bytes) -> bytes:
    return hashlib.scrypt(code.encode("ascii"), salt=salt, **_SCRYPT)


def normalise(code: str) -> str:
    """What the citizen typed, without the spaces or dashes a keypad or a habit may add."""
    return "".join(ch for ch in code if ch not in " -\t")


def code_matches(code: str, challenge: Challenge) -> bool:
    """Constant-time comparison of the entered code with the stored hash."""
    entered = normalise(code)
    if len(entered) != CODE_DIGITS or not entered.isascii() or not entered.isdigit():
        # Still hash something, so a malformed code takes as long as a wrong one.
        entered = "x" * CODE_DIGITS
    return hmac.compare_digest(hash_code(entered, challenge.salt), challenge.code_hash)


def problem(challenge: Challenge | None, id_number: str, now: datetime) -> Literal["no_challenge", "expired"] | None:
    """Why a code cannot be checked at all, or None when it can."""
    if challenge is None or challenge.id_number != id_number:
        return "no_challenge"
    if now >= challenge.expires_at:
        return "expired"
    return None


def after_attempt(attempts: int, matches: bool, max_attempts: int) -> Attempt:
    """The outcome of one entered code, given the wrong attempts made before it."""
    if matches:
        return Attempt("verified", attempts, max_attempts - attempts)
    attempts += 1
    if attempts >= max_attempts:
        return Attempt("locked", attempts, 0)
    return Attempt("wrong", attempts, max_attempts - attempts)


def expiry(now: datetime, seconds: int) -> datetime:
    return now + timedelta(seconds=seconds)
