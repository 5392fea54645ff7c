"""Dynamic batching, a responsive event loop under load, and TEI's concurrency permits.

``GatedBackend`` wraps the real model and holds each batch at a gate until the test
opens it, so "while a batch is computing" is a state the test controls, not a race.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx
import numpy as np
import pytest

from oci_tei_local import Backend, LocalServer, ServerSettings
from oci_tei_local._backend import SentenceTransformersBackend, Vector
from oci_tei_local._model_files import ModelFiles
from oci_tei_local._tokenization import Encoded
from tests.fixtures.tei import metric


class GatedBackend:
    """The real backend, but each batch waits at a gate before computing."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self.batch_sizes: list[int] = []

    @property
    def files(self) -> ModelFiles:
        return self.inner.files

    @property
    def dtype(self) -> str:
        return self.inner.dtype

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(
        self, batch: Sequence[Encoded], *, pooling: str, raw: Sequence[bool] | None = None
    ) -> list[Vector]:
        self.batch_sizes.append(len(batch))
        self.entered.release()
        assert self.gate.wait(60), "the test never opened the gate"
        return self.inner.embed(batch, pooling=pooling, raw=raw)

    def health(self) -> None:
        self.inner.health()


@contextmanager
def gated_server(
    backend: Backend, **overrides: object
) -> Iterator[tuple[LocalServer, GatedBackend]]:
    gated = GatedBackend(backend)
    settings = ServerSettings(**{"port": 0, "hostname": "127.0.0.1", **overrides})  # type: ignore[arg-type]
    server = LocalServer(settings, backend=gated).start()
    try:
        yield server, gated
    finally:
        gated.gate.set()
        server.stop()


async def wait_for_queue(client: httpx.AsyncClient, size: int) -> None:
    for _ in range(500):
        if metric((await client.get("/metrics")).text, "te_queue_size") == size:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the queue never reached {size}")


def test_gated_backend_satisfies_protocol(tei_backend: Backend) -> None:
    assert isinstance(GatedBackend(tei_backend), Backend)


async def test_concurrent_requests_share_a_model_batch(tei_backend: Backend) -> None:
    with gated_server(tei_backend) as (server, gated):
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            first = asyncio.create_task(client.post("/embed", json={"inputs": "first"}))
            assert await asyncio.to_thread(gated.entered.acquire, True, 30)
            # The model is busy: these queue up, and /health and /metrics still answer.
            later = [
                asyncio.create_task(client.post("/embed", json={"inputs": f"text {i}"}))
                for i in range(4)
            ]
            later.append(asyncio.create_task(client.post("/embed", json={"inputs": ["x", "y"]})))
            later.append(
                asyncio.create_task(client.post("/v1/embeddings", json={"input": ["z", "w"]}))
            )
            await wait_for_queue(client, 8)
            health = await client.get("/health")
            assert health.status_code == 200
            assert not first.done()

            gated.gate.set()
            responses = await asyncio.gather(first, *later)
            assert all(r.status_code == 200 for r in responses)
            metrics = (await client.get("/metrics")).text

    assert gated.batch_sizes == [1, 8]  # six requests, eight inputs, one model batch
    assert metric(metrics, "te_batch_next_size_count") == 2
    assert metric(metrics, "te_batch_next_size_sum") == 9
    # Sharing a batch does not change results.
    assert isinstance(tei_backend, SentenceTransformersBackend)
    np.testing.assert_allclose(responses[5].json(), tei_backend.encode(["x", "y"]), atol=1e-5)


async def test_batches_respect_the_token_budget(tei_backend: Backend) -> None:
    # "hello" is 3 tokens: a 10-token budget (counted padded) fits 3 inputs per batch.
    with gated_server(tei_backend, max_batch_tokens=10) as (server, gated):
        gated.gate.set()
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            response = await client.post("/embed", json={"inputs": ["hello"] * 7})
    assert response.status_code == 200
    assert gated.batch_sizes == [3, 3, 1]


async def test_batches_respect_max_batch_requests(tei_backend: Backend) -> None:
    with gated_server(tei_backend, max_batch_requests=2) as (server, gated):
        gated.gate.set()
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            response = await client.post("/embed", json={"inputs": ["a", "b", "c", "d", "e"]})
            info = (await client.get("/info")).json()
    assert response.status_code == 200
    assert gated.batch_sizes == [2, 2, 1]
    assert info["max_batch_requests"] == 2


