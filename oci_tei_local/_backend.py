"""The model: a ``Backend`` protocol and its sentence-transformers implementation on CPU.

The backend only runs the network: tokenization, validation, normalization and
``dimensions`` happen around it, as in TEI, so vectors match
``SentenceTransformer(model_dir).encode(...)`` while lengths and usage are counted exactly.
torch and sentence-transformers are imported when a model is loaded, never at import time.
"""

from __future__ import annotations

__all__ = [
    "Backend",
    "SentenceTransformersBackend",
    "SequenceClassificationBackend",
    "Vector",
    "load_backend",
]

import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from oci_tei_local._errors import ModelLoadError
from oci_tei_local._model_files import ModelFiles, read_model_files, resolve_model_dir
from oci_tei_local._settings import DTYPES
from oci_tei_local._tokenization import Encoded

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]

#: Padded tokens per forward pass: one model batch is run in length-sorted chunks of at
#: most this size, which keeps padding waste and peak memory low on CPU.
CHUNK_TOKENS = 1024


@runtime_checkable
class Backend(Protocol):
    """What the server needs from a model; implementations must be thread-safe."""

    @property
    def files(self) -> ModelFiles:
        """The model directory's description (pooling, lengths, prompts)."""
        ...

    @property
    def dtype(self) -> str:
        """``float32`` or ``float16``."""
        ...

    @property
    def dimension(self) -> int:
        """Length of a pooled embedding."""
        ...

    def embed(
        self, batch: Sequence[Encoded], *, pooling: str, raw: Sequence[bool] | None = None
    ) -> list[Vector]:
        """Run one model batch.

        Args:
            batch: Encoded inputs.
            pooling: ``cls``, ``mean``, ``splade`` or ``last-token`` for pooled outputs.
            raw: Per input, return its token embeddings (``/embed_all``) instead of a
                pooled vector; ``None`` pools every input.

        Returns:
            Per input, the pooled, unnormalized float32 vector, or a
            ``(tokens, hidden)`` array where ``raw`` asks for one.
        """
        ...

    def health(self) -> None:
        """Raise if the model cannot compute."""
        ...


class _TorchBackend:
    """What both CPU backends share: files, dtype, one lock, length-sorted chunks."""

    def __init__(self, files: ModelFiles, dtype: str) -> None:
        if dtype not in DTYPES:
            raise ModelLoadError(f"invalid dtype {dtype!r}: expected one of {', '.join(DTYPES)}")
        self._files = files
        self._dtype = dtype
        self._lock = threading.Lock()

    @property
    def files(self) -> ModelFiles:
        """The model directory's description."""
        return self._files

    @property
    def dtype(self) -> str:
        """``float32`` or ``float16``."""
        return self._dtype

    def _in_chunks(
        self,
        batch: Sequence[Encoded],
        forward: Callable[[list[Encoded], list[int]], list[Vector]],
    ) -> list[Vector]:
        """Run ``forward(items, indices)`` over padded-size-bounded chunks, in input order."""
        import torch

        order = sorted(range(len(batch)), key=lambda i: len(batch[i]))
        results: list[Vector | None] = [None] * len(batch)
        with self._lock, torch.inference_mode():
            for chunk in _chunks(order, [len(item) for item in batch]):
                outputs = forward([batch[i] for i in chunk], chunk)
                for index, output in zip(chunk, outputs, strict=True):
                    results[index] = output
        return [result for result in results if result is not None]


