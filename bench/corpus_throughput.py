"""Corpus-scale embedding: throughput past OCI's 150 requests/s, memory, and `oci-tei embed`.

Three measurements, printed as ratios in one run (never asserted anywhere):

1. **Throughput** through the emulator's signed predict gateway at 1 000 Mbps with its
   150 requests/s tenancy cap, in front of a server that answers at once (vectors
   computed beforehand, as a GPU deployment is network-bound): oci-tei's ``embed_array``
   at batch 32 (TEI's default) and at batch 256 (the server's limits raised to match, as
   a spec's ``tei.max_client_batch_size`` does), each against the limit
   ``min(bandwidth / bytes per vector, 150 x batch)``, and the best peer class (their
   defaults: langchain-openai over AQUA with ``chunk_size=32``, llama-index
   ``OCIDataScienceEmbedding``). Each process's CPU use says what saturates first.
2. **Memory**: peak RSS growth of ``embed_array`` for 100 000 short texts (384 dimensions),
   against the array's own size (goal: at most 1.5x).
3. **`oci-tei embed`** on 100 000 JSON Lines into Parquet: vectors/s against
   ``embed_array`` on the same texts through the same gateway (goal: at least 0.9).

    python bench/corpus_throughput.py                      # all three (~5 min)
    python bench/corpus_throughput.py --parts throughput --vectors 100000
    python bench/corpus_throughput.py --parts cli --rounds 7   # oci-tei embed only (~2.5 min)

The emulator and the server run in two child processes, so each process's CPU time is
its own: on a 2-core machine the three processes share two cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DIMENSION = 384  # the bundled all-MiniLM-L6-v2
PARTS = ("throughput", "memory", "cli")


def make_texts(count: int) -> list[str]:
    """Short, distinct chunks (about 60 characters)."""
    words = ["river", "model", "vector", "search", "cloud", "index", "query", "garden"]
    return [
        f"chunk {i}: {words[i % 8]} {words[(i // 8) % 8]} and {words[(i // 64) % 8]}"
        for i in range(count)
    ]


# -- child processes ---------------------------------------------------------------------


class Instant:
    """The bundled model's files and tokenizer, answering from a pool of fixed vectors.

    The server still tokenizes, validates, normalizes and encodes every input as TEI
    does; only the forward pass is replaced, as on a GPU that is never the bottleneck.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        rng = np.random.default_rng(7)
        pool = rng.standard_normal((4096, inner.dimension)).astype(np.float32)
        self._pool = list(pool / np.linalg.norm(pool, axis=1, keepdims=True))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def embed(self, batch: Any, *, pooling: str, raw: Any = None) -> list[Any]:
        return [self._pool[hash(tuple(item.ids)) % len(self._pool)] for item in batch]


def _serve_until_quit(report: Any) -> None:
    """Answer ``stats`` on stdin with ``report()`` until ``quit``."""
    for line in sys.stdin:
        if line.strip() == "stats":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            print(json.dumps({**report(), "cpu": usage.ru_utime + usage.ru_stime}), flush=True)
        elif line.strip() == "quit":
            return


def run_server(batch: int) -> None:
    from oci_tei_local import LocalServer, ServerSettings, load_backend

    settings = ServerSettings(
        port=0,
        max_client_batch_size=batch,
        max_concurrent_requests=batch * 16,
        payload_limit=9_000_000,
        max_batch_tokens=1 << 20,
    )
    server = LocalServer(settings, backend=Instant(load_backend())).start()
    print(json.dumps({"url": server.url}), flush=True)
    _serve_until_quit(dict)
    server.stop()


def run_emulator(bandwidth: float, rps: float, rtt: float) -> None:
    from compare_clients import write_signing_config

    from oci_tei_emulator import Emulator, EmulatorConfig

    workdir = Path(tempfile.mkdtemp(prefix="oci-tei-corpus-bench-"))
    config = write_signing_config(workdir)
    emulator = Emulator(
        EmulatorConfig(
            port=0,
            trusted_public_keys=[workdir / "public.pem"],
            trust_default_profile=False,
            bandwidth_mbps=bandwidth,
            requests_per_second=rps,
            rtt_ms=rtt,
        )
    ).start()
    print(json.dumps({"url": emulator.url, "config": str(config)}), flush=True)
    targets: dict[str, str] = {}
    for line in sys.stdin:
        command = line.strip()
        if command.startswith("register "):
            container = command.split(" ", 1)[1]
            targets[container] = emulator.predict_url(emulator.register_deployment(container))
            print(json.dumps({"predict": targets[container]}), flush=True)
        elif command == "stats":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu = usage.ru_utime + usage.ru_stime
            print(json.dumps({"bytes": emulator.predict_bytes, "cpu": cpu}), flush=True)
        elif command == "quit":
            break
    emulator.stop()


