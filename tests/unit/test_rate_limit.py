"""The client-wide request-rate limiter: its schedule, shared by threads and event loops."""

import asyncio
import threading

import pytest

from oci_tei._rate_limit import RequestRateLimiter


def test_requests_are_spaced_one_interval_apart():
    limiter = RequestRateLimiter(10.0)
    delays = [limiter.reserve() for _ in range(5)]
    # Reserved back to back: 0, 0.1, 0.2, ... s from now (less the microseconds elapsed).
    for number, delay in enumerate(delays):
        assert delay == pytest.approx(number * 0.1, abs=0.02)


def test_burst_lets_the_first_requests_go_at_once():
    limiter = RequestRateLimiter(10.0, burst=3)
    delays = [limiter.reserve() for _ in range(5)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3] == pytest.approx(0.1, abs=0.02)


def test_threads_and_event_loops_share_one_schedule():
    limiter = RequestRateLimiter(10.0)
    reserved: list[float] = []
    lock = threading.Lock()

    def from_thread():
        for _ in range(25):
            delay = limiter.reserve()
            with lock:
                reserved.append(delay)

    async def from_loop():
        for _ in range(25):
            delay = limiter.reserve()
            with lock:
                reserved.append(delay)
            await asyncio.sleep(0)

    threads = [threading.Thread(target=from_thread) for _ in range(2)]
    threads += [threading.Thread(target=asyncio.run, args=(from_loop(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 100 reservations, one schedule: the latest is 99 intervals out, whoever asked (less
    # the time the threads took to ask).
    assert len(reserved) == 100
    assert max(reserved) == pytest.approx(9.9, abs=1.0)


def test_bad_rates_are_refused():
    with pytest.raises(ValueError, match="positive"):
        RequestRateLimiter(0)
    with pytest.raises(ValueError, match="burst"):
        RequestRateLimiter(5, burst=0)
