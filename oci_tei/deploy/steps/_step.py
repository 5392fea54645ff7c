"""What a pipeline step is, and what one deploy run carries from step to step.

A step is an object with a ``key``, a ``label`` (shown as ``[n/N label]``), a
``describe(spec, options)`` for ``--dry-run`` and a ``run(run)`` that does the work; ``wanted(run)``
says whether it runs this time (a resumed deploy skips what an earlier run made) and
``headline(run)`` what its progress line says. The pipeline (:mod:`._pipeline`) numbers
the steps from the list, so a new step is one object placed in the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.spec import DeploySpec

if TYPE_CHECKING:
    from oci_tei.deploy.steps._pipeline import Pipeline

__all__ = ["DEFAULT_WAIT_TIMEOUT_S", "DeployRun", "PlannedStep", "RunOptions", "Step"]

# GPU deployments usually turn ACTIVE in 10 to 25 minutes.
DEFAULT_WAIT_TIMEOUT_S = 45 * 60


@dataclass(frozen=True)
class PlannedStep:
    """One step as ``--dry-run`` shows it.

    Attributes:
        key: The step's key (``download``, ``upload``...).
        title: What the step does, in words.
        inputs: The concrete values it uses, in display order.
    """

    key: str
    title: str
    inputs: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOptions:
    """How a deploy runs (the ``oci-tei deploy`` flags).

    Attributes:
        wait: Wait until ACTIVE (and smoke-test); False returns once the deployment is
            requested.
        timeout_s: How long each wait may take.
        smoke_test: Make one signed call once ACTIVE.
        preflight: Check what OCI would fail on before creating anything.
        update: Apply the difference when the live deployment no longer matches the spec.
        image_copy: Copy TEI's image into OCIR when it is missing there (registry to
            registry, the caller's OCI identity); False makes a missing image an error.
    """

    wait: bool = True
    timeout_s: float = DEFAULT_WAIT_TIMEOUT_S
    smoke_test: bool = True
    preflight: bool = True
    update: bool = False
    image_copy: bool = True


@dataclass
class DeployRun:
    """What one deploy carries from step to step; each step reads and fills its fields.

    Attributes:
        session: Clients, output, pacing.
        spec: The validated spec.
        options: The run's flags.
        pipeline: The pipeline running (for numbering and :meth:`Pipeline.prepare`).
        existing: This spec's live deployment found by an earlier run (a full record), or
            None for a new deployment.
        model_dir: The local model files (download step).
        model_id: The model's OCID (model step).
        deployment_id: The deployment's OCID (deployment step).
        deployment: The deployment's record once settled (wait step).
        endpoint: Its predict URL (known once the deployment exists).
        dimension: The vector dimension the smoke test saw.
        extra: Room for what a step adds and a later step reads (an image copy's target...).
    """

    session: DeploySession
    spec: DeploySpec
    options: RunOptions
    pipeline: Pipeline
    existing: Any | None = None
    model_dir: Path | None = None
    model_id: str | None = None
    deployment_id: str | None = None
    deployment: Any | None = None
    endpoint: str = ""
    dimension: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def echo(self, line: str) -> None:
        """A progress line."""
        self.session.echo(line)


class Step:
    """A pipeline step. Subclass it, set the class attributes, override what applies.

    Attributes:
        key: Unique in the pipeline; names the step in the plan and in errors.
        label: Shown in the progress line, ``[n/N label]``.
        numbered: Counted in ``N``; an unnumbered step (a check) shows as ``[label]``.
        prepares: Makes something the deployment uses (files, model, image): it runs
            before a new deployment is created, and again when ``--update`` needs a new
            model (:meth:`Pipeline.prepare`), and is skipped when resuming.
    """

    key: str
    label: str
    numbered: bool = True
    prepares: bool = False

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep | None:
        """The step for ``--dry-run``, from the spec alone (None: not shown)."""
        return None

    def wanted(self, run: DeployRun) -> bool:
        """Whether the step runs this time (default: a preparing step only for a new one)."""
        return not (self.prepares and run.existing is not None)

    def headline(self, run: DeployRun) -> str | None:
        """The progress line's text after ``[n/N label]`` (None: no line)."""
        return ""

    def run(self, run: DeployRun) -> None:
        """Do the work, reading and filling ``run``.

        Raises:
            DeployError: The step failed; the message says why and what to do.
        """
        raise NotImplementedError
