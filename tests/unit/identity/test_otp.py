"""The rules of confirmation codes: generation, hashing, and what an attempt leads to."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.identity import otp

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _challenge(code: str = "042917", attempts: int = 0, id_number: str = "001092012345") -> otp.Challenge:
    salt = otp.new_salt()
    return otp.Challenge(id_number=id_number, code_hash=otp.hash_code(code, salt), salt=salt,
                         expires_at=NOW + timedelta(minutes=5), attempts=attempts)


def test_codes_are_six_digits_and_vary() -> None:
    """New codes are 6 ASCII digits (leading zeros kept) and not all the same."""
    codes = {otp.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_the_hash_is_salted() -> None:
    """The same code under two salts gives two different hashes, neither containing the code."""
    a, b = otp.new_salt(), otp.new_salt()
    assert otp.hash_code("123456", a) != otp.hash_code("123456", b)
    assert b"123456" not in otp.hash_code("123456", a)


def test_the_right_code_matches_and_others_do_not() -> None:
    """Only the sent code matches; spaces typed inside it are ignored; junk never matches."""
    ch = _challenge("042917")
    assert otp.code_matches("042917", ch)
    assert otp.code_matches("042 917", ch)
    assert not otp.code_matches("042918", ch)
    assert not otp.code_matches("42917", ch)
    assert not otp.code_matches("０４２９１７", ch)  # full-width digits are not the code
    assert not otp.code_matches("", ch)


def test_problem_without_challenge_for_another_citizen_or_after_expiry() -> None:
    """No challenge, a challenge for another citizen, or an expired one cannot be checked."""
    ch = _challenge()
    assert otp.problem(None, "001092012345", NOW) == "no_challenge"
    assert otp.problem(ch, "049195003817", NOW) == "no_challenge"
    assert otp.problem(ch, "001092012345", NOW + timedelta(minutes=5)) == "expired"
    assert otp.problem(ch, "001092012345", NOW + timedelta(minutes=4)) is None


def test_wrong_attempts_count_down_then_lock_at_the_limit() -> None:
    """Wrong codes leave 4, 3, 2, 1 attempts; the fifth wrong one locks."""
    seen = []
    attempts = 0
    for _ in range(5):
        result = otp.after_attempt(attempts, False, max_attempts=5)
        attempts = result.attempts
        seen.append((result.outcome, result.attempts_left))
    assert seen == [("wrong", 4), ("wrong", 3), ("wrong", 2), ("wrong", 1), ("locked", 0)]


def test_the_right_code_verifies_even_after_wrong_ones() -> None:
    """A right code after some wrong ones (below the limit) verifies."""
    assert otp.after_attempt(4, True, max_attempts=5).outcome == "verified"
