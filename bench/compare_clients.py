"""oci-tei's embedding classes against the peer OCI classes, through a signed gateway.

Every client embeds the same chunks through the OCI emulator's signed predict gateway at
OCI's default 10 Mbps, with 40 ms and 100 ms round trips, in one run:

* ours: ``langchain_oci_tei.OCITEIEmbeddings`` (defaults: base64, 32 per request, 8 in flight)
* llama-index ``OCIDataScienceEmbedding`` (its defaults)
* langchain-openai ``OpenAIEmbeddings`` over oracle-ads' AQUA OpenAI client
  (``chunk_size=32``: its default of 1000 inputs per request is refused by TEI)
* langchain-oci ``OCIModelDeploymentEndpointEmbeddings`` (as documented, and with 32 per request)

Two server settings: the real model on this CPU, and the network-bound case a GPU
deployment sees (vectors computed beforehand, so the container answers at once).

For each run it prints throughput, the ratio to the best working peer, and the ratio to
the limit: the smaller of the container's capacity and the bandwidth divided by the bytes
each vector costs on the wire (request plus response bodies, as the gateway counted them).
A client "works" when it returns one vector per chunk, in order, equal to the model's.
It also prints client CPU time per request and the cold import time of each adapter.

    python bench/compare_clients.py                 # 5000 chunks, both settings (~15 min)
    python bench/compare_clients.py --chunks 1000 --settings network

The gateway, the containers and the model run in a child process, so the CPU time
measured here is the clients' own. Prints; never asserts.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SETTINGS = ("network", "model")
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"  # the bundled model, as /info names it
CLIENTS = ("ours", "llama-index", "langchain-openai+aqua", "langchain-oci", "langchain-oci/32")
IMPORTS = {
    "ours (langchain)": "import langchain_oci_tei",
    "ours (llama-index)": "import llama_index_oci_tei",
    "llama-index OCIDataScienceEmbedding": "import llama_index.embeddings.oci_data_science",
    "langchain-openai + AQUA client": "import langchain_openai, ads.aqua.client.openai_client",
    "langchain-oci": "import langchain_oci.embeddings",
}
_WORDS = [
    "model",
    "deployment",
    "embedding",
    "vector",
    "search",
    "retrieval",
    "chunk",
    "document",
    "index",
    "query",
    "cloud",
    "oracle",
    "network",
    "bandwidth",
    "latency",
    "token",
    "batch",
    "server",
    "client",
    "signature",
    "region",
    "tenancy",
    "bucket",
    "object",
    "storage",
    "shape",
    "gpu",
    "container",
    "image",
    "inference",
    "throughput",
    "answer",
    "question",
    "river",
    "mountain",
    "library",
    "history",
    "science",
    "music",
    "garden",
    "winter",
    "summer",
    "market",
    "harbour",
]


def make_corpus(count: int, seed: int = 5) -> list[str]:
    """Deterministic chunks of 30-60 words (about 250-450 characters each)."""
    rng = random.Random(seed)
    return [
        f"Chunk {i}: " + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(30, 60))) + "."
        for i in range(count)
    ]


# -- the child process: containers, emulators, model -------------------------------------


class _Precomputed:
    """A backend that answers from vectors computed beforehand (the network-bound case)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._cache: dict[tuple[int, ...], Any] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def embed(self, batch: Sequence[Any], *, pooling: str, raw: Any = None) -> list[Any]:
        missing = [item for item in batch if tuple(item.ids) not in self._cache]
        if missing:
            for item, vector in zip(
                missing, self._inner.embed(missing, pooling=pooling), strict=True
            ):
                with self._lock:
                    self._cache[tuple(item.ids)] = vector
        return [self._cache[tuple(item.ids)] for item in batch]


def write_signing_config(workdir: Path) -> Path:
    """A throwaway API key (``public.pem`` for the emulators to trust) and its OCI config.

    One key for every emulator a benchmark starts, written before any of them runs.
    """
    from oci_tei_emulator._keys import (
        fingerprint,
        generate_private_key,
        private_key_pem,
        public_key_pem,
    )

    key = generate_private_key()
    (workdir / "key.pem").write_text(private_key_pem(key))
    (workdir / "public.pem").write_text(public_key_pem(key.public_key()))
    config = workdir / "config"
    config.write_text(
        "[DEFAULT]\nuser=ocid1.user.oc1..bench\ntenancy=ocid1.tenancy.oc1..bench\n"
        f"fingerprint={fingerprint(key.public_key())}\nkey_file={workdir / 'key.pem'}\n"
        "region=us-ashburn-1\n"
    )
    return config


