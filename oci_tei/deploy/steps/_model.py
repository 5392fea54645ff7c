"""Step 3: the model by reference, found again by its tags or created with oracle-ads.

A model is reused only when its tags match the spec's artifact and source and it has an
artifact: a creation interrupted between "model created" and "artifact attached" leaves
an artifact-less model, which is skipped rather than deployed.
"""

from __future__ import annotations

from typing import Any

from oci_tei.deploy._session import DeploySession, list_all
from oci_tei.deploy.spec import DeploySpec
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step

__all__ = [
    "RegisterModel",
    "ensure_model",
]


def ensure_model(session: DeploySession, spec: DeploySpec) -> str:
    """The OCID of this spec's model by reference: found by its tags, or created."""
    from oci_tei.deploy.spec._ads_resources import build_model

    client = session.data_science(spec.region)
    wanted = spec.model_tags()
    models = list_all(
        client.list_models,
        spec.compartment_id,
        project_id=spec.project_id,
        lifecycle_state="ACTIVE",
    )
    for model in sorted(models, key=lambda item: item.time_created, reverse=True):
        tags = model.freeform_tags or {}
        if not all(tags.get(key) == value for key, value in wanted.items()):
            continue
        if not _has_artifact(client, model.id):
            session.echo(f"  skipping model {model.id}: it has no artifact (interrupted creation)")
            continue
        session.echo(f"  reusing model {model.id}")
        return str(model.id)
    created = build_model(spec).create(model_by_reference=True)
    session.echo(f"  created model {created.id}")
    return str(created.id)


def _has_artifact(client: Any, model_id: str) -> bool:
    import oci

    try:
        client.head_model_artifact(model_id)
    except oci.exceptions.ServiceError as exc:
        if exc.status == 404:
            return False
        raise
    return True


class RegisterModel(Step):
    """The model by reference: ours found by its tags, or created with oracle-ads."""

    key = "model"
    label = "model"
    prepares = True

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep:
        """The model's compartment, project, name, artifact and tags."""
        return PlannedStep(
            self.key,
            "Create the model by reference (oracle-ads DataScienceModel), or reuse ours",
            {
                "compartment_id": spec.compartment_id,
                "project_id": spec.project_id,
                "display_name": spec.model.label,
                "artifact": spec.artifact.uri,
                "model_by_reference": True,
                "freeform_tags": spec.model_tags(),
            },
        )

    def headline(self, run: DeployRun) -> str:
        """What the line says."""
        return "model by reference"

    def run(self, run: DeployRun) -> None:
        """``run.model_id``."""
        run.model_id = ensure_model(run.session, run.spec)
