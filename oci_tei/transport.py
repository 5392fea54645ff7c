"""Executing engine steps over HTTP: one synchronous and one asynchronous transport.

Both run the same generators from ``oci_tei.engine``; they differ only in how they
send, sleep and refresh. Each owns a connection pool: the sync transport one
``httpx.Client`` shared by its worker threads, the async transport one
``httpx.AsyncClient`` per event loop (connections belong to the loop that opened them,
so a client reused across ``asyncio.run`` calls gets a fresh pool for each new loop).
Both bound in-flight requests per client, across concurrent calls, with a semaphore.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from oci_tei.auth import RequestSigner
from oci_tei.engine import Outcome, Refresh, Response, Send, Step, Wait
from oci_tei.errors import CallAbandoned, EmbeddingConnectionError, EmbeddingTimeoutError

__all__ = ["AsyncTransport", "SyncTransport"]

T = TypeVar("T")


def _limits(max_connections: int) -> httpx.Limits:
    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


def _signed(step: Send, signer: RequestSigner | None) -> tuple[dict[str, str], int]:
    """Headers to send and the signer generation they were signed under."""
    if not step.signed:
        return dict(step.headers), 0
    if signer is None:  # pragma: no cover - the client never builds this combination
        raise RuntimeError("a signed endpoint needs a signer")
    generation = signer.generation
    return signer.sign(step.method, step.url, step.headers, step.content), generation


def _request_arguments(step: Send, headers: dict[str, str]) -> dict[str, Any]:
    """Arguments of ``httpx`` requests: the exact bytes that were signed, never re-encoded."""
    return {
        "method": step.method,
        "url": step.url,
        "content": step.content or None,
        "headers": headers,
        "timeout": step.timeout,
    }


def _failure(
    exc: httpx.TransportError, step: Send
) -> EmbeddingTimeoutError | EmbeddingConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return EmbeddingTimeoutError(
            f"no answer from {step.url} within {step.timeout:g} s ({type(exc).__name__})"
        )
    return EmbeddingConnectionError(
        f"connection to {step.url} failed: {type(exc).__name__}: {exc or 'no detail'}"
    )


class SyncTransport:
    """Runs engine steps with blocking I/O; safe to share between threads."""

    def __init__(self, signer: RequestSigner | None, max_concurrency: int) -> None:
        self._signer = signer
        self._max_concurrency = max_concurrency
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _http(self) -> httpx.Client:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = httpx.Client(
                        limits=_limits(self._max_concurrency), follow_redirects=False
                    )
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
                raise CallAbandoned("abandoned: another batch of this call failed")
            if isinstance(step, Send):
                outcome = self._send(step)
            elif isinstance(step, Wait):
                abandon.wait(step.seconds)
                outcome = None
            else:
                outcome = self._refresh(step)

    def _send(self, step: Send) -> Outcome:
        with self._slots:
            # Signed once a slot is free: a Date header must not age in the queue.
            headers, generation = _signed(step, self._signer)
            try:
                answer = self._http().request(**_request_arguments(step, headers))
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
            client.close()


@dataclass
class _LoopResources:
    client: httpx.AsyncClient
    slots: asyncio.Semaphore


class AsyncTransport:
    """Runs engine steps on the running event loop; one pool per loop."""

    def __init__(self, signer: RequestSigner | None, max_concurrency: int) -> None:
        self._signer = signer
        self._max_concurrency = max_concurrency
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopResources] = (
            weakref.WeakKeyDictionary()
        )

    def _resources(self) -> _LoopResources:
        loop = asyncio.get_running_loop()
        resources = self._per_loop.get(loop)
        if resources is None:
            resources = _LoopResources(
                httpx.AsyncClient(limits=_limits(self._max_concurrency), follow_redirects=False),
                asyncio.Semaphore(self._max_concurrency),
            )
            self._per_loop[loop] = resources
        return resources

    async def prepare(self) -> None:
        """Build the signer off the loop when that may do network I/O (IMDS)."""
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
        resources = self._resources()
        async with resources.slots:
            headers, generation = _signed(step, self._signer)
            try:
                answer = await resources.client.request(**_request_arguments(step, headers))
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
        resources = self._per_loop.pop(asyncio.get_running_loop(), None)
        if resources is not None:
            await resources.client.aclose()
