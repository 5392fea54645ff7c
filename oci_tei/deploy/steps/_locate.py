"""The first step: the region check, and this spec's deployment from an earlier run.

Re-running ``deploy`` is safe because of it: when a deployment with the spec's owner tag
is live, the steps that prepare a new one are skipped and the deployment step resumes
(or, with ``--update``, updates) it.
"""

from __future__ import annotations

from oci_tei.deploy.manage import find_deployment, get_deployment
from oci_tei.deploy.spec import OWNER_TAG, DeploySpec
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step

__all__ = ["Locate"]


class Locate(Step):
    """Refuse a profile for another region; find the spec's live deployment, if any."""

    key = "locate"
    label = "locate"
    numbered = False

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep:
        """What identifies the spec's deployment."""
        return PlannedStep(
            self.key,
            "Find this spec's deployment from an earlier run, to resume or update it",
            {
                "region": spec.region,
                "owner tag": f"{OWNER_TAG}={spec.name}",
                "in": f"compartment {spec.compartment_id}, project {spec.project_id}",
            },
        )

    def headline(self, run: DeployRun) -> None:
        """No line: the deployment step says what was found."""
        return None

    def run(self, run: DeployRun) -> None:
        """``run.existing``: the full record (summaries lack ``lifecycle_details``)."""
        run.session.check_region(run.spec)
        # With preflight to follow, a list OCI answers 404 (a compartment that does not
        # exist, or one the caller may not inspect) is "none found": preflight names why.
        found = find_deployment(run.session, run.spec, unreadable_is_none=run.options.preflight)
        if found is not None:
            run.existing = get_deployment(run.session, found.id)
