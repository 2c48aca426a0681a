"""The JWKS cache: fetched once, refetched for an unknown kid (not too often), kept when the provider blinks."""
from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey, generate_key

from services.identity.jwks import JwksCache, ProviderUnavailable
from services.identity.tokens import TokenRejected


def _key() -> ECKey:
    return generate_key("EC", "P-256", parameters={"alg": "ES256", "use": "sig"}, auto_kid=True)


class FakeProvider:
    """A fetch function whose published keys and availability the test controls."""

    def __init__(self, *keys: ECKey) -> None:
        self.keys, self.calls, self.down = list(keys), 0, False

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            raise ProviderUnavailable("connection refused")
        return {"keys": [k.as_dict(private=False) for k in self.keys]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cache(provider: FakeProvider, clock: Clock) -> JwksCache:
    return JwksCache(provider, max_age_s=300, refetch_min_interval_s=10, clock=clock)


async def test_keys_are_fetched_once_and_reused() -> None:
    """Two tokens with a known kid cost one fetch."""
    k, clock = _key(), Clock()
    provider = FakeProvider(k)
    cache = _cache(provider, clock)
    await cache.keys_for(k.kid)
    clock.now += 5
    assert (await cache.keys_for(k.kid)).get_by_kid(k.kid).kid == k.kid
    assert provider.calls == 1


async def test_a_rotated_key_is_found_by_refetching() -> None:
    """After the provider rotates its key, a token with the new kid triggers one refetch and succeeds."""
    old, new, clock = _key(), _key(), Clock()
    provider = FakeProvider(old)
    cache = _cache(provider, clock)
    await cache.keys_for(old.kid)
    provider.keys = [new]
    clock.now += 11
    assert (await cache.keys_for(new.kid)).get_by_kid(new.kid).kid == new.kid
    assert provider.calls == 2


async def test_unknown_kids_do_not_hammer_the_provider() -> None:
    """Unknown kids right after a fetch are refused without another fetch."""
    k, clock = _key(), Clock()
    provider = FakeProvider(k)
    cache = _cache(provider, clock)
    await cache.keys_for(k.kid)
    for _ in range(5):
        with pytest.raises(TokenRejected) as info:
            await cache.keys_for("nobody")
        assert info.value.reason == "unknown_key"
    assert provider.calls == 1


async def test_provider_down_without_cached_keys_is_provider_unavailable() -> None:
    """With no keys yet and the provider unreachable, the refusal says provider_unavailable."""
    provider = FakeProvider(_key())
    provider.down = True
    with pytest.raises(TokenRejected) as info:
        await _cache(provider, Clock()).keys_for("any")
    assert info.value.reason == "provider_unavailable"


async def test_stale_keys_still_serve_while_the_provider_is_down() -> None:
    """Past max age, a failed refresh keeps the cached keys rather than failing every login."""
    k, clock = _key(), Clock()
    provider = FakeProvider(k)
    cache = _cache(provider, clock)
    await cache.keys_for(k.kid)
    provider.down, clock.now = True, clock.now + 400
    assert (await cache.keys_for(k.kid)).get_by_kid(k.kid).kid == k.kid
    assert cache.status()["keys"] == 1


async def test_a_jwks_document_without_keys_is_provider_unavailable() -> None:
    """An empty or malformed JWKS is treated as the provider being unavailable."""
    provider = FakeProvider()
    with pytest.raises(TokenRejected) as info:
        await _cache(provider, Clock()).keys_for("any")
    assert info.value.reason == "provider_unavailable"
