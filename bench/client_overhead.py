"""The client's own cost: cold import time, and CPU per request at full speed.

Two figures, each measured for two source trees in one run, interleaved so that a busy
machine slows both alike (never asserted anywhere; the goals are the issue's):

1. **Cold import**: ``from langchain_oci_tei import OCITEIEmbeddings`` in a fresh
   interpreter, timed inside it (``perf_counter`` around the import) and as the whole
   process's wall time; the median of ``--imports`` runs (goal: at most 0.5 s).
2. **Client CPU per request**: ``embed_array`` and ``embed_documents`` of short texts at
   batch 256 against a server that answers at once (the corpus rig's ``Instant`` backend,
   bench/corpus_throughput.py), through the emulator's signed predict gateway (OCI API-key
   signing on every request, no bandwidth or request-rate cap) and straight to the plain
   server; the client process's CPU time divided by the requests it sent, the median of
   ``--rounds`` rounds (goal: at most 3.5 ms per 256-input request, signed).

    python bench/client_overhead.py                          # the working tree only
    python bench/client_overhead.py --baseline-ref d23c7d9   # before and after, side by side

``--baseline-ref`` extracts that commit's tree into a temporary directory (``git archive``)
and runs the same measurements with ``PYTHONPATH`` pointing there; the server and the
emulator always come from the working tree (they are test stand-ins, not the client).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_IMPORT = (
    "import time; t = time.perf_counter(); "
    "from langchain_oci_tei import OCITEIEmbeddings; "
    "import oci_tei; print(time.perf_counter() - t, oci_tei.__file__)"
)


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}


def import_seconds(tree: Path) -> tuple[float, float]:
    """One cold import in a fresh interpreter: (import seconds, process wall seconds)."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT],
        env=_env(tree),
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    wall = time.perf_counter() - started
    if not out[1].startswith(str(tree)):
        raise RuntimeError(f"{tree}: imported {out[1]} instead (is PYTHONPATH honoured?)")
    return float(out[0]), wall


def client_child(url: str, config: str | None, batch: int, texts_count: int, rounds: int) -> None:
    """Runs with PYTHONPATH at the tree measured: CPU per request of each call style."""
    sys.path.insert(0, str(HERE))
    from corpus_throughput import make_texts

    from oci_tei._client import EmbeddingClient

    options: dict[str, Any] = {"auth": "api_key", "config_file": config} if config else {}
    client = EmbeddingClient(
        endpoint=url,
        batch_size=batch,
        server_permits=batch * 16,
        max_request_bytes=9_000_000,
        **options,
    )
    texts = make_texts(texts_count)
    calls = {"embed_array": client.embed_array, "embed_documents": client.embed_documents}
    for call in calls.values():
        call(texts[: batch * 4])  # connections, first signatures
    result: dict[str, float] = {}
    for name, call in calls.items():
        samples = []
        for _ in range(rounds):
            before = client.usage().requests
            cpu = time.process_time()
            vectors = call(texts)
            spent = time.process_time() - cpu
            assert len(vectors) == len(texts)
            samples.append(1000 * spent / (client.usage().requests - before))
        result[name] = statistics.median(samples)
    client.close()
    print(json.dumps(result), flush=True)


def client_cpu(
    tree: Path, url: str, config: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    arguments = [sys.executable, __file__, "--client-child", url, "--config", config or ""]
    arguments += ["--batch", str(args.batch), "--texts", str(args.texts), "--rounds", "1"]
    out = subprocess.run(arguments, env=_env(tree), capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"client child failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def extract(ref: str, into: Path) -> Path:
    """The tree of commit ``ref``, as files under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline-ref", help="a commit to measure beside the working tree")
    parser.add_argument("--imports", type=int, default=9, help="cold imports per tree")
    parser.add_argument("--rounds", type=int, default=5, help="CPU rounds per tree")
    parser.add_argument("--batch", type=int, default=256, help="inputs per request")
    parser.add_argument("--texts", type=int, default=256 * 80, help="inputs per round")
    parser.add_argument("--parts", nargs="+", choices=("import", "cpu"), default=["import", "cpu"])
    parser.add_argument("--client-child", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_child:
        client_child(args.client_child, args.config or None, args.batch, args.texts, args.rounds)
        return

    with tempfile.TemporaryDirectory(prefix="oci-tei-baseline-") as scratch:
        trees = {"after (working tree)": ROOT}
        if args.baseline_ref:
            trees = {f"before ({args.baseline_ref})": extract(args.baseline_ref, Path(scratch))}
            trees["after (working tree)"] = ROOT
        if "import" in args.parts:
            imports(trees, args.imports)
        if "cpu" in args.parts:
            cpu(trees, args)


def imports(trees: dict[str, Path], runs: int) -> None:
    print(f"\n== cold import of langchain_oci_tei.OCITEIEmbeddings, median of {runs} ==")
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    for _ in range(runs):
        for name, tree in trees.items():  # interleaved: load hits every tree alike
            samples[name].append(import_seconds(tree))
    for name, pairs in samples.items():
        inside = statistics.median(pair[0] for pair in pairs)
        wall = statistics.median(pair[1] for pair in pairs)
        print(f"  {name:<28} import {inside:.3f} s, process {wall:.3f} s")
    if len(trees) == 2:
        (_, before), (_, after) = samples.items()
        ratio = statistics.median(b[0] / a[0] for b, a in zip(before, after, strict=True))
        print(f"  after is {ratio:.2f}x faster (median of per-run ratios)")


def cpu(trees: dict[str, Path], args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    from corpus_throughput import Child

    print(
        f"\n== client CPU ms per {args.batch}-input request, {args.texts} texts a round, "
        f"median of {args.rounds} rounds =="
    )
    server = Child("--server", str(args.batch))
    emulator = Child("--emulator", "--bandwidth", "1000000", "--rps", "1000000", "--rtt", "0")
    try:
        signed = emulator.ask(f"register {server.info['url']}")["predict"]
        targets = {"signed": (signed, emulator.info["config"]), "plain": (server.info["url"], None)}
        for target, (url, config) in targets.items():
            samples: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
            for _ in range(args.rounds):
                for name, tree in trees.items():
                    samples[name].append(client_cpu(tree, url, config, args))
            for name, rows in samples.items():
                figures = ", ".join(
                    f"{call} {statistics.median(row[call] for row in rows):.2f} ms"
                    for call in rows[0]
                )
                print(f"  {target:<7}{name:<28} {figures}", flush=True)
    finally:
        emulator.close()
        server.close()


if __name__ == "__main__":
    main()
