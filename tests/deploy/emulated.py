"""What the deploy tests against the OCI emulator share: specs, CLI calls, SDK clients.

Everything talks to the emulator through the real oci SDK and oracle-ads; the containers
are the real local TEI server, in process, reusing the session's model.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oci
import yaml

from oci_tei._auth import AuthSpec
from oci_tei._cli import main
from oci_tei._client import EmbeddingClient
from oci_tei.deploy._connection import Connection
from oci_tei.deploy.steps import DeployExecutor
from oci_tei_emulator import Emulator
from tests.fixtures.oci import all_items, sdk_client

DEMO_SPEC = Path(__file__).resolve().parents[2] / "deploy" / "demo-minilm-emulator.yaml"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaociteidemo"
PROJECT = "ocid1.datascienceproject.oc1.iad.aaaaaaaaociteidemo"
#: A Hub id for the bundled model, resolved from a local Hugging Face cache.
HUB_ID = "oci-tei-test/all-MiniLM-L6-v2"
HUB_REVISION = hashlib.sha1(b"oci-tei-test").hexdigest()


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set (or, with None, delete) a dotted field of parsed YAML."""
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value


@dataclass
class DeployEnv:
    """One emulator, an OCI config that it trusts, and a directory for spec files."""

    emulator: Emulator
    oci_config: Path
    directory: Path
    #: The user whose view the inspection clients take (a strict tenancy's administrator);
    #: empty: the config's user.
    observer: str = ""

    @property
    def connection_args(self) -> list[str]:
        """``--auth api_key --config-file ... --service-endpoint ...``."""
        return [
            "--auth",
            "api_key",
            "--config-file",
            str(self.oci_config),
            "--service-endpoint",
            self.emulator.url,
        ]

    def spec_file(self, name: str, **overrides: Any) -> Path:
        """The demo spec with ``name`` and dotted-path overrides (``tei.extra_args=[...]``)."""
        data = copy.deepcopy(yaml.safe_load(DEMO_SPEC.read_text()))
        data["name"] = name
        for dotted, value in overrides.items():
            set_path(data, dotted.replace("__", "."), value)
        path = self.directory / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    def cli(self, command: str, target: str | Path, *extra: str) -> int:
        """``oci-tei COMMAND TARGET [EXTRA...]`` against the emulator."""
        return main([command, str(target), *extra, *self.connection_args])

    def executor(self, echo: Callable[[str], None] = lambda line: None) -> DeployExecutor:
        """A ``DeployExecutor`` against the emulator (polls back off from 1 s to 2 s)."""
        auth = AuthSpec("api_key", None, str(self.oci_config))
        return DeployExecutor(Connection(auth, self.emulator.url), echo=echo, poll_interval_s=2)

    def _config(self) -> dict[str, Any]:
        config = dict(oci.config.from_file(str(self.oci_config)))
        if self.observer:
            config["user"] = self.observer
        return config

    @property
    def data_science(self) -> Any:
        """A plain ``DataScienceClient`` on the emulator."""
        return sdk_client(
            oci.data_science.DataScienceClient, self._config(), service_endpoint=self.emulator.url
        )

    @property
    def object_storage(self) -> Any:
        """A plain ``ObjectStorageClient`` on the emulator."""
        return sdk_client(
            oci.object_storage.ObjectStorageClient,
            self._config(),
            service_endpoint=self.emulator.url,
        )

    def deployments(self) -> list[Any]:
        """Every deployment not deleted."""
        items = all_items(self.data_science.list_model_deployments, COMPARTMENT)
        return [item for item in items if item.lifecycle_state not in ("DELETING", "DELETED")]

    def models(self) -> list[Any]:
        """Every model in the compartment."""
        return all_items(self.data_science.list_models, COMPARTMENT)

    def objects(self, bucket: str) -> dict[str, int]:
        """Object name -> number of versions, in ``bucket``."""
        namespace = self.emulator.namespace
        counts: dict[str, int] = {}
        versions = oci.pagination.list_call_get_all_results(
            self.object_storage.list_object_versions, namespace, bucket
        ).data
        for item in versions:
            counts[item.name] = counts.get(item.name, 0) + 1
        return counts

    def wait_state(self, ocid: str, states: Sequence[str], timeout: float = 60.0) -> str:
        """Poll a deployment until its state is one of ``states``."""
        deadline = time.monotonic() + timeout
        while (state := self.data_science.get_model_deployment(ocid).data.lifecycle_state) not in (
            states
        ):
            assert time.monotonic() < deadline, f"{ocid} still {state}"
            time.sleep(0.05)
        return str(state)

    def embed(self, endpoint: str, texts: list[str]) -> list[list[float]]:
        """Signed embedding calls through the package's client."""
        with EmbeddingClient(
            endpoint=endpoint, auth="api_key", config_file=str(self.oci_config)
        ) as client:
            return client.embed(texts)


def build_hub_cache(cache: Path, repo_id: str, revision: str, source: Path) -> Path:
    """Lay out ``source``'s files as huggingface_hub caches a download of ``repo_id``.

    ``models--org--name/{blobs,snapshots/<revision>,refs/main}``; blobs link to the source
    files (no 90 MB copy), snapshot files link to blobs, as the real cache does.

    Returns:
        The snapshot directory ``snapshot_download`` should resolve to.
    """
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / revision
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source)
        blob = repo / "blobs" / hashlib.sha256(path.read_bytes()).hexdigest()
        if not blob.exists():
            blob.symlink_to(path.resolve())
        link = snapshot / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(Path("../" * (len(relative.parts) + 1)) / "blobs" / blob.name)
    return snapshot
