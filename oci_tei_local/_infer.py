"""Inference as TEI's ``Infer`` runs it: permits, tokenization, the batch queue, post-processing.

Every input of a request is handled on its own, as in TEI: it takes a permit, is
validated and tokenized, waits for a model batch, and is then cut to ``dimensions`` and
normalized. A request fails with the error of its first failing input.
"""

from __future__ import annotations

__all__ = ["ClassifyOptions", "EmbedOptions", "Infer", "InferResult", "Mode"]

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from oci_tei_local._backend import Vector
from oci_tei_local._batching import Batcher, Computed
from oci_tei_local._errors import TEIError
from oci_tei_local._metrics import Metrics
from oci_tei_local._permits import Permits
from oci_tei_local._settings import Compat
from oci_tei_local._tokenization import (
    Encoded,
    EncodingInput,
    SimpleToken,
    Tokenization,
    TruncationDirection,
)

Mode = Literal["pooled", "all", "sparse"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class EmbedOptions:
    """Per-request options of an embedding call.

    Attributes:
        truncate: Truncate over-long inputs instead of refusing them.
        direction: Which end truncation removes.
        prompt_name: A key of the model's prompts.
        normalize: Scale pooled vectors to unit length.
        dimensions: Keep this many leading dimensions (then normalize).
    """

    truncate: bool
    direction: TruncationDirection = "right"
    prompt_name: str | None = None
    normalize: bool = True
    dimensions: int | None = None


@dataclass(frozen=True)
class ClassifyOptions:
    """Per-request options of ``/predict`` and ``/rerank``.

    Attributes:
        truncate: Truncate over-long inputs instead of refusing them.
        direction: Which end truncation removes.
        raw_scores: Return the logits instead of their sigmoid (one label) or softmax.
    """

    truncate: bool
    direction: TruncationDirection = "right"
    raw_scores: bool = False


@dataclass(frozen=True)
class InferResult:
    """Outputs of one request, with the metadata TEI turns into headers.

    Attributes:
        outputs: Per input, its vector (or token embeddings for ``/embed_all``).
        prompt_tokens: Tokens computed, all inputs together.
        tokenization: Mean seconds spent tokenizing, per input.
        queue: Mean seconds spent queued, per input.
        inference: Mean seconds of model time, per input.
    """

    outputs: list[Vector]
    prompt_tokens: int
    tokenization: float
    queue: float
    inference: float


@dataclass(frozen=True)
class _Done:
    output: Vector
    tokens: int
    tokenization: float
    queue: float
    inference: float


class Infer:
    """One server's inference pipeline.

    Args:
        tokenization: Tokenizer workers.
        batcher: The batch queue.
        permits: ``--max-concurrent-requests``.
        metrics: TEI metrics.
        pooling: The server's pooling.
        compat: TEI version reproduced.
        classifier: The model is a sequence classifier (``/predict``, ``/rerank``), not
            an embedding model.
    """

    def __init__(
        self,
        *,
        tokenization: Tokenization,
        batcher: Batcher,
        permits: Permits,
        metrics: Metrics,
        pooling: str,
        compat: Compat,
        classifier: bool = False,
    ) -> None:
        self.classifier = classifier
        self.tokenization = tokenization
        self.batcher = batcher
        self.permits = permits
        self.metrics = metrics
        self.pooling = pooling
        self.compat = compat

    async def embed(
        self,
        inputs: Sequence[EncodingInput],
        options: EmbedOptions,
        *,
        single: bool,
        mode: Mode = "pooled",
    ) -> InferResult:
        """Embed a request's inputs.

        Args:
            inputs: Texts or token ids.
            options: Request options.
            single: The request sent one input rather than a list.
            mode: ``pooled`` (``/embed``), ``all`` (``/embed_all``) or ``sparse``.

        Returns:
            The outputs and their metadata.

        Raises:
            TEIError: The error of the first failing input, or 429 when no permit is left.
        """
        # TEI 1.5 made each input of a batch wait for its permit instead of failing.
        wait = self.compat == "1.5" and not single
        return await self._request(
            inputs, wait, lambda items: self._embed_inputs(items, options, mode)
        )

    async def classify(
        self, inputs: Sequence[EncodingInput], options: ClassifyOptions, *, single: bool
    ) -> InferResult:
        """Score a request's inputs (texts or pairs) with the classification head.

        Every input of a batch waits for its permit, as TEI's ``/predict`` and
        ``/rerank`` do; a single input fails with 429 when none is free.

        Returns:
            Per input, its scores (one per label), activated unless ``raw_scores``.

        Raises:
            TEIError: The error of the first failing input, or 429 when no permit is left.
        """
        return await self._request(
            inputs, not single, lambda items: self._classify_inputs(items, options)
        )

    async def _request(
        self,
        inputs: Sequence[EncodingInput],
        wait: bool,
        run: Callable[[Sequence[EncodingInput]], Awaitable[list[_Done]]],
    ) -> InferResult:
        if wait:
            outcomes = await asyncio.gather(
                *(self._run_waiting(item, run) for item in inputs), return_exceptions=True
            )
            failure = next((o for o in outcomes if isinstance(o, BaseException)), None)
            if failure is not None:  # the first failing input, in input order
                raise failure
            done = [item for outcome in outcomes if isinstance(outcome, list) for item in outcome]
        else:
            grant = self.permits.try_acquire(len(inputs))
            if grant is None:
                self.metrics.increment("te_request_failure", err="overloaded")
                raise TEIError.overloaded()
            with grant:
                done = await run(inputs)
        count = len(done)
        return InferResult(
            outputs=[item.output for item in done],
            prompt_tokens=sum(item.tokens for item in done),
            tokenization=sum(item.tokenization for item in done) / count,
            queue=sum(item.queue for item in done) / count,
            inference=sum(item.inference for item in done) / count,
        )

    async def tokenize(
        self, texts: Sequence[str], *, add_special_tokens: bool, prompt_name: str | None
    ) -> list[list[SimpleToken]]:
        """Tokens of each text (``/tokenize``).

        Raises:
            TEIError: The first failing text's error.
        """
        results = await self.tokenization.tokenize(
            texts, add_special_tokens=add_special_tokens, prompt_name=prompt_name
        )
        return self._unwrap(results)

    async def decode(self, ids: Sequence[list[int]], *, skip_special_tokens: bool) -> list[str]:
        """Text of each token-id list (``/decode``).

        Raises:
            TEIError: The first failing list's error.
        """
        results = await self.tokenization.decode(ids, skip_special_tokens=skip_special_tokens)
        return self._unwrap(results)

    def _unwrap(self, results: Sequence[_T | TEIError]) -> list[_T]:
        errors = [item for item in results if isinstance(item, TEIError)]
        if errors:
            self.metrics.increment("te_request_failure", len(errors), err="tokenization")
            raise errors[0]
        return [item for item in results if not isinstance(item, TEIError)]

    async def _run_waiting(
        self,
        item: EncodingInput,
        run: Callable[[Sequence[EncodingInput]], Awaitable[list[_Done]]],
    ) -> list[_Done]:
        with await self.permits.acquire():
            return await run([item])

    async def _compute(
        self,
        inputs: Sequence[EncodingInput],
        *,
        truncate: bool,
        direction: TruncationDirection,
        prompt_name: str | None,
        raw: bool = False,
    ) -> tuple[list[Encoded], list[Computed], float]:
        """Tokenize, validate and run inputs through the batch queue.

        Returns:
            The encodings, the model's outputs, and the seconds spent tokenizing.
        """
        started = time.perf_counter()
        encoded = await self.tokenization.encode(
            inputs, truncate=truncate, direction=direction, prompt_name=prompt_name
        )
        valid: list[Encoded] = []
        for item in encoded.items:
            if isinstance(item, TEIError):
                self.metrics.increment("te_request_failure", err="tokenization")
            else:
                valid.append(item)
                self.metrics.observe("te_request_input_length", len(item))
        first_error = next((i for i in encoded.items if isinstance(i, TEIError)), None)
        if first_error is not None:
            raise first_error
        tokenized = time.perf_counter() - started
        try:
            computed = await self.batcher.submit(valid, raw=raw)
        except TEIError as error:
            self.metrics.increment("te_request_failure", err="inference", value=len(valid))
            raise error
        return valid, computed, tokenized

    async def _embed_inputs(
        self, inputs: Sequence[EncodingInput], options: EmbedOptions, mode: Mode
    ) -> list[_Done]:
        started = time.perf_counter()
        self._check_mode(len(inputs), options, mode)
        self.metrics.increment("te_embed_count", len(inputs))
        valid, computed, tokenized = await self._compute(
            inputs,
            truncate=options.truncate,
            direction=options.direction,
            prompt_name=options.prompt_name,
            raw=mode == "all",
        )
        done = [
            self._finish(item, result, options, mode, tokenized)
            for item, result in zip(valid, computed, strict=True)
        ]
        self._observe("embed", done, time.perf_counter() - started)
        return done

    async def _classify_inputs(
        self, inputs: Sequence[EncodingInput], options: ClassifyOptions
    ) -> list[_Done]:
        started = time.perf_counter()
        if not self.classifier:
            self.metrics.increment("te_request_failure", len(inputs), err="model_type")
            raise TEIError.backend("Model is not a classifier model")
        self.metrics.increment("te_predict_count", len(inputs))
        valid, computed, tokenized = await self._compute(
            inputs, truncate=options.truncate, direction=options.direction, prompt_name=None
        )
        done = [
            _Done(
                _activate(result.vector, options.raw_scores),
                len(item),
                tokenized,
                result.queue_seconds,
                result.inference_seconds,
            )
            for item, result in zip(valid, computed, strict=True)
        ]
        self._observe("predict", done, time.perf_counter() - started)
        return done

    def _observe(self, kind: str, done: Sequence[_Done], elapsed: float) -> None:
        for finished in done:
            self.metrics.increment(f"te_{kind}_success")
            self.metrics.observe(f"te_{kind}_duration", elapsed)
            self.metrics.observe(f"te_{kind}_tokenization_duration", finished.tokenization)
            self.metrics.observe(f"te_{kind}_queue_duration", finished.queue)
            self.metrics.observe(f"te_{kind}_inference_duration", finished.inference)

    def _check_mode(self, count: int, options: EmbedOptions, mode: Mode) -> None:
        splade = self.pooling == "splade"
        message = None
        if self.classifier:
            message = "Model is not an embedding model"
        elif mode == "sparse" and not splade:
            message = "Model is not an embedding model with SPLADE pooling"
        elif mode == "all" and splade:
            message = "`embed_all` is not available for SPLADE models"
        elif mode == "pooled" and splade and options.normalize:
            message = "`normalize` is not available for SPLADE models"
        if message is not None:
            self.metrics.increment("te_request_failure", count, err="model_type")
            raise TEIError.backend(message)
        if options.dimensions == 0:
            self.metrics.increment("te_request_failure", count, err="validation")
            raise TEIError.validation("`dimensions` should be positive")

    def _finish(
        self,
        item: Encoded,
        result: Computed,
        options: EmbedOptions,
        mode: Mode,
        tokenized: float,
    ) -> _Done:
        vector = result.vector
        if mode == "pooled":
            if options.dimensions is not None:
                if options.dimensions > vector.shape[0]:
                    self.metrics.increment("te_request_failure", err="validation")
                    raise TEIError.validation(
                        "`dimensions` should be smaller than the maximum embedding dimension."
                    )
                vector = vector[: options.dimensions]
            if options.normalize:
                # TEI sums squares in f64 and scales the f32 values.
                norm = float(np.sqrt(np.sum(np.square(vector, dtype=np.float64))))
                vector = vector * np.float32(1.0 / norm) if norm else vector
        return _Done(vector, len(item), tokenized, result.queue_seconds, result.inference_seconds)


def _activate(logits: Vector, raw_scores: bool) -> Vector:
    """TEI's scores: sigmoid for one label, softmax for several, unless ``raw_scores``."""
    if raw_scores:
        return logits
    if logits.shape[0] == 1:
        scores: Vector = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    else:
        shifted = np.exp(logits - logits.max())
        scores = (shifted / shifted.sum()).astype(np.float32)
    return scores
