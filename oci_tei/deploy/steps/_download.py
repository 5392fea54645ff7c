"""Step 1: the model files TEI needs, from the Hugging Face Hub or a local directory.

TEI loads ``config.json``, the tokenizer, safetensors weights and the sentence-transformers
side files (pooling, prompts, dense layers). Everything else in a model repository (ONNX
and OpenVINO exports, PyTorch ``.bin`` duplicates, images) is skipped, which often divides
the upload by three.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from oci_tei.deploy._errors import DeployError
from oci_tei.deploy.spec import DeploySpec, ModelSource
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step

__all__ = [
    "TEI_FILE_PATTERNS",
    "Download",
    "check_model_dir",
    "resolve_model_dir",
]

TEI_FILE_PATTERNS: tuple[str, ...] = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "sentencepiece.bpe.model",
    "*.safetensors",
    "model.safetensors.index.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "2_Dense*/*",
)


def check_model_dir(path: Path) -> list[str]:
    """What TEI would miss in ``path``; empty when the directory looks servable."""
    missing = []
    if not (path / "config.json").is_file():
        missing.append("config.json")
    if not (path / "tokenizer.json").is_file():
        missing.append("tokenizer.json (TEI needs a fast tokenizer)")
    if not any(path.glob("*.safetensors")):
        missing.append("*.safetensors weights (TEI loads only safetensors from a directory)")
    return missing


def resolve_model_dir(source: ModelSource, *, cache_dir: str | None = None) -> Path:
    """Return a local directory holding the model's TEI files, downloading if needed.

    Args:
        source: The spec's ``model`` section.
        cache_dir: huggingface_hub cache directory (its default when None); downloads are
            cached, so a re-run does not download again.

    Raises:
        DeployError: The download failed, or the directory lacks files TEI needs.
    """
    if source.id:
        from huggingface_hub import snapshot_download

        try:
            # token=None: huggingface_hub reads HF_TOKEN or the saved login, for gated models.
            folder = snapshot_download(
                source.id,
                revision=source.revision,
                allow_patterns=list(TEI_FILE_PATTERNS),
                cache_dir=cache_dir,
            )
        except (OSError, ValueError) as exc:  # HfHubHTTPError is an OSError
            raise DeployError(f"cannot download {source.id}: {exc}", step="download") from exc
        path = Path(str(folder))
    elif source.package:
        try:
            module = importlib.import_module(source.package)
        except ImportError as exc:
            raise DeployError(
                f"model package {source.package!r} is not installed: {exc}", step="download"
            ) from None
        model_dir = getattr(module, "MODEL_DIR", None)
        if model_dir is None:
            raise DeployError(f"package {source.package!r} has no MODEL_DIR", step="download")
        path = Path(str(model_dir))
    else:
        path = Path(source.path or "").expanduser()
    if not path.is_dir():
        raise DeployError(f"model directory {path} does not exist", step="download")
    missing = check_model_dir(path)
    if missing:
        raise DeployError(f"{path} lacks {', '.join(missing)}", step="download")
    return path


class Download(Step):
    """The model files: Hub cache, a local path, or an installed package's ``MODEL_DIR``."""

    key = "download"
    label = "download"
    prepares = True

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep:
        """The source and the files TEI needs."""
        model = spec.model
        if model.id:
            return PlannedStep(
                self.key,
                "Download the files TEI needs from the Hugging Face Hub (cached)",
                {
                    "model": model.id,
                    "revision": model.revision or "main",
                    "files": list(TEI_FILE_PATTERNS),
                    "token": "HF_TOKEN from the environment, if set (gated models)",
                },
            )
        where = f"package {model.package} (its MODEL_DIR)" if model.package else model.path
        return PlannedStep(self.key, "Use the local model directory", {"directory": where})

    def headline(self, run: DeployRun) -> str:
        """What the line says."""
        return "preparing model files"

    def run(self, run: DeployRun) -> None:
        """Resolve the directory; ``run.model_dir``."""
        run.model_dir = resolve_model_dir(run.spec.model)
        run.echo(f"  {run.model_dir}")
