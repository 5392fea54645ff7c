"""The client-wide in-flight bound, shared by threads and event loops at once."""

import asyncio
import threading
import time

import pytest

from oci_tei._inflight import InFlightLimit


class Gauge:
    """Counts holders now and the most ever seen at once."""

    def __init__(self):
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()

    def enter(self):
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self):
        with self._lock:
            self.now -= 1


def test_threads_and_loops_share_one_bound():
    limit = InFlightLimit(3)
    gauge = Gauge()

    def in_thread():
        for _ in range(5):
            with limit.slot():
                gauge.enter()
                time.sleep(0.005)
                gauge.leave()

    async def task():
        for _ in range(5):
            async with limit.aslot():
                gauge.enter()
                await asyncio.sleep(0.005)
                gauge.leave()

    async def tasks():
        await asyncio.gather(*(task() for _ in range(4)))

    def in_loop():
        asyncio.run(tasks())

    threads = [threading.Thread(target=in_thread) for _ in range(4)]
    threads += [threading.Thread(target=in_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gauge.peak == 3
    assert limit.in_flight == 0


async def test_waiting_never_blocks_the_loop():
    limit = InFlightLimit(1)
    limit.acquire()  # held by "another thread"
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    ticking = asyncio.ensure_future(ticker())
    waiter = asyncio.ensure_future(limit.aacquire())
    await asyncio.sleep(0.05)
    assert not waiter.done()
    assert ticks > 5
    threading.Thread(target=limit.release).start()
    await asyncio.wait_for(waiter, 1)
    limit.release()
    ticking.cancel()
    assert limit.in_flight == 0


@pytest.mark.parametrize("cancel_before_grant", [True, False])
async def test_a_cancelled_waiter_hands_its_slot_on(cancel_before_grant):
    # After the grant, the waiter's wake-up is scheduled on its loop but has not run.
    limit = InFlightLimit(1)
    await limit.aacquire()
    cancelled = asyncio.ensure_future(limit.aacquire())
    after = asyncio.ensure_future(limit.aacquire())
    await asyncio.sleep(0)
    if cancel_before_grant:
        cancelled.cancel()
        limit.release()
    else:
        limit.release()
        cancelled.cancel()
    await asyncio.wait_for(after, 1)
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert limit.in_flight == 1
    limit.release()
    assert limit.in_flight == 0


def test_a_closed_loop_never_swallows_a_slot():
    limit = InFlightLimit(1)
    limit.acquire()
    loop = asyncio.new_event_loop()
    pending = loop.create_task(limit.aacquire())
    loop.run_until_complete(asyncio.sleep(0))  # queued, then its loop goes away
    loop.close()
    limit.release()
    assert limit.in_flight == 0
    with limit.slot():
        assert limit.in_flight == 1
    del pending
