"""Artifacts API subset (``/20160918/container``): OCIR repositories and images.

``oci.artifacts.ArtifactsClient.list_container_repositories`` and
``list_container_images`` list what ``--ocir-image`` declared as pushed, in this
emulator's region only (each region has its own registry). In an open (non-strict)
tenancy every image is taken as pushed, so these lists are empty but nothing fails.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from oci_tei_emulator._errors import OCIError
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._tenancy import TENANCY, OcirImage, TenancyState, now, page, region_name
from oci_tei_emulator._wire import model_response

__all__ = ["add_routes"]

SERVICE = "artifacts"
API = "/20160918/container"


def _visible(request: web.Request) -> tuple[TenancyState, list[OcirImage]]:
    request.app[CONTEXT].authenticate(request)
    state = request.app[TENANCY]
    compartment = request.query.get("compartmentId")
    if not compartment:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    # Declared repositories live in the tenancy (root compartment).
    in_scope = compartment == state.config.tenancy_id
    region = region_name(state.config.region)
    with state.lock:
        images = [i for i in state.images if in_scope and i.region == region]
    name = request.query.get("repositoryName") or request.query.get("displayName")
    version = request.query.get("version")
    if not state.strict and in_scope and name and not images:
        # An open tenancy has every image: the one asked for is reported as pushed.
        namespace = request.app[CONTEXT].config.namespace
        images = [state.add_image(f"{region}.ocir.io/{namespace}/{name}:{version or 'latest'}")]
    return state, images


async def list_container_repositories(request: web.Request) -> web.Response:
    """ListContainerRepositories (``displayName`` filters by repository name)."""
    import oci

    state, images = _visible(request)
    name = request.query.get("displayName")
    models = oci.artifacts.models
    repositories: dict[str, Any] = {}
    for image in images:
        if name and image.repository != name:
            continue
        summary = repositories.get(image.repository_id)
        if summary is None:
            summary = repositories[image.repository_id] = models.ContainerRepositorySummary(
                compartment_id=state.config.tenancy_id,
                display_name=image.repository,
                id=image.repository_id,
                image_count=0,
                is_public=False,
                layer_count=1,
                layers_size_in_bytes=0,
                lifecycle_state="AVAILABLE",
                time_created=now(),
                billable_size_in_gbs=0,
                namespace=image.namespace,
            )
        summary.image_count += 1
    items, headers = page(request, list(repositories.values()))
    collection = models.ContainerRepositoryCollection(
        items=items,
        repository_count=len(repositories),
        image_count=sum(r.image_count for r in repositories.values()),
        layer_count=len(repositories),
        layers_size_in_bytes=0,
        remaining_items_count=0,
    )
    return model_response(SERVICE, collection, headers=headers)


async def list_container_images(request: web.Request) -> web.Response:
    """ListContainerImages (``repositoryName``, ``repositoryId``, ``version`` filter)."""
    import oci

    state, images = _visible(request)
    query = request.query
    models = oci.artifacts.models
    items = [
        models.ContainerImageSummary(
            compartment_id=state.config.tenancy_id,
            digest=f"sha256:{image.image_id[-32:]:0>64}",
            display_name=f"{image.repository}:{image.tag}",
            id=image.image_id,
            lifecycle_state="AVAILABLE",
            repository_id=image.repository_id,
            repository_name=image.repository,
            time_created=now(),
            version=image.tag,
        )
        for image in images
        if query.get("repositoryName", image.repository) == image.repository
        and query.get("repositoryId", image.repository_id) == image.repository_id
        and query.get("version", image.tag) == image.tag
    ]
    chunk, headers = page(request, items)
    collection = models.ContainerImageCollection(items=chunk, remaining_items_count=0)
    return model_response(SERVICE, collection, headers=headers)


def add_routes(app: web.Application) -> None:
    """Register the Artifacts container routes."""
    app.router.add_get(f"{API}/repositories", list_container_repositories)
    app.router.add_get(f"{API}/images", list_container_images)
