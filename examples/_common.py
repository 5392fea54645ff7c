"""What every example shares: where to embed, the bundled corpus and its questions.

With no ``--endpoint`` an example starts the local TEI-compatible server on the bundled
model, so it runs offline. ``--endpoint`` takes a Model Deployment predict URL or OCID
(signed, with the auth flags) or a plain TEI URL. ``--rerank-endpoint`` (same forms,
same auth flags) adds a cross-encoder: the RAG examples then retrieve ``--fetch-k``
(8) passages and keep the ``--top-n`` (3) the reranker scores highest.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
SEED_SENTENCES = [
    "The car sped down the highway at an incredible speed.",
    "A vehicle raced along the freeway, moving very fast.",
    "The child was playing in the park with a ball.",
]


@dataclass(frozen=True)
class Article:
    """One bundled document."""

    name: str
    title: str
    text: str


@dataclass(frozen=True)
class Question:
    """A fixed question and a phrase of the passage that answers it."""

    question: str
    expect: str


def load_corpus() -> list[Article]:
    """The bundled articles (self-written paragraphs on everyday science and history)."""
    articles = []
    for path in sorted(DATA.glob("*.md")):
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        articles.append(Article(path.stem, title.lstrip("# ").strip(), body.strip()))
    return articles


def load_questions() -> list[Question]:
    """The fixed questions every RAG example answers."""
    return [Question(**item) for item in json.loads((DATA / "questions.json").read_text())]


def add_endpoint_arguments(parser: argparse.ArgumentParser) -> None:
    """``--endpoint`` and the auth flags, as the embedding classes take them."""
    group = parser.add_argument_group("endpoint (default: a local server on the bundled model)")
    group.add_argument("--endpoint", help="predict URL, Model Deployment OCID, or TEI URL")
    group.add_argument(
        "--auth",
        choices=["api_key", "security_token", "resource_principal", "instance_principal"],
        help="OCI identity (default: automatic, as the OCI CLI and oracle-ads choose)",
    )
    group.add_argument("--profile", help="profile in the OCI config file")
    group.add_argument("--config-file", help="OCI config file (default ~/.oci/config)")
    group.add_argument("--region", help="region of an OCID endpoint")
    rerank = parser.add_argument_group("reranking (optional)")
    rerank.add_argument(
        "--rerank-endpoint",
        help="a reranker: predict URL or OCID of a deployment whose predict endpoint is "
        "/rerank, or a TEI URL serving a cross-encoder",
    )
    rerank.add_argument("--fetch-k", type=int, default=8, help="passages retrieved to rerank")
    rerank.add_argument("--top-n", type=int, default=3, help="passages kept after reranking")


def rerank_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """Keyword arguments for ``OCITEIRerank``, or None without ``--rerank-endpoint``."""
    if not args.rerank_endpoint:
        return None
    options = {"endpoint": args.rerank_endpoint, "top_n": args.top_n}
    for name in ("auth", "profile", "config_file", "region"):
        if getattr(args, name):
            options[name] = getattr(args, name)
    return options


@contextlib.contextmanager
def embedding_options(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """Keyword arguments for ``OCITEIEmbeddings``/``OCITEIEmbedding``.

    Without ``--endpoint`` this starts the local server for the duration of the block.
    """
    if args.endpoint:
        options = {
            name: getattr(args, name)
            for name in ("endpoint", "auth", "profile", "config_file", "region")
            if getattr(args, name)
        }
        yield options
        return
    from oci_tei_local import LocalServer, ServerSettings

    print("No --endpoint: starting the local TEI-compatible server on the bundled model...")
    with LocalServer(ServerSettings(port=0)) as server:
        yield {"endpoint": server.url}


def report(question: Question, hits: list[tuple[str, float]]) -> bool:
    """Print the top passages for a question; True when the best one holds the answer."""
    found = bool(hits) and question.expect.lower() in hits[0][0].lower()
    print(f"\n{'✓' if found else '✗'} {question.question}")
    for rank, (text, score) in enumerate(hits, start=1):
        snippet = " ".join(text.split())
        print(f"   {rank}. [{score:.3f}] {snippet[:110]}{'…' if len(snippet) > 110 else ''}")
    return found


def summary(found: int, total: int) -> int:
    """Print the tally; the exit status is 0 only when every question found its passage."""
    print(f"\n{found}/{total} questions answered from the expected passage.")
    return 0 if found == total else 1
