"""The provider's published signing keys (JWKS), cached; refetched when a token names a key we lack.

The fetch function is passed in (HTTP in the service, a fake in unit tests), so the caching rules
can be tested on their own.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from services.identity.tokens import TokenRejected
from shared.logging import get_logger

log = get_logger()
Fetch = Callable[[], Awaitable[dict[str, Any]]]


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered nonsense."""


class JwksCache:
    def __init__(self, fetch: Fetch, *, max_age_s: float, refetch_min_interval_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._max_age, self._min_interval, self._clock = fetch, max_age_s, refetch_min_interval_s, clock
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()  # one fetch at a time, however many QR codes arrive together

    async def keys_for(self, kid: str | None) -> KeySet:
        """Keys that include `kid`; TokenRejected("unknown_key" | "provider_unavailable") otherwise."""
        async with self._lock:
            if self._keys is None or self._age() > self._max_age:
                await self._refresh(keep_old=True)
            if not self._has(kid) and self._age() >= self._min_interval:
                await self._refresh(keep_old=False)  # the provider may have rotated its keys
            if not self._has(kid):
                raise TokenRejected("unknown_key", "no provider key with this kid")
            assert self._keys is not None
            return self._keys

    def status(self) -> dict[str, Any]:
        """For the health endpoint."""
        return {"keys": len(self._keys.keys) if self._keys else 0,
                "age_s": round(self._age()) if self._keys else None}

    def _age(self) -> float:
        return self._clock() - self._fetched_at

    def _has(self, kid: str | None) -> bool:
        return self._keys is not None and kid is not None and any(k.kid == kid for k in self._keys)

    async def _refresh(self, *, keep_old: bool) -> None:
        try:
            self._keys = _key_set(await self._fetch())
            self._fetched_at = self._clock()
        except ProviderUnavailable as exc:
            # Stale keys still verify tokens while the provider is briefly away; no keys at all cannot.
            if keep_old and self._keys is not None:
                log.warning("jwks.refresh_failed_using_cached", error=str(exc)[:300])
                return
            raise TokenRejected("provider_unavailable", "provider keys could not be fetched") from exc


def _key_set(document: dict[str, Any]) -> KeySet:
    try:
        keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, KeyError, TypeError, ValueError) as exc:
        raise ProviderUnavailable(f"JWKS document not usable: {type(exc).__name__}") from exc
    if not keys:
        raise ProviderUnavailable("JWKS document has no keys")
    return keys