async def test_overloaded_when_permits_run_out(tei_backend: Backend) -> None:
    with gated_server(tei_backend, max_concurrent_requests=2) as (server, gated):
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            # Each input takes a permit: three inputs never fit in two.
            too_many = await client.post("/embed", json={"inputs": ["a", "b", "c"]})
            assert too_many.status_code == 429
            assert too_many.json() == {"error": "Model is overloaded", "error_type": "Overloaded"}

            busy = asyncio.create_task(client.post("/embed", json={"inputs": ["a", "b"]}))
            assert await asyncio.to_thread(gated.entered.acquire, True, 30)
            single = await client.post("/embed", json={"inputs": "c"})
            openai = await client.post("/v1/embeddings", json={"input": "c"})
            predict = await client.post("/predict", json={"inputs": "c"})
            gated.gate.set()
            assert (await busy).status_code == 200
            after = await client.post("/embed", json={"inputs": ["a", "b"]})
            metrics = (await client.get("/metrics")).text

    assert single.status_code == openai.status_code == predict.status_code == 429
    assert openai.json() == {"message": "Model is overloaded", "code": 429, "type": "Overloaded"}
    assert after.status_code == 200  # permits come back
    assert metric(metrics, 'te_request_failure{err="overloaded"}') == 4


async def test_tei_1_5_batches_wait_for_permits(tei_backend: Backend) -> None:
    with gated_server(tei_backend, max_concurrent_requests=2, compat="1.5") as (server, gated):
        gated.gate.set()
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            # TEI 1.5 made each input of a batch wait for a permit instead of failing.
            waited = await client.post("/embed", json={"inputs": ["a", "b", "c", "d", "e"]})
    assert waited.status_code == 200
    assert len(waited.json()) == 5
    assert max(gated.batch_sizes) <= 2  # never more inputs in flight than permits


async def test_tei_1_5_single_input_is_overloaded(tei_backend: Backend) -> None:
    with gated_server(tei_backend, max_concurrent_requests=2, compat="1.5") as (server, gated):
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            busy = [asyncio.create_task(client.post("/embed", json={"inputs": "a"}))]
            assert await asyncio.to_thread(gated.entered.acquire, True, 30)
            busy.append(asyncio.create_task(client.post("/embed", json={"inputs": "b"})))
            await wait_for_queue(client, 1)  # both permits are held now
            single = await client.post("/embed", json={"inputs": "c"})
            gated.gate.set()
            assert all(r.status_code == 200 for r in await asyncio.gather(*busy))
    assert single.status_code == 429
    assert single.json() == {"error": "Model is overloaded", "error_type": "Overloaded"}


async def test_failed_batch_is_a_backend_error_and_health_recovers(tei_backend: Backend) -> None:
    class Failing(GatedBackend):
        fail = True

        def embed(
            self, batch: Sequence[Encoded], *, pooling: str, raw: Sequence[bool] | None = None
        ) -> list[Vector]:
            if self.fail:
                raise RuntimeError("out of memory")
            return self.inner.embed(batch, pooling=pooling, raw=raw)

    backend = Failing(tei_backend)
    server = LocalServer(ServerSettings(port=0), backend=backend).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            failed = await client.post("/embed", json={"inputs": "a"})
            assert failed.status_code == 424
            assert failed.json() == {
                "error": "Backend error: out of memory",
                "error_type": "Backend",
            }
            backend.fail = False
            assert (await client.get("/health")).status_code == 200  # re-probed, healthy
            assert (await client.post("/embed", json={"inputs": "a"})).status_code == 200
    finally:
        server.stop()


async def test_unhealthy_backend_answers_503(
    tei_backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(GatedBackend):
        def embed(
            self, batch: Sequence[Encoded], *, pooling: str, raw: Sequence[bool] | None = None
        ) -> list[Vector]:
            raise RuntimeError("device lost")

        def health(self) -> None:
            raise RuntimeError("device lost")

    server = LocalServer(ServerSettings(port=0), backend=Broken(tei_backend)).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            assert (await client.post("/embed", json={"inputs": "a"})).status_code == 424
            health = await client.get("/health")
    finally:
        server.stop()
    assert health.status_code == 503
    assert health.json() == {"error": "unhealthy", "error_type": "Unhealthy"}  # TEI's body
    failed = [r for r in caplog.records if r.getMessage().startswith("health check failed")]
    assert failed, caplog.text
    assert "RuntimeError: device lost" in failed[0].getMessage()
    assert failed[0].levelno == logging.ERROR