class SentenceTransformersBackend(_TorchBackend):
    """A sentence-transformers model run on CPU with TEI's pooling.

    Args:
        files: The model directory's description.
        dtype: ``float32`` or ``float16``.
    """

    def __init__(self, files: ModelFiles, dtype: str = "float32") -> None:
        super().__init__(files, dtype)
        self._encode_tokenizer: Any = None
        with _offline(), _quiet_progress():
            self._load()
        self._dimension = 0
        started = time.perf_counter()
        warm = self.embed([_warmup_input(files)], pooling=files.pooling)[0]
        self._dimension = int(warm.shape[0])
        logger.info("Model warmed up in %.2f s", time.perf_counter() - started)

    @property
    def dimension(self) -> int:
        """Length of a pooled embedding."""
        return self._dimension

    def embed(
        self, batch: Sequence[Encoded], *, pooling: str, raw: Sequence[bool] | None = None
    ) -> list[Vector]:
        """Run one model batch (see ``Backend.embed``)."""
        if pooling == "splade" and not self._splade:
            raise ValueError("splade pooling needs a model loaded with pooling='splade'")
        return self._in_chunks(
            batch, lambda items, chunk: self._forward(items, pooling, raw, chunk)
        )

    def encode(self, texts: Sequence[str], *, normalize: bool = True) -> Vector:
        """Embed texts in process: the baseline the server's HTTP path is measured against.

        Args:
            texts: Texts, truncated to the model's maximum input length.
            normalize: Scale each vector to unit length.

        Returns:
            A ``(len(texts), dimension)`` array.
        """
        tokenizer = self._plain_tokenizer()
        encodings = tokenizer.encode_batch(list(texts))
        batch = [Encoded(list(e.ids), list(e.type_ids)) for e in encodings]
        vectors = np.stack(self.embed(batch, pooling=self._files.pooling))
        if normalize:
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors

    def health(self) -> None:
        """Run a one-token forward pass; raises if the model cannot compute."""
        self.embed([_warmup_input(self._files)], pooling=self._files.pooling)

    def _load(self) -> None:
        import torch

        root = str(self._files.root)
        try:
            if self._files.pooling == "splade":
                from transformers import AutoModelForMaskedLM

                self._splade = True
                self._model: Any = AutoModelForMaskedLM.from_pretrained(root, local_files_only=True)
                self._input_names: tuple[str, ...] = ("input_ids", "attention_mask")
                self._post: list[Any] = []
            else:
                from sentence_transformers import SentenceTransformer

                self._splade = False
                model = SentenceTransformer(root, device="cpu", local_files_only=True)
                modules = list(model)
                self._model = modules[0]
                names = tuple(getattr(self._model.tokenizer, "model_input_names", ()))
                self._input_names = ("input_ids", "attention_mask") + (
                    ("token_type_ids",) if "token_type_ids" in names else ()
                )
                # Modules after pooling (Dense...) shape the pooled vector; normalization is
                # TEI's per-request `normalize`, so a Normalize module is left out.
                kinds = [type(module).__name__ for module in modules]
                after = kinds.index("Pooling") + 1 if "Pooling" in kinds else len(modules)
                self._post = [m for m in modules[after:] if type(m).__name__ != "Normalize"]
        except ModelLoadError:
            raise
        except Exception as exc:
            raise ModelLoadError(f"Could not create backend: {exc}") from exc
        self._model.eval()
        if self._dtype == "float16":
            self._model.to(torch.float16)
            for module in self._post:
                module.to(torch.float16)

    def _forward(
        self,
        items: Sequence[Encoded],
        pooling: str,
        raw: Sequence[bool] | None,
        indices: Sequence[int],
    ) -> list[Vector]:
        padded = _padded(items)
        mask = padded["attention_mask"]
        features = {name: padded[name] for name in self._input_names}
        if self._splade:
            logits = self._model(**features).logits.float()
            pooled = _splade(logits, mask)
            return [row.numpy().copy() for row in pooled]
        tokens = self._model(features)["token_embeddings"]
        pooled = _pool(tokens, mask, pooling)
        for module in self._post:
            pooled = module({"sentence_embedding": pooled})["sentence_embedding"]
        outputs: list[Vector] = []
        for row, index in enumerate(indices):
            if raw is not None and raw[index]:
                outputs.append(tokens[row, : len(items[row])].float().numpy().copy())
            else:
                outputs.append(pooled[row].float().numpy().copy())
        return outputs

    def _plain_tokenizer(self) -> Any:
        if self._encode_tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self._files.tokenizer_path))
            tokenizer.no_padding()
            tokenizer.enable_truncation(self._files.base_max_input_length)
            self._encode_tokenizer = tokenizer
        return self._encode_tokenizer


class SequenceClassificationBackend(_TorchBackend):
    """A sequence-classification (cross-encoder) checkpoint, as TEI serves classifiers.

    The per-input output of :meth:`embed` is the head's logits (one per label): TEI's
    classifier backend returns raw scores and its router applies sigmoid (one label) or
    softmax unless ``raw_scores`` is asked, so the activation lives in ``Infer``.
    Loaded with ``AutoModelForSequenceClassification``, the same weights and head
    sentence-transformers' ``CrossEncoder`` runs.

    Args:
        files: The model directory's description (``id2label`` set).
        dtype: ``float32`` or ``float16``.
    """

    def __init__(self, files: ModelFiles, dtype: str = "float32") -> None:
        import torch

        super().__init__(files, dtype)
        try:
            with _offline(), _quiet_progress():
                from transformers import AutoModelForSequenceClassification

                self._model: Any = AutoModelForSequenceClassification.from_pretrained(
                    str(files.root), local_files_only=True
                )
        except Exception as exc:
            raise ModelLoadError(f"Could not create backend: {exc}") from exc
        self._model.eval()
        if dtype == "float16":
            self._model.to(torch.float16)
        # BERT-like heads take segment ids (query vs text); others do not.
        self._types = self._model.config.model_type not in ("roberta", "xlm-roberta", "distilbert")
        self._labels = int(self._model.config.num_labels)
        self.health()

    @property
    def dimension(self) -> int:
        """Number of labels (the length of each output)."""
        return self._labels

    def embed(
        self, batch: Sequence[Encoded], *, pooling: str, raw: Sequence[bool] | None = None
    ) -> list[Vector]:
        """Run one model batch: per input, its float32 logits (``pooling`` is unused)."""
        return self._in_chunks(batch, lambda items, _: self._logits(items))

    def health(self) -> None:
        """Run a one-pair forward pass; raises if the model cannot compute."""
        self.embed([_warmup_input(self._files)], pooling="cls")

    def _logits(self, items: Sequence[Encoded]) -> list[Vector]:
        features = _padded(items)
        if not self._types:
            features.pop("token_type_ids")
        logits = self._model(**features).logits.float()
        return [row.numpy().copy() for row in logits]


