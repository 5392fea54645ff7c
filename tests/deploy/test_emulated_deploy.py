"""``oci-tei deploy`` end to end against the OCI emulator, through real oracle-ads and oci code.

From a model directory (a Hugging Face cache resolved by ``snapshot_download``, or the
bundled package) to an ACTIVE deployment answering signed embedding calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from oci_tei._cli import main
from oci_tei._client import EmbeddingClient
from oci_tei.deploy.spec import OWNER_TAG, PREDICT_ROUTE, load_spec

from .emulated import DEMO_SPEC, HUB_ID, HUB_REVISION, DeployEnv

SENTENCES = [
    "The car sped down the highway at an incredible speed.",
    "A vehicle raced along the freeway, moving very fast.",
    "The child was playing in the park with a ball.",
]


def _cosine(vectors: list[list[float]]) -> np.ndarray:
    array = np.array(vectors)
    array /= np.linalg.norm(array, axis=1, keepdims=True)
    return np.asarray(array @ array.T)


def test_deploy_from_the_hub_cache_to_signed_embeddings(
    deploy_env: DeployEnv, hub_cache: Path, tei_server, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = deploy_env.spec_file(
        "hub-minilm",
        model={"id": HUB_ID, "revision": "main", "dimension": 384},
        **{
            "artifact.uri": f"oci://models@emulatorns/{HUB_ID}",
            # Past the request-rate cap: larger batches, passed to TEI and to the client.
            "tei.max_client_batch_size": 128,
            "tei.max_concurrent_requests": 1024,
            "tei.payload_limit": 8_000_000,
        },
    )
    result = deploy_env.directory / "deployment.json"
    assert deploy_env.cli("deploy", spec_file, "--output-json", str(result)) == 0
    out = capsys.readouterr().out
    outcome = json.loads(result.read_text())
    endpoint = outcome["endpoint"]
    ocid = outcome["deployment_id"]
    assert outcome["state"] == "ACTIVE"
    assert outcome["dimension"] == 384
    limits = {"batch_size": 128, "max_request_bytes": 8_000_000, "server_permits": 1024}
    assert {key: outcome[key] for key in limits} == limits
    assert endpoint == f"{deploy_env.emulator.url}/{ocid}/predict"

    # Each step, with the progress the wait shows (state, percentComplete, log lines).
    assert f"  {hub_cache}" in out  # snapshot_download resolved the cache, offline
    assert "created the versioned bucket models" in out
    assert f"uploading {HUB_ID}/model.safetensors" in out
    assert "created model ocid1.datasciencemodel." in out
    assert "  CREATING" in out
    assert "MODEL_DEPLOYMENT_CREATE: SUCCEEDED 100%" in out
    assert "Starting container iad.ocir.io/emulatorns/text-embeddings-inference:cpu-1.9" in out
    assert "OK: one vector of dimension 384" in out
    assert f"Predict endpoint: {endpoint}\n" in out
    tuned = "batch_size=128, max_request_bytes=8000000, server_permits=1024"
    assert (
        f'OCITEIEmbeddings(endpoint="{endpoint}", auth="api_key", '
        f'config_file="{deploy_env.oci_config}", {tuned})' in out
    )
    assert f'OCITEIEmbedding(endpoint="{endpoint}", auth="api_key"' in out
    assert f"embed_{tuned})" in out
    assert out.rstrip().endswith(f"{ocid}: ACTIVE")

    # What OCI holds: a versioned bucket with only TEI's files, one tagged model by
    # reference, one deployment configured as the seed's.
    storage = deploy_env.object_storage
    assert storage.get_bucket("emulatorns", "models").data.versioning == "Enabled"
    uploaded = deploy_env.objects("models")
    assert f"{HUB_ID}/1_Pooling/config.json" in uploaded
    assert f"{HUB_ID}/README.md" not in uploaded
    (model,) = deploy_env.models()
    assert model.id == outcome["model_id"]
    assert model.freeform_tags[OWNER_TAG] == "hub-minilm"
    deployment = deploy_env.data_science.get_model_deployment(ocid).data
    config = deployment.model_deployment_configuration_details
    container = config.environment_configuration_details
    assert container.cmd[:7] == [
        "--model-id",
        f"/opt/ds/model/deployed_model/{HUB_ID}/",
        "--port",
        "8080",
        "--hostname",
        "0.0.0.0",
        "--json-output",
    ]
    assert container.environment_variables["MODEL_DEPLOY_PREDICT_ENDPOINT"] == PREDICT_ROUTE
    assert (container.server_port, container.health_check_port) == (8080, 8080)
    assert config.model_configuration_details.model_id == model.id
    assert deployment.freeform_tags[OWNER_TAG] == "hub-minilm"

    # The seed's closing check, through our signed client: real vectors, the similar pair
    # closer than the unrelated sentence; the same vectors as the model served directly.
    vectors = deploy_env.embed(endpoint, SENTENCES)
    similarity = _cosine(vectors)
    assert similarity[0, 1] > 0.6 > similarity[0, 2]
    direct = _json_vectors(tei_server.url, SENTENCES)
    np.testing.assert_allclose(np.array(vectors), direct, atol=1e-5)

    # Deploying again is a no-op that finds what the first run made.
    assert deploy_env.cli("deploy", spec_file, "--no-smoke-test") == 0
    again = capsys.readouterr().out
    assert "found this spec's deployment (ACTIVE); resuming" in again
    assert "[3/7 upload]" not in again
    assert [d.id for d in deploy_env.deployments()] == [ocid]
    assert len(deploy_env.models()) == 1


def _json_vectors(url: str, texts: list[str]) -> np.ndarray:
    response = httpx.post(f"{url}/v1/embeddings", json={"input": texts}, timeout=60)
    response.raise_for_status()
    return np.array([item["embedding"] for item in response.json()["data"]])


def test_hub_revision_pinned_to_a_commit(deploy_env: DeployEnv, hub_cache: Path) -> None:
    """A pinned commit resolves from the cache too; the executor API, no CLI."""
    lines: list[str] = []
    spec_file = deploy_env.spec_file(
        "hub-pinned",
        model={"id": HUB_ID, "revision": HUB_REVISION},
        **{"artifact.uri": f"oci://models@emulatorns/pinned/{HUB_REVISION}"},
    )
    outcome = deploy_env.executor(lines.append).deploy(load_spec(spec_file), smoke_test=False)
    assert outcome.state == "ACTIVE"
    assert f"  {hub_cache}" in lines
    assert deploy_env.embed(outcome.endpoint, ["pinned"])[0]


def test_demo_spec_runs_with_no_environment(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    """What ``make demo`` does: the shipped demo spec, the bundled model, JSON for scripts."""
    assert main(["deploy", str(DEMO_SPEC), "--dry-run"]) == 0
    assert "cpu-1.9" in capsys.readouterr().out
    result = deploy_env.directory / "demo.json"
    assert deploy_env.cli("deploy", DEMO_SPEC, "--output-json", str(result)) == 0
    outcome = json.loads(result.read_text())
    assert outcome["name"] == "demo-minilm-emulator"
    assert outcome["state"] == "ACTIVE"
    vectors = deploy_env.embed(outcome["endpoint"], SENTENCES)
    assert [len(v) for v in vectors] == [384, 384, 384]
    bucket = deploy_env.object_storage.get_bucket("emulatorns", "oci-tei-demo").data
    assert bucket.versioning == "Enabled"


def test_demo_commands_as_a_script_runs_them(tmp_path: Path) -> None:
    """``oci-tei emulate --write-config`` then ``oci-tei deploy ... --output-json``, as
    separate processes; the script learns the endpoint from the JSON file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCI_TEI_DEMO_")}
    env.update(HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    config = tmp_path / "oci" / "config"
    emulate = subprocess.Popen(
        [sys.executable, "-m", "oci_tei", "emulate", "--port", "0", "--runner", "inprocess",
         "--write-config", str(config.parent), "--oci-config", str(tmp_path / "none")],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert emulate.stdout is not None
        url = emulate.stdout.readline().split()[-1]
        deadline = time.monotonic() + 30
        while not config.exists():  # written once the emulator serves
            assert time.monotonic() < deadline
            time.sleep(0.05)
        result = tmp_path / "deployment.json"
        deploy = subprocess.run(
            [sys.executable, "-m", "oci_tei", "deploy", str(DEMO_SPEC),
             "--auth", "api_key", "--config-file", str(config), "--service-endpoint", url,
             "--output-json", str(result)],
            capture_output=True, text=True, env=env, timeout=240,
        )  # fmt: skip
        assert deploy.returncode == 0, deploy.stderr[-2000:]
        endpoint = json.loads(result.read_text())["endpoint"]
        assert f"Predict endpoint: {endpoint}" in deploy.stdout
        assert "HTTP Request:" not in deploy.stdout  # no library request logs in the output
        with EmbeddingClient(endpoint=endpoint, auth="api_key", config_file=str(config)) as client:
            assert len(client.embed_query("offline RAG")) == 384
    finally:
        emulate.terminate()
        emulate.wait(timeout=60)
    assert emulate.returncode == 0
