"""Display names and descriptions: the spec's, or the seed walkthrough's wording."""

from __future__ import annotations

from oci_tei.deploy.spec._document import DeploySpec
from oci_tei.deploy.spec._image_choice import choose_image

__all__ = ["deployment_description", "deployment_display_name"]


def deployment_display_name(spec: DeploySpec) -> str:
    """The spec's display name, or the seed's ``<model> with TEI docker container``."""
    return spec.display_name or f"{spec.model.label} with TEI docker container"


def deployment_description(spec: DeploySpec) -> str:
    """The spec's description, or the seed's wording naming the image actually deployed."""
    if spec.description:
        return spec.description
    tag = choose_image(spec).tag
    return f"Deployment of {spec.model.label} MD with text-embeddings-inference:{tag} container"