class Child:
    """A child process of this script, driven line by line over stdin/stdout."""

    def __init__(self, *arguments: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        return dict(json.loads(self._process.stdout.readline()))

    def ask(self, command: str) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return self._read()

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write("quit\n")
        self._process.stdin.close()
        self._process.wait(timeout=60)


# -- measurements --------------------------------------------------------------------------


class Meter:
    """Wall time, bytes through the gateway, and each process's CPU over one run."""

    def __init__(self, emulator: Child, server: Child) -> None:
        self.emulator, self.server = emulator, server

    def __enter__(self) -> Meter:
        self._gateway = self.emulator.ask("stats")
        self._server = self.server.ask("stats")
        self._cpu = time.process_time()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self._started
        self.client_cpu = (time.process_time() - self._cpu) / self.seconds
        gateway, server = self.emulator.ask("stats"), self.server.ask("stats")
        self.bytes = gateway["bytes"] - self._gateway["bytes"]
        self.emulator_cpu = (gateway["cpu"] - self._gateway["cpu"]) / self.seconds
        self.server_cpu = (server["cpu"] - self._server["cpu"]) / self.seconds

    def cpu(self) -> str:
        return (
            f"CPU: client {self.client_cpu:.0%}, emulator {self.emulator_cpu:.0%}, "
            f"server {self.server_cpu:.0%} of one core"
        )


def ours(url: str, config: str, batch: int) -> Any:
    from oci_tei._client import EmbeddingClient

    return EmbeddingClient(
        endpoint=url,
        auth="api_key",
        config_file=config,
        batch_size=batch,
        server_permits=batch * 16,
        max_request_bytes=9_000_000,
    )


def throughput(args: argparse.Namespace, emulator: Child, servers: dict[int, Child]) -> None:
    sys.path.insert(0, str(HERE))
    from compare_clients import build_client  # the peers, configured as in that benchmark

    config = emulator.info["config"]
    texts = make_texts(args.vectors)
    print(f"\n== throughput: {args.vectors} short texts, {args.bandwidth:g} Mbps, "
          f"{args.rps:g} requests/s cap, rtt {args.rtt:g} ms ==")  # fmt: skip
    rows = []
    for batch, server in servers.items():
        url = emulator.ask(f"register {server.info['url']}")["predict"]
        with ours(url, config, batch) as client:
            client.embed_array(texts[:2000])  # connections, first signatures
            time.sleep(1.5)  # let the tenancy's token bucket refill
            before = client.usage()
            with Meter(emulator, server) as meter:
                array = client.embed_array(texts)
            used = client.usage() - before
            retries = used.retries
        assert array.shape == (len(texts), DIMENSION)
        per_vector = meter.bytes / len(texts)
        limit = min(args.bandwidth * 1e6 / 8 / per_vector, args.rps * batch)
        rate = len(texts) / meter.seconds
        rows.append(("oci-tei embed_array", batch, rate, limit, per_vector, retries, meter))
        print(f"  oci-tei batch {batch}: {rate:.0f} vectors/s, {rate / limit:.2f} of the limit "
              f"{limit:.0f}/s, {retries} retries (429s backed off); {meter.cpu()}", flush=True)  # fmt: skip
        # What saturates first: each process's CPU per request, scaled to the cap's rate.
        per_request = {
            part: 1000 * share * meter.seconds / used.requests
            for part, share in (("client", meter.client_cpu), ("emulator", meter.emulator_cpu),
                                ("server", meter.server_cpu))
        }  # fmt: skip
        print("    CPU ms per request: " + ", ".join(
            f"{part} {ms:.1f} ({ms * args.rps / 1000:.2f} cores at {args.rps:g}/s)"
            for part, ms in per_request.items()
        ) + f"; {sum(per_request.values()) * args.rps / 1000:.2f} cores in all", flush=True)  # fmt: skip
        if batch == min(servers):
            peer_texts = texts[: args.peer_vectors]
            for name in ("langchain-openai+aqua", "llama-index"):
                embed = build_client(name, url, config)
                embed(peer_texts[:64])
                time.sleep(1.5)
                with Meter(emulator, server) as meter:
                    vectors = embed(peer_texts)
                assert len(vectors) == len(peer_texts)
                peer_bytes = meter.bytes / len(peer_texts)
                peer_limit = min(args.bandwidth * 1e6 / 8 / peer_bytes, args.rps * batch)
                peer_rate = len(peer_texts) / meter.seconds
                rows.append((name, 32 if "openai" in name else 10, peer_rate, peer_limit,
                             peer_bytes, 0, meter))  # fmt: skip
                print(f"  {name}: {peer_rate:.0f} vectors/s; {meter.cpu()}", flush=True)
    # What each part manages alone: the server over plain HTTP (no gateway, no cap).
    from oci_tei._client import EmbeddingClient

    for batch, server in servers.items():
        with EmbeddingClient(
            endpoint=server.info["url"], batch_size=batch, server_permits=batch * 16
        ) as client:
            client.embed_array(texts[:2000])
            with Meter(emulator, server) as meter:
                client.embed_array(texts)
        print(f"  server alone, batch {batch} (plain HTTP, no gateway, no cap): "
              f"{len(texts) / meter.seconds:.0f} vectors/s; {meter.cpu()}", flush=True)  # fmt: skip
    best_peer = max(r[2] for r in rows if not r[0].startswith("oci-tei"))
    print(f"\n{'client':22} {'batch':>5} {'vectors/s':>10} {'limit/s':>8} {'of limit':>9} "
          f"{'vs best peer':>12} {'B/vector':>9} {'429s':>5}  CPU client/emulator/server")  # fmt: skip
    for name, batch, rate, limit, per_vector, retries, meter in rows:
        print(f"{name:22} {batch:>5} {rate:>10.0f} {limit:>8.0f} {rate / limit:>9.2f} "
              f"{rate / best_peer:>11.2f}x {per_vector:>9.0f} {retries:>5}  "
              f"{meter.client_cpu:.0%}/{meter.emulator_cpu:.0%}/{meter.server_cpu:.0%}")  # fmt: skip
    ours_rows = {r[1]: r for r in rows if r[0].startswith("oci-tei")}
    if len(ours_rows) == 2:
        small, large = (ours_rows[b] for b in sorted(ours_rows))
        print(f"batch {large[1]} vs {small[1]}: {large[2] / small[2]:.2f}x the vectors/s")


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def memory_child(url: str, count: int, lists: bool) -> None:
    """In a fresh process: baseline RSS, then the peak while embedding (sampled every ms)."""
    import gc

    from oci_tei._client import EmbeddingClient

    texts = make_texts(count)
    with EmbeddingClient(endpoint=url, batch_size=32) as client:
        client.embed_array(texts[:1000])  # connections, threads, first decode
        gc.collect()
        baseline = _rss_kib()
        peak = baseline
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _rss_kib())
                time.sleep(0.001)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        result: Any = client.embed(texts) if lists else client.embed_array(texts)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        peak = max(peak, _rss_kib())
        size = count * DIMENSION * 4
        assert len(result) == count
    print(json.dumps({"growth": (peak - baseline) * 1024, "array": size, "seconds": seconds}))


