"""Executing engine steps over HTTP: one synchronous and one asynchronous transport.

Both run the same generators from ``oci_tei._engine``; they differ only in how they
send, sleep and refresh. Each owns connection pools: the sync transport one
``httpx.Client`` shared by its worker threads, the async transport one
``httpx.AsyncClient`` per event loop (connections belong to the loop that opened them,
so a client reused across ``asyncio.run`` calls gets a fresh pool for each new loop).

A loop's pool is closed on that loop when the loop shuts down (``asyncio.run`` and
``asyncio.Runner`` finalize async generators before closing; a small one holds the pool),
by ``aclose()`` on it, or by the client's ``close()``; pools of loops that closed without
that are dropped as soon as the transport is next used, so their sockets are released.

Both transports take one :class:`~oci_tei._inflight.InFlightLimit` from the client: the
``max_concurrency`` bound holds for the client as a whole, across threads and loops. So
does ``max_requests_per_second``: one :class:`~oci_tei._rate_limit.RequestRateLimiter`,
waited on once a slot is held and before signing (the ``Date`` header stays fresh).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import threading
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from oci_tei._auth import RequestSigner
from oci_tei._engine import Outcome, Refresh, Response, Send, Step, Wait
from oci_tei._errors import CallAbandoned, EmbeddingConnectionError, EmbeddingTimeoutError
from oci_tei._inflight import InFlightLimit
from oci_tei._rate_limit import RequestRateLimiter
from oci_tei._tls import shared_ssl_context

if TYPE_CHECKING:
    # Imported with the first connection pool: `import langchain_oci_tei` does not pay
    # for httpx (which imports its command line's click and rich when they are installed).
    import httpx

__all__ = ["AsyncTransport", "SyncTransport"]

# Imported on first use rather than with the package (see ``AsyncTransport.prepare``).
_LAZY_MODULES = ("httpx", "numpy")


def _import_all(names: list[str]) -> None:
    for name in names:
        importlib.import_module(name)


T = TypeVar("T")


def _limits(max_connections: int) -> httpx.Limits:
    import httpx

    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


def _signed(step: Send, signer: RequestSigner | None) -> tuple[dict[str, str], int]:
    """Headers to send and the signer generation they were signed under."""
    if not step.signed:
        return dict(step.headers), 0
    if signer is None:  # pragma: no cover - the client never builds this combination
        raise RuntimeError("a signed endpoint needs a signer")
    generation = signer.generation
    return signer.sign(step.method, step.url, step.headers, step.content), generation


class _Requests:
    """Builds each step's ``httpx.Request``: the exact bytes signed, never re-encoded.

    What ``Client.request`` would do on every call — parse the URL, merge the client's
    default headers (``accept-encoding``, ``connection``...), turn the timeout into its
    extension — is done once per URL, client and timeout and kept, so a request costs
    one ``Request`` and one ``send``.
    """

    def __init__(self, client: httpx.Client | httpx.AsyncClient) -> None:
        self._defaults = {name.lower(): value for name, value in client.headers.items()}
        self._urls: dict[str, httpx.URL] = {}
        self._timeouts: dict[float, dict[str, Any]] = {}

    def build(self, step: Send, headers: dict[str, str]) -> httpx.Request:
        import httpx

        url = self._urls.get(step.url)
        if url is None:
            url = self._urls.setdefault(step.url, httpx.URL(step.url))
        timeout = self._timeouts.get(step.timeout)
        if timeout is None:
            timeout = self._timeouts.setdefault(step.timeout, httpx.Timeout(step.timeout).as_dict())
        merged = dict(self._defaults)
        for name, value in headers.items():
            merged[name.lower()] = value
        return httpx.Request(
            step.method,
            url,
            headers=merged,
            content=step.content or None,
            extensions={"timeout": timeout},
        )


def _failure(
    exc: httpx.TransportError, step: Send
) -> EmbeddingTimeoutError | EmbeddingConnectionError:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return EmbeddingTimeoutError(
            f"no answer from {step.url} within {step.timeout:g} s ({type(exc).__name__})"
        )
    return EmbeddingConnectionError(
        f"connection to {step.url} failed: {type(exc).__name__}: {exc or 'no detail'}"
    )


class SyncTransport:
    """Runs engine steps with blocking I/O; safe to share between threads."""

    def __init__(
        self,
        signer: RequestSigner | None,
        limit: InFlightLimit,
        rate: RequestRateLimiter | None = None,
    ) -> None:
        self._signer = signer
        self._limit = limit
        self._rate = rate
        self._client: tuple[httpx.Client, _Requests] | None = None
        self._lock = threading.Lock()

    def _http(self) -> tuple[httpx.Client, _Requests]:
        client = self._client
        if client is None:
            import httpx

            with self._lock:
                if self._client is None:
                    http = httpx.Client(
                        limits=_limits(self._limit.limit),
                        follow_redirects=False,
                        verify=shared_ssl_context(),
                    )
                    self._client = (http, _Requests(http))
                client = self._client
        return client

    def run(self, steps: Generator[Step, Outcome, T], abandon: threading.Event | None = None) -> T:
        """Drive a generator of steps to its result.

        Args:
            steps: The engine's generator.
            abandon: Set when the call failed elsewhere: stop before the next request
                and cut short a backoff wait.
        """
        abandon = abandon or threading.Event()
        outcome: Outcome = None
        while True:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if abandon.is_set():
                steps.close()
                raise CallAbandoned("abandoned: the call failed or was interrupted")
            if isinstance(step, Send):
                outcome = self._send(step, abandon)
                if outcome is None:  # abandoned while waiting for a slot or its turn
                    steps.close()
                    raise CallAbandoned("abandoned: the call failed or was interrupted")
            elif isinstance(step, Wait):
                abandon.wait(step.seconds)
                outcome = None
            else:
                outcome = self._refresh(step)

    def _send(self, step: Send, abandon: threading.Event) -> Outcome:
        import httpx

        with self._limit.slot():
            if self._rate is not None:
                self._rate.wait(abandon)
            # A call interrupted (Ctrl-C) or failed while this request queued for a slot or
            # its turn sends nothing: what was never sent is never embedded twice.
            if abandon.is_set():
                return None
            # Signed once a slot is free: a Date header must not age in the queue.
            headers, generation = _signed(step, self._signer)
            try:
                http, requests = self._http()
                answer = http.send(requests.build(step, headers))
            except httpx.TransportError as exc:
                return _failure(exc, step)
        return Response(answer.status_code, answer.headers, answer.content, generation)

    def _refresh(self, step: Refresh) -> bool:
        return self._signer is not None and self._signer.refresh(step.generation)

    def close(self) -> None:
        """Close pooled connections; the transport reopens them if used again."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client[0].close()


