"""oci-tei's LlamaIndex reranker against LlamaIndex's own TEI rerank postprocessor, in one run.

100 queries, each reranking 50 retrieved nodes to the top 3, against one local TEI
serving a cross-encoder (a BERT sequence-classification checkpoint with random weights,
built here: no reranker ships on the package index; the scores are real model outputs,
retrieval quality is not the point):

* ours: ``llama_index_oci_tei.OCITEIRerank`` through the OCI emulator's signed predict
  gateway (every request signed, verified, proxied), and, for reference, on the plain URL;
* peer: ``llama-index-postprocessor-tei-rerank``'s ``TextEmbeddingInference`` on the
  plain TEI URL (it cannot sign, so it cannot call a Model Deployment at all).

The container allows 64 texts per request so that the peer, which sends all 50 texts in
one request, works; against TEI's default ``--max-client-batch-size 32`` it fails (shown
once). Two ways of calling: one query after another, and all 100 concurrently
(``apostprocess_nodes`` under ``asyncio.gather``). Each run is checked: the top 3 of every
query must be the server's own top 3. Prints queries/s (best of ``--repeat`` interleaved
rounds: the machine is shared) and the ratio ours/peer.

    python bench/compare_rerankers.py                  # tiny model: client and gateway cost
    python bench/compare_rerankers.py --model minilm   # MiniLM-L6-sized model: CPU-bound

The gateway and the container run in a child process, so the clients' CPU is their own.
Prints; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"tiny": {}, "minilm": {"hidden": 384, "layers": 6, "heads": 12}}
_TOPICS = ["lighthouse", "bread", "volcano", "honeybee", "bicycle", "tea", "map", "ocean"]


def make_queries(count: int, docs: int) -> list[tuple[str, list[str]]]:
    """``count`` queries, each with ``docs`` passages of a few dozen tokens."""
    queries = []
    for q in range(count):
        topic = _TOPICS[q % len(_TOPICS)]
        passages = [
            f"Passage {d} on {_TOPICS[(q + d) % len(_TOPICS)]}s: how the {topic} works, "
            f"why it matters, and what {d % 7} experts said about it in report {q}-{d}."
            for d in range(docs)
        ]
        queries.append((f"question {q}: what is special about the {topic}?", passages))
    return queries


# -- the child process: container and gateway ---------------------------------------------


def run_rig(args: argparse.Namespace) -> None:
    """Serve the cross-encoder and a signed gateway; print their URLs; stop on stdin EOF."""
    sys.path.insert(0, str(ROOT))
    from oci_tei_emulator import Emulator, EmulatorConfig
    from oci_tei_local import LocalServer, ServerSettings, load_backend
    from tests.fixtures.reranker import build_cross_encoder

    workdir = Path(tempfile.mkdtemp(prefix="oci-tei-rerank-bench-"))
    model_dir = build_cross_encoder(workdir / "cross-encoder", **MODELS[args.model])
    backend = load_backend(str(model_dir))
    wide = LocalServer(ServerSettings(port=0, max_client_batch_size=64), backend=backend).start()
    default = LocalServer(ServerSettings(port=0), backend=backend).start()
    emulator = Emulator(
        EmulatorConfig(port=0, trust_default_profile=False, rtt_ms=args.rtt, bandwidth_mbps=None)
    ).start()
    config = emulator.write_api_key_config(workdir / "oci")
    ocid = emulator.register_deployment(wide.url, "/rerank")
    info = {
        "config": str(config),
        "signed": emulator.predict_url(ocid),
        "plain": wide.url,
        "default": default.url,
    }
    print(json.dumps(info), flush=True)
    sys.stdin.read()
    emulator.stop()
    wide.stop()
    default.stop()


# -- the clients -----------------------------------------------------------------------------


def build(name: str, rig: dict[str, str]) -> Any:
    """A LlamaIndex node postprocessor keeping the top 3."""
    if name == "ours (signed gateway)":
        from llama_index_oci_tei import OCITEIRerank

        return OCITEIRerank(
            endpoint=rig["signed"], auth="api_key", config_file=rig["config"], top_n=3
        )
    if name == "ours (plain URL)":
        from llama_index_oci_tei import OCITEIRerank

        return OCITEIRerank(endpoint=rig["plain"], top_n=3)
    from llama_index.postprocessor.tei_rerank import TextEmbeddingInference

    return TextEmbeddingInference(base_url=rig.get("peer_url", rig["plain"]), top_n=3)


def nodes_of(passages: list[str]) -> list[Any]:
    from llama_index.core.schema import NodeWithScore, TextNode

    return [
        NodeWithScore(node=TextNode(text=p, id_=str(i)), score=0.0) for i, p in enumerate(passages)
    ]


def top3(result: list[Any]) -> list[int]:
    return [int(node.node.id_) for node in result]


def run_sequential(reranker: Any, queries: list[tuple[str, list[str]]]) -> list[list[int]]:
    return [top3(reranker.postprocess_nodes(nodes_of(p), query_str=q)) for q, p in queries]


def run_concurrent(reranker: Any, queries: list[tuple[str, list[str]]]) -> list[list[int]]:
    async def all_queries() -> list[list[int]]:
        results = await asyncio.gather(
            *(reranker.apostprocess_nodes(nodes_of(p), query_str=q) for q, p in queries)
        )
        return [top3(result) for result in results]

    return asyncio.run(all_queries())


def reference_top3(url: str, queries: list[tuple[str, list[str]]]) -> list[list[int]]:
    """The server's own ranking, ties broken by index as ours does."""
    expected = []
    for query, passages in queries:
        ranks = httpx.post(url + "/rerank", json={"query": query, "texts": passages}).json()
        ranks.sort(key=lambda rank: (-rank["score"], rank["index"]))
        expected.append([rank["index"] for rank in ranks[:3]])
    return expected


