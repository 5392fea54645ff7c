"""Reading a model directory as TEI does: failures are clear and need no torch."""

from __future__ import annotations

from pathlib import Path

import pytest

from oci_tei_local import ModelLoadError, load_backend
from oci_tei_local._model_files import read_model_files
from oci_tei_local._settings import DEFAULT_MODEL_NAME
from tests.local.model_dirs import model_dir_like_bundled


def test_bundled_model() -> None:
    files = read_model_files(None)
    assert files.model_id == DEFAULT_MODEL_NAME
    assert files.pooling == "mean"
    assert files.base_max_input_length == 256  # sentence_bert_config.json, as TEI reads it
    assert files.prompts is None
    assert files.architectures == ("BertModel",)


def test_local_directory(tmp_path: Path) -> None:
    root = model_dir_like_bundled(tmp_path / "m")
    files = read_model_files(str(root))
    assert files.model_id == str(root)
    assert files.root == root.resolve()


@pytest.mark.parametrize(
    ("drop", "extra", "message"),
    [
        (("config.json",), None, "`config.json` not found"),
        (("tokenizer.json",), None, "tokenizer.json not found"),
        (("model.safetensors",), None, "no model weights"),
        ((), {"config.json": {"model_type": "bert"}}, "Failed to parse `config.json`"),
        ((), {"config.json": [1]}, "expected a JSON object"),
        (
            (),
            {"1_Pooling/config.json": {"pooling_mode_max_tokens": True}},
            "is not supported",
        ),
        (
            (),
            {
                "config.json": {
                    "architectures": ["BertForSequenceClassification"],
                    "model_type": "bert",
                    "max_position_embeddings": 512,
                    "id2label": [],
                }
            },
            "`id2label` must be a non-empty map",
        ),
        (
            (),
            {"config_sentence_transformers.json": {"prompts": ["a"]}},
            "`prompts` must map names to text",
        ),
    ],
)
def test_broken_directories_fail_clearly(
    tmp_path: Path, drop: tuple[str, ...], extra: dict[str, object] | None, message: str
) -> None:
    root = model_dir_like_bundled(tmp_path / "m", drop=drop, extra=extra)
    with pytest.raises(ModelLoadError, match=None) as caught:
        load_backend(str(root))  # fails before any model is loaded
    assert message in str(caught.value)


def test_missing_directory() -> None:
    with pytest.raises(ModelLoadError, match="is not a local directory"):
        read_model_files("BAAI/bge-base-en-v1.5")


def test_pooling_choices(tmp_path: Path) -> None:
    root = model_dir_like_bundled(tmp_path / "m", drop=("1_Pooling/config.json",))
    assert read_model_files(str(root)).pooling == "cls"  # TEI's default for BERT variants
    assert read_model_files(str(root), "last-token").pooling == "last-token"
    with pytest.raises(ModelLoadError, match="not a ForMaskedLM model"):
        read_model_files(str(root), "splade")
    with pytest.raises(ModelLoadError, match="invalid pooling"):
        read_model_files(str(root), "max")
    cls = model_dir_like_bundled(
        tmp_path / "cls",
        extra={"1_Pooling/config.json": {"pooling_mode_cls_token": True}},
    )
    assert read_model_files(str(cls)).pooling == "cls"
    last = model_dir_like_bundled(
        tmp_path / "last",
        extra={"1_Pooling/config.json": {"pooling_mode_lasttoken": True}},
    )
    assert read_model_files(str(last)).pooling == "last-token"


def test_non_bert_without_pooling_config(tmp_path: Path) -> None:
    config = {"architectures": ["XModel"], "model_type": "x", "max_position_embeddings": 128}
    root = model_dir_like_bundled(
        tmp_path / "m", drop=("1_Pooling/config.json",), extra={"config.json": config}
    )
    with pytest.raises(ModelLoadError, match="could not find a pooling configuration"):
        read_model_files(str(root))


def test_max_input_length_without_sentence_transformers_config(tmp_path: Path) -> None:
    root = model_dir_like_bundled(tmp_path / "m", drop=("sentence_bert_config.json",))
    assert read_model_files(str(root)).base_max_input_length == 512
    config = {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "max_position_embeddings": 514,
        "pad_token_id": 1,
    }
    roberta = model_dir_like_bundled(
        tmp_path / "r", drop=("sentence_bert_config.json",), extra={"config.json": config}
    )
    assert read_model_files(str(roberta)).base_max_input_length == 512  # offset pad+1


def test_prompts(tmp_path: Path) -> None:
    prompts = {"query": "query: ", "passage": "passage: "}
    root = model_dir_like_bundled(
        tmp_path / "m", extra={"config_sentence_transformers.json": {"prompts": prompts}}
    )
    assert read_model_files(str(root)).prompts == prompts