@dataclass
class _LoopPool:
    """A loop's connection pool, and the async generator that closes it at loop shutdown."""

    client: httpx.AsyncClient
    keeper: AsyncGenerator[None, None]


class AsyncTransport:
    """Runs engine steps on the running event loop; one pool per loop."""

    def __init__(
        self,
        signer: RequestSigner | None,
        limit: InFlightLimit,
        rate: RequestRateLimiter | None = None,
    ) -> None:
        self._signer = signer
        self._limit = limit
        self._rate = rate
        self._pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}
        self._lock = threading.Lock()
        # Every loop's client has the same defaults: one cache of URLs and headers.
        self._requests: _Requests | None = None

    @property
    def open_pools(self) -> int:
        """Pools held now (one per event loop in use; closed loops' are released)."""
        return len(self._pools)

    async def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is not None:
            return pool.client
        with self._lock:
            # Loops that closed without finalizing async generators: drop their pools so
            # the sockets close with them.
            for dead in [other for other in self._pools if other.is_closed()]:
                del self._pools[dead]
        import httpx

        client = httpx.AsyncClient(
            limits=_limits(self._limit.limit), follow_redirects=False, verify=shared_ssl_context()
        )
        if self._requests is None:
            self._requests = _Requests(client)
        keeper = self._keep(loop, client)
        # The first step registers the generator with this loop, which finalizes it (and
        # so closes the pool, on this loop) in ``shutdown_asyncgens`` before closing.
        await keeper.__anext__()
        with self._lock:
            self._pools[loop] = _LoopPool(client, keeper)
        return client

    async def _keep(
        self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient
    ) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:
                pool = self._pools.get(loop)
                if pool is not None and pool.client is client:
                    del self._pools[loop]
            await client.aclose()

    async def prepare(self) -> None:
        """Build the signer off the loop when that may do network I/O (IMDS).

        The modules the first request and its answer need (httpx, numpy) are imported
        off the loop too: imported lazily, on the loop, they would stall it.
        """
        missing = [name for name in _LAZY_MODULES if name not in sys.modules]
        if missing:
            await asyncio.to_thread(_import_all, missing)
        if self._signer is not None and self._signer.may_block:
            await asyncio.to_thread(self._signer.ensure_signer)

    async def run(self, steps: Generator[Step, Outcome, T]) -> T:
        """Drive a generator of steps to its result."""
        outcome: Outcome = None
        while True:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(step, Send):
                outcome = await self._send(step)
            elif isinstance(step, Wait):
                await asyncio.sleep(step.seconds)
                outcome = None
            else:
                outcome = await self._refresh(step)

    async def _send(self, step: Send) -> Outcome:
        import httpx

        client = await self._client()
        async with self._limit.aslot():
            if self._rate is not None:
                await self._rate.await_turn()
            signer = self._signer
            if step.signed and signer is not None and signer.may_block:
                # Token signers fetch a new token inside sign() when theirs nears expiry.
                headers, generation = await asyncio.to_thread(_signed, step, signer)
            else:
                headers, generation = _signed(step, signer)
            try:
                assert self._requests is not None  # made with the first client
                answer = await client.send(self._requests.build(step, headers))
            except httpx.TransportError as exc:
                return _failure(exc, step)
        return Response(answer.status_code, answer.headers, answer.content, generation)

    async def _refresh(self, step: Refresh) -> bool:
        signer = self._signer
        if signer is None:
            return False
        return await asyncio.to_thread(signer.refresh, step.generation)

    async def aclose(self) -> None:
        """Close the running loop's pool."""
        pool = self._pools.get(asyncio.get_running_loop())
        if pool is not None:
            await pool.keeper.aclose()

    def close(self) -> None:
        """Close every loop's pool: on its loop when that runs, else just let it go.

        A pool of the loop running in this thread closes in a task on it; pools of loops
        running elsewhere close in tasks scheduled there; pools of closed loops are dropped.
        """
        with self._lock:
            pools, self._pools = self._pools, {}
        for loop, pool in pools.items():
            if loop.is_closed():
                continue
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                asyncio.run_coroutine_threadsafe(pool.keeper.aclose(), loop)