def memory(args: argparse.Namespace, server: Child) -> None:
    print(f"\n== memory: {args.memory_vectors} x {DIMENSION} float32, plain HTTP, batch 32 ==")
    results = {}
    for kind in ("embed_array", "embed (lists)") if args.lists else ("embed_array",):
        command = [sys.executable, __file__, "--memory-child", server.info["url"],
                   "--memory-vectors", str(args.memory_vectors)]  # fmt: skip
        if kind != "embed_array":
            command.append("--lists")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    size = results["embed_array"]["array"]
    print(f"the array itself: {size / 1e6:.1f} MB")
    for kind, result in results.items():
        print(f"  {kind:14} peak RSS growth {result['growth'] / 1e6:7.1f} MB = "
              f"{result['growth'] / size:.2f}x the array ({result['seconds']:.1f} s)")  # fmt: skip


def cli(args: argparse.Namespace, emulator: Child, server: Child, batch: int) -> None:
    config = emulator.info["config"]
    url = emulator.ask(f"register {server.info['url']}")["predict"]
    texts = make_texts(args.cli_vectors)
    print(
        f"\n== oci-tei embed: {args.cli_vectors} JSON Lines -> Parquet, batch {batch}, "
        "through the gateway =="
    )
    workdir = Path(tempfile.mkdtemp(prefix="oci-tei-embed-bench-"))
    source = workdir / "corpus.jsonl"
    with open(source, "w") as handle:
        for index, text in enumerate(texts):
            handle.write(json.dumps({"id": f"doc-{index}", "text": text}) + "\n")
    command = [sys.executable, "-m", "oci_tei", "embed", str(source), "-o",
               str(workdir / "vectors.parquet"), "--id-field", "id", "--endpoint", url,
               "--auth", "api_key", "--config-file", config, "--batch-size", str(batch),
               "--server-permits", str(batch * 16), "--max-request-bytes", "9000000",
               "--no-progress", "--restart"]  # fmt: skip
    # Alternating rounds, medians: one run on a shared machine says little.
    array_rates, cli_rates, walls, array_cpu, cli_cpu = [], [], [], [], []
    closing = ""
    for _ in range(args.rounds):
        with ours(url, config, batch) as client:
            client.embed_array(texts[:2000])
            time.sleep(1.5)  # the tenancy's token bucket refills
            started, cpu = time.perf_counter(), time.process_time()
            client.embed_array(texts)
            array_rates.append(len(texts) / (time.perf_counter() - started))
            array_cpu.append(time.process_time() - cpu)
        time.sleep(1.5)
        # The emulator and server children are still running: this counts the CLI alone.
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        walls.append(len(texts) / (time.perf_counter() - started))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cli_cpu.append(after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime)
        closing = done.stdout.strip().splitlines()[-1]
        match = re.search(r"\((\d+) vectors/s\)", closing)
        cli_rates.append(float(match.group(1)) if match else math.nan)
    array_rate, cli_rate = float(np.median(array_rates)), float(np.median(cli_rates))
    each = [c / a for a, c in zip(array_rates, cli_rates, strict=True)]
    ratios = ", ".join(f"{r:.2f}" for r in each)
    print(f"  embed_array          {array_rate:8.0f} vectors/s (median of {args.rounds}); "
          f"{float(np.median(array_cpu)):.2f} s CPU")  # fmt: skip
    print(f"  oci-tei embed        {cli_rate:8.0f} vectors/s = {cli_rate / array_rate:.2f}x; "
          f"median of the rounds' ratios {float(np.median(each)):.2f} (rounds: {ratios}); "
          f"{float(np.median(walls)):.0f}/s counting interpreter start, imports and the "
          f"Parquet file; {float(np.median(cli_cpu)):.2f} s CPU, the process whole")  # fmt: skip
    print(f"  its closing line: {closing}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--vectors", type=int, default=100_000, help="throughput inputs")
    parser.add_argument("--peer-vectors", type=int, default=5_000, help="inputs per peer")
    parser.add_argument("--memory-vectors", type=int, default=100_000)
    parser.add_argument("--cli-vectors", type=int, default=100_000)
    parser.add_argument("--bandwidth", type=float, default=1000.0, help="Mbps")
    parser.add_argument("--rps", type=float, default=150.0, help="tenancy requests/s cap")
    parser.add_argument("--rtt", type=float, default=0.0, help="round trip, ms")
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--lists", action="store_true", help="memory of embed() too")
    parser.add_argument("--rounds", type=int, default=3, help="CLI vs embed_array rounds")
    parser.add_argument("--server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--emulator", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server:
        run_server(args.server)
        return
    if args.emulator:
        run_emulator(args.bandwidth, args.rps, args.rtt)
        return
    if args.memory_child:
        memory_child(args.memory_child, args.memory_vectors, args.lists)
        return

    servers = {batch: Child("--server", str(batch)) for batch in args.batches}
    emulator = Child("--emulator", "--bandwidth", str(args.bandwidth), "--rps", str(args.rps),
                     "--rtt", str(args.rtt))  # fmt: skip
    try:
        if "throughput" in args.parts:
            throughput(args, emulator, servers)
        if "memory" in args.parts:
            memory(args, servers[min(servers)])
        if "cli" in args.parts:
            cli(args, emulator, servers[max(servers)], max(servers))
    finally:
        emulator.close()
        for server in servers.values():
            server.close()


if __name__ == "__main__":
    main()