def run_rig(args: argparse.Namespace) -> None:
    """Serve containers and emulators; answer ``stats`` on stdin with gateway byte counts."""
    from oci_tei._client import EmbeddingClient
    from oci_tei_emulator import Emulator, EmulatorConfig
    from oci_tei_local import LocalServer, ServerSettings, load_backend

    workdir = Path(tempfile.mkdtemp(prefix="oci-tei-bench-"))
    config = write_signing_config(workdir)
    backend = load_backend()
    servers = {
        "model": LocalServer(ServerSettings(port=0), backend=backend).start(),
        "network": LocalServer(ServerSettings(port=0), backend=_Precomputed(backend)).start(),
    }
    # Compute the network case's vectors beforehand, through its own container.
    with EmbeddingClient(endpoint=servers["network"].url, max_concurrency=2) as client:
        client.embed(make_corpus(args.chunks))
    emulators = {
        rtt: Emulator(
            EmulatorConfig(
                port=0,
                trusted_public_keys=[workdir / "public.pem"],
                trust_default_profile=False,
                rtt_ms=rtt,
                bandwidth_mbps=args.bandwidth,
                bandwidth_backlog_s=60.0,
            )
        ).start()
        for rtt in args.rtt
    }
    routes = {
        f"{setting}@{rtt}": emu.predict_url(emu.register_deployment(server.url))
        for rtt, emu in emulators.items()
        for setting, server in servers.items()
    }
    plain = {setting: server.url for setting, server in servers.items()}
    print(json.dumps({"config": str(config), "routes": routes, "plain": plain}), flush=True)
    for line in sys.stdin:
        if line.strip() == "stats":
            print(
                json.dumps({str(rtt): emu.predict_bytes for rtt, emu in emulators.items()}),
                flush=True,
            )
        elif line.strip() == "quit":
            break
    for emu in emulators.values():
        emu.stop()
    for server in servers.values():
        server.stop()


class Rig:
    """The child process, seen from the benchmark."""

    def __init__(self, args: argparse.Namespace) -> None:
        command = [
            sys.executable, __file__, "--rig", "--chunks", str(args.chunks),
            "--bandwidth", str(args.bandwidth), "--rtt", *map(str, args.rtt),
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )  # fmt: skip
        assert self._process.stdout is not None
        info = json.loads(self._process.stdout.readline())
        self.config: str = info["config"]
        self.routes: dict[str, str] = info["routes"]
        self.plain: dict[str, str] = info["plain"]

    def gateway_bytes(self, rtt: int) -> int:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("stats\n")
        self._process.stdin.flush()
        return int(json.loads(self._process.stdout.readline())[str(rtt)])

    def container_requests(self, setting: str) -> int:
        text = httpx.get(self.plain[setting] + "/metrics").text
        return sum(
            int(float(line.rsplit(" ", 1)[1]))
            for line in text.splitlines()
            if line.startswith("te_request_count")
        )

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write("quit\n")
        self._process.stdin.close()
        self._process.wait(timeout=30)


# -- the clients ---------------------------------------------------------------------------

Embed = Callable[[list[str]], list[list[float]]]


def build_client(name: str, url: str, config: str) -> Embed:
    """The named client's embed-documents call, configured for the gateway at ``url``."""
    import oci

    signer = oci.signer.Signer.from_config(oci.config.from_file(config))
    if name == "ours":
        from langchain_oci_tei import OCITEIEmbeddings

        return OCITEIEmbeddings(endpoint=url, auth="api_key", config_file=config).embed_documents
    if name == "llama-index":
        from llama_index.embeddings.oci_data_science import OCIDataScienceEmbedding

        return OCIDataScienceEmbedding(
            endpoint=url, auth={"signer": signer}
        ).get_text_embedding_batch
    if name == "langchain-openai+aqua":
        import ads
        from ads.aqua.client.openai_client import OpenAI
        from langchain_openai import OpenAIEmbeddings

        ads.set_auth("api_key", oci_config_location=config)
        aqua = OpenAI(base_url=url + "/v1", patch_headers=True)
        embeddings = OpenAIEmbeddings(
            client=aqua.embeddings, model=MODEL_NAME, api_key="OCI",
            check_embedding_ctx_length=False, chunk_size=32,
        )  # fmt: skip
        return embeddings.embed_documents
    from langchain_oci.embeddings import OCIModelDeploymentEndpointEmbeddings

    peer = OCIModelDeploymentEndpointEmbeddings(endpoint=url, auth={"signer": signer})
    if name == "langchain-oci/32":
        return lambda texts: peer.embed_documents(texts, chunk_size=32)
    return peer.embed_documents


@dataclass
class Result:
    client: str
    setting: str
    rtt: int
    status: str
    seconds: float = math.nan
    vectors_per_s: float = math.nan
    bytes_per_vector: float = math.nan
    limit: float = math.nan
    cpu_ms_per_request: float = math.nan


def _correct(vectors: Any, reference: list[list[float]]) -> str | None:
    """None when ``vectors`` are the reference vectors, in order; else what is wrong."""
    if not isinstance(vectors, list) or len(vectors) != len(reference):
        count = len(vectors) if isinstance(vectors, list) else type(vectors).__name__
        return f"WRONG: {count} results for {len(reference)} chunks"
    for index, (vector, expected) in enumerate(zip(vectors, reference, strict=True)):
        if not isinstance(vector, list) or len(vector) != len(expected):
            return f"WRONG: result {index} is not a {len(expected)}-d vector"
        if sum(a * b for a, b in zip(vector, expected, strict=True)) < 0.999:
            return f"WRONG: vector {index} is not the model's"
    return None