def measure(
    run: Callable[[Any, list[tuple[str, list[str]]]], list[list[int]]],
    reranker: Any,
    queries: list[tuple[str, list[str]]],
    expected: list[list[int]],
) -> tuple[float, str]:
    try:
        run(reranker, queries[:5])  # warm connections and signer
        started = time.perf_counter()
        got = run(reranker, queries)
    except Exception as exc:
        return 0.0, f"fails: {type(exc).__name__} {str(exc)[:100]}".rstrip()
    elapsed = time.perf_counter() - started
    wrong = sum(1 for a, b in zip(got, expected, strict=True) if a != b)
    # Equal scores may be ordered differently by a client that does not break ties by index.
    status = "ok" if wrong == 0 else f"{wrong} queries with another top 3"
    return len(queries) / elapsed, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--model", choices=sorted(MODELS), default="tiny")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of each counts")
    parser.add_argument("--rtt", type=float, default=0.0, help="round trip the gateway adds, ms")
    parser.add_argument("--rig", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rig:
        run_rig(args)
        return

    command = [sys.executable, __file__, "--rig", "--model", args.model, "--rtt", str(args.rtt)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        rig = json.loads(child.stdout.readline())
        queries = make_queries(args.queries, args.docs)
        expected = reference_top3(rig["plain"], queries)
        print(
            f"{args.queries} queries x {args.docs} documents, top 3; model {args.model}; "
            f"gateway rtt {args.rtt:g} ms\n"
        )
        print(f"{'calls':11} {'client':34} {'queries/s':>10} {'ours/peer':>10}  status")
        peer = "llama-index TEI rerank (plain URL)"
        clients = ["ours (signed gateway)", "ours (plain URL)", peer]
        for mode, run in (("sequential", run_sequential), ("concurrent", run_concurrent)):
            rates: dict[str, tuple[float, str]] = {}
            rerankers = {name: build(name, rig) for name in clients}
            for _ in range(args.repeat):  # interleaved rounds; each client's best counts
                for name in clients:
                    rate, status = measure(run, rerankers[name], queries, expected)
                    if name not in rates or rate > rates[name][0] or status != "ok":
                        rates[name] = (rate, status)
            for name in clients:
                rate, status = rates[name]
                ratio = rate / rates[peer][0] if rates[peer][0] else float("nan")
                print(f"{mode:11} {name:34} {rate:>10.1f} {ratio:>9.2f}x  {status}")
        rate, status = measure(
            run_sequential,
            build(peer, {**rig, "peer_url": rig["default"]}),
            queries[:10],
            expected[:10],
        )
        print(f"\nThe peer against TEI's default --max-client-batch-size 32: {status}")
    finally:
        child.stdin.close()
        child.wait(timeout=60)


if __name__ == "__main__":
    main()
