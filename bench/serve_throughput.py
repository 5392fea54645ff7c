"""Throughput of the local TEI server against the same model called in process.

Embeds the same batches (32 sentences each, the TEI default client batch) four ways:

* in process: ``backend.encode(batch)`` (tokenize, forward, normalize), no HTTP;
* over HTTP, ``/v1/embeddings`` with ``encoding_format=float`` (JSON numbers);
* over HTTP, ``encoding_format=base64`` (what the OpenAI SDK asks for);
* over HTTP, base64, several clients at once (dynamic batching shares model batches).

Each mode runs ``--passes`` times and keeps its best pass, to damp noise from other work
on the machine. Prints sentences/s and the ratio to in process, and the share of server
time spent outside the model (from TEI's ``x-total-time``/``x-inference-time`` headers),
which noise on a shared machine hardly moves; asserts nothing.

    python bench/serve_throughput.py [--sentences 1024] [--passes 3] [--clients 4]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import os
import random
import time
from collections.abc import Callable, Sequence

import httpx
import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from oci_tei_local import LocalServer, ServerSettings, load_backend
from oci_tei_local._backend import SentenceTransformersBackend

# fmt: off
WORDS = [
    "the", "a", "model", "server", "embedding", "vector", "cloud", "deployment", "request",
    "batch", "token", "sentence", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
    "data", "science", "oracle", "inference", "latency", "throughput", "search", "retrieval",
    "document", "query", "answer", "question", "context", "window", "memory", "compute",
]
# fmt: on


def corpus(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(6, 40))) + "." for _ in range(count)]


def batches(texts: Sequence[str], size: int) -> list[list[str]]:
    return [list(texts[i : i + size]) for i in range(0, len(texts), size)]


def best_rate(run: Callable[[], None], sentences: int, passes: int) -> float:
    best = float("inf")
    for _ in range(passes):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return sentences / best


def http_pass(
    url: str, work: list[list[str]], encoding: str, clients: int, server_ms: list[int]
) -> Callable[[], None]:
    """One pass over ``work``; adds (total, inference) ms from TEI's headers to ``server_ms``."""

    def one_client(chunk: list[list[str]]) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            for batch in chunk:
                response = client.post(
                    "/v1/embeddings", json={"input": batch, "encoding_format": encoding}
                )
                response.raise_for_status()
                server_ms[0] += int(response.headers["x-total-time"])
                server_ms[1] += int(response.headers["x-inference-time"])
                data = response.json()["data"]
                if encoding == "base64":
                    np.stack([np.frombuffer(base64.b64decode(d["embedding"]), "<f4") for d in data])
                else:
                    np.array([d["embedding"] for d in data], dtype=np.float32)

    def run() -> None:
        if clients == 1:
            one_client(work)
            return
        shards = [work[i::clients] for i in range(clients)]
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            list(pool.map(one_client, shards))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    backend = load_backend()
    assert isinstance(backend, SentenceTransformersBackend)
    texts = corpus(args.sentences)
    work = batches(texts, args.batch)

    def in_process() -> None:
        for batch in work:
            backend.encode(batch)

    in_process()  # warm up
    rows: list[tuple[str, float]] = [
        ("in process (backend.encode)", best_rate(in_process, len(texts), args.passes))
    ]
    server_ms = [0, 0]
    with LocalServer(ServerSettings(port=0), backend=backend) as server:
        http_pass(server.url, work[:2], "float", 1, [0, 0])()  # warm up
        for label, encoding, clients in (
            ("HTTP /v1/embeddings float", "float", 1),
            ("HTTP /v1/embeddings base64", "base64", 1),
            (f"HTTP base64, {args.clients} clients", "base64", args.clients),
        ):
            counters = server_ms if clients == 1 else [0, 0]
            run = http_pass(server.url, work, encoding, clients, counters)
            rows.append((label, best_rate(run, len(texts), args.passes)))

    baseline = rows[0][1]
    print(
        f"{len(texts)} sentences, batches of {args.batch}, best of {args.passes} passes, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'mode':<34} {'sentences/s':>12} {'ratio':>7}")
    for label, rate in rows:
        print(f"{label:<34} {rate:>12.1f} {rate / baseline:>7.2f}")
    # Robust to machine noise: the share of server time not spent in the model.
    overhead = 1 - server_ms[1] / server_ms[0] if server_ms[0] else 0.0
    print(f"server time outside the model (single client, TEI headers): {overhead:.1%}")


if __name__ == "__main__":
    main()
