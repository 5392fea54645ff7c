"""Model directories for tests, built from the bundled model's files (linked, not copied)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from oci_tei_local._model_files import default_model_dir


def model_dir_like_bundled(
    target: Path, *, drop: tuple[str, ...] = (), extra: dict[str, Any] | None = None
) -> Path:
    """A copy of the bundled model directory: weights linked, JSON files copied.

    Args:
        target: Directory to fill (created).
        drop: Relative paths to leave out.
        extra: Relative path -> JSON value to write (replacing any file of that name).

    Returns:
        ``target``.
    """
    source = default_model_dir()
    for path in source.rglob("*"):
        relative = path.relative_to(source).as_posix()
        if path.is_dir() or relative in drop:
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".safetensors":
            os.symlink(path, destination)
        else:
            shutil.copyfile(path, destination)
    for relative, value in (extra or {}).items():
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(json.dumps(value), encoding="utf-8")
    return target


def tiny_masked_lm_dir(target: Path) -> Path:
    """A small random ``BertForMaskedLM`` with the bundled tokenizer, for SPLADE pooling."""
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=512,
    )
    BertForMaskedLM(config).save_pretrained(target, safe_serialization=True)
    shutil.copyfile(default_model_dir() / "tokenizer.json", target / "tokenizer.json")
    return target