def run_one(
    name: str, setting: str, rtt: int, rig: Rig, corpus: list[str], reference: list[list[float]],
    capacity: float, bandwidth_mbps: float,
) -> Result:  # fmt: skip
    url = rig.routes[f"{setting}@{rtt}"]
    result = Result(name, setting, rtt, "ok")
    try:
        embed = build_client(name, url, rig.config)
        embed(corpus[:8])  # connections and lazy setup, not measured
    except Exception as exc:  # a peer that cannot even start is reported, not fatal
        result.status = f"FAILED to start: {type(exc).__name__}: {str(exc)[:80]}"
        return result
    bytes_before, requests_before = rig.gateway_bytes(rtt), rig.container_requests(setting)
    cpu_before, started = time.process_time(), time.perf_counter()
    try:
        vectors = embed(corpus)
    except Exception as exc:
        result.status = f"FAILED: {type(exc).__name__}: {str(exc).splitlines()[0][:90]}"
        return result
    result.seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    requests = max(1, rig.container_requests(setting) - requests_before)
    result.cpu_ms_per_request = 1000 * cpu / requests
    result.bytes_per_vector = (rig.gateway_bytes(rtt) - bytes_before) / len(corpus)
    result.limit = min(capacity, bandwidth_mbps * 1e6 / 8 / result.bytes_per_vector)
    result.vectors_per_s = len(corpus) / result.seconds
    result.status = _correct(vectors, reference) or "ok"
    return result


def measure_capacity(url: str, corpus: list[str]) -> float:
    """Vectors/s of a container with nothing in between (plain HTTP, base64, 8 in flight)."""
    from oci_tei._client import EmbeddingClient

    sample = corpus[: min(len(corpus), 2000)]
    with EmbeddingClient(endpoint=url) as client:
        client.embed(sample[:64])
        started = time.perf_counter()
        client.embed(sample)
    return len(sample) / (time.perf_counter() - started)


def cold_import_seconds(statement: str) -> float:
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    baseline = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return best - (time.perf_counter() - baseline)


def print_table(results: list[Result]) -> None:
    header = (
        f"{'setting':8} {'rtt':>4} {'client':22} {'vectors/s':>10} {'vs best peer':>12} "
        f"{'of limit':>9} {'limit/s':>8} {'B/vector':>9} {'CPU ms/req':>10}  status"
    )
    print(header)
    print("-" * len(header))
    for (setting, rtt), group in _groups(results).items():
        peers = [r.vectors_per_s for r in group if r.client != "ours" and r.status == "ok"]
        best_peer = max(peers, default=math.nan)
        for r in group:
            versus = r.vectors_per_s / best_peer if r.status == "ok" else math.nan
            print(
                f"{setting:8} {rtt:>4} {r.client:22} {r.vectors_per_s:>10.1f} {versus:>11.2f}x "
                f"{r.vectors_per_s / r.limit:>9.2f} {r.limit:>8.0f} {r.bytes_per_vector:>9.0f} "
                f"{r.cpu_ms_per_request:>10.2f}  {r.status}"
            )
        print()


def _groups(results: list[Result]) -> dict[tuple[str, int], list[Result]]:
    groups: dict[tuple[str, int], list[Result]] = {}
    for result in results:
        groups.setdefault((result.setting, result.rtt), []).append(result)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--rtt", type=int, nargs="+", default=[40, 100], help="round trips, ms")
    parser.add_argument("--bandwidth", type=float, default=10.0, help="Mbps, OCI's default 10")
    parser.add_argument("--settings", nargs="+", choices=SETTINGS, default=list(SETTINGS))
    parser.add_argument("--clients", nargs="+", choices=CLIENTS, default=list(CLIENTS))
    parser.add_argument("--rig", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # oracle-ads turns request logs on
    if args.rig:
        run_rig(args)
        return

    print("cold import time (s, best of 3, interpreter start excluded):")
    for label, statement in IMPORTS.items():
        print(f"  {label:38} {cold_import_seconds(statement):6.2f}")
    print()

    corpus = make_corpus(args.chunks)
    rig = Rig(args)
    try:
        from oci_tei._client import EmbeddingClient

        with EmbeddingClient(endpoint=rig.plain["network"]) as client:
            reference = client.embed(corpus)
        results = []
        for setting in args.settings:
            capacity = measure_capacity(rig.plain[setting], corpus)
            print(f"{setting}: container capacity {capacity:.0f} vectors/s", flush=True)
            for rtt in args.rtt:
                for name in args.clients:
                    result = run_one(
                        name, setting, rtt, rig, corpus, reference, capacity, args.bandwidth
                    )
                    print(
                        f"  {setting} {rtt} ms {name}: {result.vectors_per_s:.1f}/s {result.status}",
                        flush=True,
                    )
                    results.append(result)
        print()
        print(f"{args.chunks} chunks, {args.bandwidth:g} Mbps, signed gateway (oci-tei emulate)")
        print_table(results)
    finally:
        rig.close()


if __name__ == "__main__":
    main()
