"""Runs the deploy pipeline (:data:`~oci_tei.deploy.steps._pipeline.PIPELINE`) against OCI.

:class:`DeployExecutor` builds one :class:`~oci_tei.deploy.steps._step.DeployRun`, hands it
to the pipeline and turns what the steps left in it into a :class:`DeployOutcome`. It knows
no step by name: the order and the steps are the pipeline's. Re-running ``deploy`` is
safe: each step finds what an earlier run made (cached download, identical objects
skipped, the model and deployment found by their tags) and continues from there.

It is exercised against the OCI emulator, through the real oracle-ads and oci SDK code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from oci_tei.deploy._connection import Connection
from oci_tei.deploy._errors import DeployError
from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.manage import get_deployment, predict_endpoint
from oci_tei.deploy.spec import (
    TEI_DEFAULT_BATCH,
    TEI_DEFAULT_PAYLOAD,
    TEI_DEFAULT_PERMITS,
    DeploySpec,
    client_options,
    spec_warnings,
)
from oci_tei.deploy.steps._pipeline import PIPELINE, Pipeline
from oci_tei.deploy.steps._plan import build_plan
from oci_tei.deploy.steps._step import DEFAULT_WAIT_TIMEOUT_S, DeployRun, RunOptions

__all__ = ["DeployExecutor", "DeployOutcome"]


@dataclass(frozen=True)
class DeployOutcome:
    """What ``deploy`` ended with (``--output-json`` writes it for scripts).

    Attributes:
        name: The spec's name (its ownership tag).
        deployment_id: The model deployment's OCID.
        model_id: The model's OCID.
        state: The lifecycle state when ``deploy`` returned (ACTIVE unless ``wait=False``).
        endpoint: The predict URL to give the client, LangChain or LlamaIndex.
        region: The deployment's region.
        dimension: The vector dimension the smoke test saw (None without it).
        batch_size: The client ``batch_size`` that fits the spec's TEI.
        max_request_bytes: The client ``max_request_bytes`` that fits it.
        server_permits: The client ``server_permits`` that fits it.
        image: The image the deployment runs (``<ocir repository>:<tag>``).
        image_digest: The digest it is pinned to (None: not pinned).
    """

    name: str
    deployment_id: str
    model_id: str
    state: str
    endpoint: str
    region: str
    dimension: int | None = None
    batch_size: int = TEI_DEFAULT_BATCH
    max_request_bytes: int = TEI_DEFAULT_PAYLOAD
    server_permits: int = TEI_DEFAULT_PERMITS
    image: str = ""
    image_digest: str | None = None

    def to_json(self) -> str:
        """The outcome as a JSON document."""
        return json.dumps(asdict(self), indent=2) + "\n"


class DeployExecutor:
    """Runs the deploy pipeline against OCI (or the emulator, via ``service_endpoint``).

    The arguments are those of :class:`~oci_tei.deploy._session.DeploySession`, which the
    steps share, and the pipeline to run (default: :data:`PIPELINE`).
    """

    def __init__(
        self,
        connection: Connection,
        *,
        echo: Callable[[str], None] = print,
        poll_interval_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        pipeline: Pipeline = PIPELINE,
    ) -> None:
        self.session = DeploySession(connection, echo, poll_interval_s, sleep, clock)
        self.pipeline = pipeline

    @property
    def connection(self) -> Connection:
        """Identity and endpoint."""
        return self.session.connection

    def deploy(
        self,
        spec: DeploySpec,
        *,
        wait: bool = True,
        timeout_s: float = DEFAULT_WAIT_TIMEOUT_S,
        smoke_test: bool = True,
        preflight: bool = True,
        update: bool = False,
        image_copy: bool = True,
    ) -> DeployOutcome:
        """Run the pipeline (locate, preflight, download ... smoke test) for ``spec``.

        ``preflight`` (:mod:`oci_tei.deploy.preflight`) runs before anything is uploaded
        or created, and stops the deploy on what OCI would fail. When the spec's live
        deployment no longer matches the spec, the difference is printed; ``update``
        applies it as OCI allows, otherwise nothing changes and :class:`DeployError` says
        what ``update`` would do.

        Raises:
            DeployError: A step failed; the message names it and says what to do.
            SpecError: What the spec composes breaks an OCI rule.
        """
        build_plan(spec)  # the offline rules first: nothing is made from a spec OCI refuses
        for warning in spec_warnings(spec):
            self.session.echo(f"warning: {warning}")
        options = RunOptions(
            wait=wait,
            timeout_s=timeout_s,
            smoke_test=smoke_test,
            preflight=preflight,
            update=update,
            image_copy=image_copy,
        )
        run = DeployRun(self.session, spec, options, self.pipeline)
        self.pipeline.execute(run)
        if run.deployment_id is None:
            raise DeployError("the pipeline made no deployment", step="deployment")
        record = run.deployment or get_deployment(self.session, run.deployment_id)
        return self.outcome(spec, record, dimension=run.dimension)

    @staticmethod
    def outcome(
        spec: DeploySpec, deployment: Any, *, dimension: int | None = None
    ) -> DeployOutcome:
        """The outcome for a deployment record made from ``spec``."""
        config = deployment.model_deployment_configuration_details
        model = config.model_configuration_details
        environment = getattr(config, "environment_configuration_details", None)
        return DeployOutcome(
            name=spec.name,
            deployment_id=str(deployment.id),
            model_id=str(model.model_id),
            state=str(deployment.lifecycle_state),
            endpoint=predict_endpoint(deployment),
            region=spec.region,
            dimension=dimension,
            **client_options(spec),
            image=str(getattr(environment, "image", "") or ""),
            image_digest=getattr(environment, "image_digest", None),
        )
