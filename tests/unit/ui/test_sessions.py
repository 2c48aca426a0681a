"""Sessions wake the page and the waiting request when their outcome arrives."""
import asyncio

from services.ui.sessions import SessionStore


async def test_outcome_wakes_the_waiter_and_bumps_the_version() -> None:
    """notify() resolves wait_for() for that kind and increments the version pages compare against."""
    store = SessionStore()
    s = store.create()
    waiter = asyncio.create_task(s.wait_for({"otp_verified", "otp_rejected"}, 2))
    await asyncio.sleep(0)
    s.notify("document")
    s.notify("otp_rejected", "wrong")
    assert await waiter == ("otp_rejected", "wrong")
    assert s.version == 2


async def test_wait_for_times_out_with_none() -> None:
    """No outcome within the time -> None (the page then shows 'please wait' and keeps listening)."""
    s = SessionStore().create()
    assert await s.wait_for({"dossier_received"}, 0.05) is None


def test_dropped_session_is_gone_by_token_and_correlation() -> None:
    """After logout nothing of the session can be found."""
    store = SessionStore()
    s = store.create()
    q: asyncio.Queue = asyncio.Queue()
    s.listeners.add(q)
    store.drop(s)
    assert store.get(s.token) is None and store.by_correlation(s.correlation_id) is None
    assert q.get_nowait()["kind"] == "logout"
