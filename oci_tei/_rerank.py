"""``RerankClient``: score texts against a query with TEI's ``/rerank``, sync or async.

Reranking is a second ``Operation`` of the same engine as
embeddings, so it has the same endpoints, OCI signing, retries, token refresh, learned
batch limits and typed errors. What is particular to it:

* The request is ``{"query", "texts", "truncate", "truncation_direction", "raw_scores",
  "return_text"}`` and the answer ``[{"index", "score"[, "text"]}]`` sorted by score
  (TEI's ``RerankRequest`` / ``RerankResponse``, see TEI's OpenAPI document).
* More texts than a request may hold (TEI's ``--max-client-batch-size``, 32 by default)
  are split into requests that run concurrently, each carrying the query; the answers
  are merged into one score per input text, sorted by score, ties by input index.
* Bad inputs (an empty or non-string query, an empty list, an empty or non-string
  text) raise the same typed errors as embeddings, before any request is sent.

Where requests go: a Model Deployment whose ``MODEL_DEPLOY_PREDICT_ENDPOINT`` is
``/rerank`` (no route needed), any deployment with ``route="/rerank"`` (sent as OCI's
``route`` header), or a plain TEI URL (``http://host:8080``, called on ``/rerank``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import model_validator

from oci_tei._batching import Batch, encode_inputs
from oci_tei._client import EngineClient
from oci_tei._errors import (
    ConfigurationError,
    InputTypeError,
    InvalidInputError,
    ResponseFormatError,
)
from oci_tei._protocol import encode_text
from oci_tei._settings import ClientSettings

__all__ = ["RERANK_ROUTE", "RerankClient", "RerankOperation", "RerankResult", "RerankSettings"]

RERANK_ROUTE = "/rerank"


@dataclass(frozen=True)
class RerankResult:
    """The score of one input text.

    Attributes:
        index: Position of the text in the caller's list.
        score: TEI's score: the sigmoid of the cross-encoder's logit, or the logit itself
            with ``raw_scores``.
        text: The text, when ``return_text`` was asked.
    """

    index: int
    score: float
    text: str | None = None


class RerankSettings(ClientSettings):
    """Where to rerank, as whom, and how hard to push; plus TEI's rerank fields."""

    truncate: bool | None = None
    """Truncate query + text pairs over the model's maximum input length instead of
    failing; ``None`` follows the server's ``--auto-truncate``."""

    truncation_direction: Literal["left", "right"] | None = None
    """Which end to cut when truncating (TEI's default: right)."""

    raw_scores: bool = False
    """Return the model's logits instead of their sigmoid (TEI's ``raw_scores``)."""

    _default_route: ClassVar[str] = RERANK_ROUTE

    @model_validator(mode="after")
    def _check_rerank_route(self) -> RerankSettings:
        if self.route is not None and self.route != RERANK_ROUTE:
            raise ConfigurationError(
                f"route {self.route!r} is not TEI's rerank route: pass route='/rerank', or "
                "no route for a deployment whose predict endpoint is /rerank"
            )
        return self


@dataclass(frozen=True)
class RerankOperation:
    """One query against batches of texts: TEI's ``/rerank`` request and answer."""

    query: str
    truncate: bool | None = None
    truncation_direction: Literal["left", "right"] | None = None
    raw_scores: bool = False
    return_text: bool = False
    _head: bytes = field(init=False, repr=False, compare=False)
    _tail: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Every request of a call repeats the query and options: encode them once.
        options: dict[str, Any] = {"raw_scores": self.raw_scores, "return_text": self.return_text}
        if self.truncate is not None:
            options["truncate"] = self.truncate
        if self.truncation_direction is not None:
            options["truncation_direction"] = self.truncation_direction
        tail = b"".join(
            b"," + json.dumps(key).encode() + b":" + json.dumps(value).encode()
            for key, value in options.items()
        )
        object.__setattr__(self, "_head", b'{"query":' + encode_text(self.query) + b',"texts":[')
        object.__setattr__(self, "_tail", b"]" + tail + b"}")

    @property
    def overhead(self) -> int:
        """Bytes of a body besides its texts: the query and the options."""
        return len(self._head) + len(self._tail)

    def encode(self, batch: Batch) -> bytes:
        """``{"query": ..., "texts": [...], ...}`` for the batch's texts."""
        return self._head + b",".join(batch.fragments) + self._tail

    def decode(self, content: bytes, batch: Batch) -> list[RerankResult]:
        """One result per text of the batch, in input order, with the caller's indices.

        Raises:
            ResponseFormatError: Not a list of ``{index, score}``, a count or an index
                that does not match the batch, or a score that is not a number.
        """
        try:
            payload = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            raise ResponseFormatError(
                f"the server answered 200 with a body that is not JSON: {content[:200]!r}"
            ) from None
        if not isinstance(payload, list):
            raise ResponseFormatError(
                f"expected a list of ranks from /rerank, got {str(payload)[:200]} (is the "
                "endpoint a reranker, called on /rerank?)"
            )
        if len(payload) != len(batch):
            raise ResponseFormatError(
                f"expected {len(batch)} ranks, the server returned {len(payload)}"
            )
        ordered: list[RerankResult | None] = [None] * len(batch)
        for position, item in enumerate(payload):
            index = item.get("index") if isinstance(item, dict) else None
            if (
                not isinstance(index, int)
                or not 0 <= index < len(batch)
                or ordered[index] is not None
            ):
                raise ResponseFormatError(f"bad or repeated index in rank {position}")
            score = item.get("score")
            if not isinstance(score, (int, float)) or isinstance(score, bool):
                raise ResponseFormatError(f"rank {position} has no numeric score")
            text = item.get("text") if self.return_text else None
            ordered[index] = RerankResult(batch.start + index, float(score), text)
        return [result for result in ordered if result is not None]

    def join(self, parts: Sequence[list[RerankResult]]) -> list[RerankResult]:
        """The sub-batches' results, concatenated in input order."""
        return [result for part in parts for result in part]


