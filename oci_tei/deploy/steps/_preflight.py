"""The preflight as a pipeline step: what OCI would fail on, checked before anything is made.

The checks themselves are :mod:`oci_tei.deploy.preflight`'s (``oci-tei doctor`` runs them
alone). A deploy that resumes an earlier run's deployment skips them: it was checked
before it was made.
"""

from __future__ import annotations

from oci_tei.deploy.preflight import PreflightError, run_preflight
from oci_tei.deploy.spec import DeploySpec
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step

__all__ = ["Preflight"]


class Preflight(Step):
    """Identity, compartment, project, shape, limits, image, bucket, logs, IAM policies."""

    key = "preflight"
    label = "preflight"
    numbered = False

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep | None:
        """The checks (unless ``--skip-preflight``)."""
        if not options.preflight:
            return None
        return PlannedStep(
            self.key,
            "Check what OCI would fail on before anything is made (oci-tei doctor SPEC)",
            {
                "checks": "identity, compartment, project, shape, limits, image, bucket, "
                "logs, IAM policies",
                "skipped": "when resuming this spec's deployment, or with --skip-preflight",
            },
        )

    def wanted(self, run: DeployRun) -> bool:
        """For a new deployment, unless ``--skip-preflight``."""
        return run.options.preflight and run.existing is None

    def headline(self, run: DeployRun) -> str:
        """What the line says."""
        return "checking what OCI would fail on"

    def run(self, run: DeployRun) -> None:
        """Print the findings; stop on a failure.

        Raises:
            PreflightError: A check failed (the message lists each problem and its fix).
        """
        report = run_preflight(
            run.session, run.spec, resuming=False, image_copy=run.options.image_copy
        )
        run.echo(report.render())
        if not report.ok:
            raise PreflightError(report)
