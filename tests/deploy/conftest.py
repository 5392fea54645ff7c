"""Deploy tests: the shipped specs with the environment they expect, and spec factories."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from oci_tei.deploy.spec import DeploySpec, load_spec, parse_spec

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


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value


@pytest.fixture
def ads_offline_auth(oci_config: Path) -> Iterator[Path]:
    """oracle-ads set to a throwaway API key (it builds clients, never calls), then restored."""
    import ads
    from ads.common.auth import AuthState

    saved = dict(vars(AuthState()))
    ads.set_auth("api_key", oci_config_location=str(oci_config))
    yield oci_config
    vars(AuthState()).update(saved)