def _padded(items: Sequence[Encoded]) -> dict[str, torch.Tensor]:
    """Right-padded ids, segment ids and attention mask of a chunk, as torch tensors."""
    import torch

    width = max(len(item) for item in items)
    arrays = {
        name: np.zeros((len(items), width), dtype=np.int64)
        for name in ("input_ids", "token_type_ids", "attention_mask")
    }
    for row, item in enumerate(items):
        arrays["input_ids"][row, : len(item)] = item.ids
        arrays["token_type_ids"][row, : len(item)] = item.type_ids
        arrays["attention_mask"][row, : len(item)] = 1
    return {name: torch.from_numpy(array) for name, array in arrays.items()}


def _pool(tokens: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    if pooling == "cls":
        return tokens[:, 0]
    if pooling == "last-token":
        last = mask.sum(dim=1) - 1
        return tokens[range(tokens.shape[0]), last]
    if pooling == "mean":
        weights = mask.unsqueeze(-1).to(tokens.dtype)
        return (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
    raise ValueError(f"pooling {pooling!r} is not available for this model")


def _splade(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    import torch

    # log(1 + relu(x)) is >= 0, so zeroing padded positions leaves the max unchanged.
    activations = torch.log1p(torch.relu(logits)) * mask.unsqueeze(-1).to(logits.dtype)
    return activations.max(dim=1).values


def _chunks(order: list[int], lengths: list[int]) -> Iterator[list[int]]:
    """Group length-sorted indices so that each group's padded size stays under budget."""
    chunk: list[int] = []
    for index in order:
        if chunk and lengths[index] * (len(chunk) + 1) > CHUNK_TOKENS:
            yield chunk
            chunk = []
        chunk.append(index)
    if chunk:
        yield chunk


def _warmup_input(files: ModelFiles) -> Encoded:
    from tokenizers import Tokenizer

    encoding = Tokenizer.from_file(str(files.tokenizer_path)).encode("warm up")
    return Encoded(list(encoding.ids), list(encoding.type_ids))


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """Forbid Hub access while a model loads (restoring the caller's environment)."""
    saved = {name: os.environ.get(name) for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ.update({name: "1" for name in saved})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _quiet_progress() -> Iterator[None]:
    """No "Loading weights" progress bars in server logs."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def load_backend(
    model_id: str | None = None,
    *,
    pooling: str | None = None,
    dtype: str | None = None,
    revision: str | None = None,
) -> Backend:
    """Load a model once per distinct arguments; later calls return the same backend.

    Loading takes seconds (torch import included), so servers share backends.

    Args:
        model_id: A model directory laid out as TEI loads it; ``None`` = bundled
            all-MiniLM-L6-v2.
        pooling: Override of ``1_Pooling/config.json`` (``splade`` loads the masked-LM head).
        dtype: ``float32`` (default) or ``float16``.
        revision: Accepted for TEI parity; a local directory has no revisions.

    Returns:
        The backend.

    Raises:
        ModelLoadError: When the directory cannot be served.
    """
    if revision is not None:
        logger.info("`--revision %s` is ignored for a local model directory", revision)
    # Reading the directory first fails fast, without importing torch.
    files = read_model_files(model_id, pooling)
    with _load_lock:
        return _load_cached(files.root, pooling, dtype or "float32")


_load_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _load_cached(root: Path, pooling: str | None, dtype: str) -> Backend:
    bundled = root == resolve_model_dir(None)
    files = read_model_files(None if bundled else str(root), pooling)
    logger.info("Starting model backend for %s (%s)", files.model_id, dtype)
    if files.id2label is not None:
        return SequenceClassificationBackend(files, dtype)
    return SentenceTransformersBackend(files, dtype)