def ranked(results: Sequence[RerankResult], top_n: int | None = None) -> list[RerankResult]:
    """Results sorted by score, highest first, ties by input index; the first ``top_n``."""
    order = sorted(results, key=lambda result: (-result.score, result.index))
    return order if top_n is None else order[:top_n]


class RerankClient(EngineClient):
    """Scores texts against a query with a cross-encoder; safe across threads and loops.

    Example:
        >>> client = RerankClient(endpoint="http://127.0.0.1:8080")  # doctest: +SKIP
        >>> client.rerank("what is TEI?", ["a server", "a tea"])  # doctest: +SKIP
        [RerankResult(index=0, score=0.98, text=None), RerankResult(index=1, score=0.01, ...)]
    """

    settings: RerankSettings
    settings_class = RerankSettings

    def rerank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_n: int | None = None,
        return_text: bool = False,
        show_progress: bool | None = None,
    ) -> list[RerankResult]:
        """Score every text against ``query``; highest score first, ties by index.

        Args:
            query: The query.
            texts: The texts to score; more than one request holds are split into
                concurrent requests.
            top_n: Return only the best ``top_n`` (every text is still scored).
            return_text: Ask TEI to echo each text back in ``RerankResult.text``.
            show_progress: Override the client's ``show_progress`` for this call.

        Returns:
            One result per text (or the first ``top_n``), sorted.

        Raises:
            TypeError: The query or a text is not a string
                (``InputTypeError``).
            ValueError: The query, the list or a text is empty
                (``InvalidInputError``).
            OCITEIError: Any failure after retries; see ``oci_tei._errors``.
        """
        operation, fragments = self._plan(query, texts, return_text, top_n)
        results = self._collect(fragments, operation, show_progress=show_progress, desc="Reranking")
        return _ranked_all(results, len(fragments), top_n)

    async def arerank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_n: int | None = None,
        return_text: bool = False,
        show_progress: bool | None = None,
    ) -> list[RerankResult]:
        """Async ``rerank``, concurrent on the running event loop."""
        operation, fragments = self._plan(query, texts, return_text, top_n)
        results = await self._acollect(
            fragments, operation, show_progress=show_progress, desc="Reranking"
        )
        return _ranked_all(results, len(fragments), top_n)

    def _plan(
        self, query: str, texts: Sequence[str], return_text: bool, top_n: int | None
    ) -> tuple[RerankOperation, list[bytes]]:
        if top_n is not None and (isinstance(top_n, bool) or top_n < 1):
            raise ValueError(f"top_n must be a positive number of results, got {top_n!r}")
        if not isinstance(query, str):
            raise InputTypeError(f"the query is {type(query).__name__}, not str")
        if not query.strip():
            raise InvalidInputError("the query is empty or whitespace only (TEI refuses it)")
        settings = self.settings
        operation = RerankOperation(
            query,
            truncate=settings.truncate,
            truncation_direction=settings.truncation_direction,
            raw_scores=settings.raw_scores,
            return_text=return_text,
        )
        engine = self._get_engine()
        fragments = encode_inputs(
            texts, max_fragment_bytes=engine.limits.max_bytes - operation.overhead
        )
        if not fragments:
            raise InvalidInputError("no texts to rerank: TEI refuses an empty `texts` list")
        return operation, fragments


def _ranked_all(results: list[RerankResult], total: int, top_n: int | None) -> list[RerankResult]:
    """Every text's score, ranked; the engine guarantees one per text."""
    if len(results) != total:  # pragma: no cover - the engine guarantees it
        raise ResponseFormatError(f"{total - len(results)} texts got no score")
    return ranked(results, top_n)
