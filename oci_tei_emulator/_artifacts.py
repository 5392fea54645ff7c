"""Artifacts API subset (``/20160918/container``): OCIR repositories and images.

Two sources of truth, per emulator:

- with a registry attached (``EmulatorConfig.ocir_registry``, a real ``docker-registry``
  behind the emulator's token service, :mod:`._ocir`), repositories are those made with
  ``CreateContainerRepository`` or by a first push, and images are what that registry
  really holds: each tag with the digest it names;
- otherwise images are the ones ``--ocir-image`` declared as pushed, in this emulator's
  region only (each region has its own registry); in an open (non-strict) tenancy every
  image asked for is reported as pushed.

Repository calls (``ArtifactsClient.create/get/list/update/delete_container_repository``)
are authorized under ``--strict`` by the authorization middleware (:mod:`._authorize`) from
the contract's table, as the Registry policy reference lists them: List needs
REPOSITORY_INSPECT (``inspect repos``), Get REPOSITORY_READ (``read``),
Create/Update/Delete REPOSITORY_CREATE/UPDATE/DELETE (``manage``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from oci_tei_emulator._errors import OCIError, not_found
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._ocir import OCIR, OcirState, RegistryImage, Repository
from oci_tei_emulator._tenancy import TENANCY, OcirImage, TenancyState, now, page, region_name
from oci_tei_emulator._wire import from_wire, model_response

__all__ = ["add_routes"]

SERVICE = "artifacts"
API = "/20160918/container"


def _authenticate(request: web.Request, body: bytes = b"") -> str:
    """Verify the signature; returns the caller.

    Under ``--strict`` the authorization middleware (:mod:`._authorize`) already checked
    ``repos`` for the operation.
    """
    return str(request.app[CONTEXT].authenticate(request, body).subject)


def _declared(request: web.Request) -> tuple[TenancyState, list[OcirImage]]:
    state = request.app[TENANCY]
    compartment = request.query.get("compartmentId")
    if not compartment:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    # Declared repositories live in the tenancy (root compartment); an open tenancy has
    # every image wherever it is asked for.
    in_scope = compartment == state.config.tenancy_id or not state.strict
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


def _repository_model(repository: Repository, images: list[RegistryImage]) -> Any:
    import oci

    return oci.artifacts.models.ContainerRepository(
        compartment_id=repository.compartment_id,
        created_by=repository.created_by or "ocid1.user.oc1..emulator",
        display_name=repository.display_name,
        id=repository.id,
        image_count=len({image.digest for image in images}),
        is_immutable=repository.is_immutable,
        is_public=repository.is_public,
        layer_count=0,
        layers_size_in_bytes=0,
        lifecycle_state=repository.lifecycle_state,
        time_created=repository.time_created,
        billable_size_in_gbs=0,
        namespace=repository.namespace,
        freeform_tags=dict(repository.freeform_tags),
        defined_tags={},
        system_tags={},
    )


def _ocir(request: web.Request) -> OcirState:
    return request.app[OCIR]


def _repository(request: web.Request) -> Repository:
    repository = _ocir(request).repositories.get(request.match_info["id"])
    if repository is None or repository.lifecycle_state == "DELETED":
        raise not_found("repository")
    return repository


async def create_container_repository(request: web.Request) -> web.Response:
    """CreateContainerRepository: a repository in a compartment (private unless asked)."""
    body = await request.read()
    details = from_wire(SERVICE, body, "CreateContainerRepositoryDetails")
    if not details.compartment_id or not details.display_name:
        raise OCIError(400, "InvalidParameter", "compartmentId and displayName are required.")
    subject = _authenticate(request, body)
    repository = _ocir(request).create(
        details.compartment_id,
        details.display_name,
        is_public=bool(details.is_public),
        created_by=subject,
    )
    repository.is_immutable = bool(details.is_immutable)
    repository.freeform_tags = dict(details.freeform_tags or {})
    return model_response(SERVICE, _repository_model(repository, []))


async def get_container_repository(request: web.Request) -> web.Response:
    """GetContainerRepository."""
    repository = _repository(request)
    _authenticate(request)
    images = await _ocir(request).images(_http(request), repository)
    return model_response(SERVICE, _repository_model(repository, images))


async def update_container_repository(request: web.Request) -> web.Response:
    """UpdateContainerRepository: ``isPublic``, ``isImmutable``, tags."""
    repository = _repository(request)
    body = await request.read()
    _authenticate(request, body)
    details = from_wire(SERVICE, body, "UpdateContainerRepositoryDetails")
    if details.is_public is not None:
        repository.is_public = bool(details.is_public)
    if details.is_immutable is not None:
        repository.is_immutable = bool(details.is_immutable)
    if details.freeform_tags is not None:
        repository.freeform_tags = dict(details.freeform_tags)
    images = await _ocir(request).images(_http(request), repository)
    return model_response(SERVICE, _repository_model(repository, images))


async def delete_container_repository(request: web.Request) -> web.Response:
    """DeleteContainerRepository (its images go with it)."""
    repository = _repository(request)
    _authenticate(request)
    ocir = _ocir(request)
    with ocir.lock:
        ocir.repositories.pop(repository.id, None)
    return web.Response(status=204)


async def list_container_repositories(request: web.Request) -> web.Response:
    """ListContainerRepositories (``displayName`` filters by repository name)."""
    import oci

    compartment = request.query.get("compartmentId")
    if not compartment:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    _authenticate(request)
    name = request.query.get("displayName")
    models = oci.artifacts.models
    summaries: dict[str, Any] = {}
    ocir = _ocir(request)
    for repository in list(ocir.repositories.values()):
        if repository.compartment_id != compartment or (name and repository.display_name != name):
            continue
        images = await ocir.images(_http(request), repository)
        summaries[repository.id] = _summary(models, _repository_model(repository, images))
    if ocir.server is None:
        state, declared = _declared(request)
        for image in declared:
            if name and image.repository != name:
                continue
            summary = summaries.get(image.repository_id)
            if summary is None:
                summary = summaries[image.repository_id] = models.ContainerRepositorySummary(
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
    items, headers = page(request, list(summaries.values()))
    collection = models.ContainerRepositoryCollection(
        items=items,
        repository_count=len(summaries),
        image_count=sum(r.image_count for r in summaries.values()),
        layer_count=len(summaries),
        layers_size_in_bytes=0,
        remaining_items_count=0,
    )
    return model_response(SERVICE, collection, headers=headers)


def _summary(models: Any, repository: Any) -> Any:
    return models.ContainerRepositorySummary(
        compartment_id=repository.compartment_id,
        display_name=repository.display_name,
        id=repository.id,
        image_count=repository.image_count,
        is_public=repository.is_public,
        layer_count=repository.layer_count,
        layers_size_in_bytes=repository.layers_size_in_bytes,
        lifecycle_state=repository.lifecycle_state,
        time_created=repository.time_created,
        billable_size_in_gbs=repository.billable_size_in_gbs,
        namespace=repository.namespace,
    )


async def list_container_images(request: web.Request) -> web.Response:
    """ListContainerImages (``repositoryName``, ``repositoryId``, ``version`` filter)."""
    import oci

    query = request.query
    models = oci.artifacts.models
    ocir = _ocir(request)
    compartment = query.get("compartmentId")
    if not compartment:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    _authenticate(request)
    items: list[Any] = []
    if ocir.server is not None:
        subtree = query.get("compartmentIdInSubtree") == "true"
        for repository in list(ocir.repositories.values()):
            if not _in_scope(request, repository.compartment_id, compartment, subtree):
                continue
            if query.get("repositoryName", repository.display_name) != repository.display_name:
                continue
            if query.get("repositoryId", repository.id) != repository.id:
                continue
            for image in await ocir.images(_http(request), repository):
                if query.get("version", image.tag) != image.tag:
                    continue
                items.append(
                    models.ContainerImageSummary(
                        compartment_id=repository.compartment_id,
                        digest=image.digest,
                        display_name=f"{repository.display_name}:{image.tag}",
                        id=f"ocid1.containerimage.oc1.{ocir.region}.0.{ocir.namespace}."
                        f"{image.digest.split(':')[1][:32]}",
                        lifecycle_state="AVAILABLE",
                        repository_id=repository.id,
                        repository_name=repository.display_name,
                        time_created=now(),
                        version=image.tag,
                    )
                )
    else:
        state, images = _declared(request)
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


def _in_scope(request: web.Request, where: str, asked: str, subtree: bool) -> bool:
    """Whether a repository in ``where`` answers a list in ``asked`` (and its subtree)."""
    if where == asked:
        return True
    if not subtree:
        return False
    state: TenancyState = request.app[TENANCY]
    if not state.strict:
        return True  # an open tenancy's tree is unknown: every compartment is below
    return asked in state.tree().ancestors(where)


def _http(request: web.Request) -> Any:
    http = request.app[CONTEXT].http
    assert http is not None
    return http


def add_routes(app: web.Application) -> None:
    """Register the Artifacts container routes (``app[OCIR]`` must be set)."""
    app.router.add_get(f"{API}/repositories", list_container_repositories)
    app.router.add_post(f"{API}/repositories", create_container_repository)
    app.router.add_get(f"{API}/repositories/{{id}}", get_container_repository)
    app.router.add_put(f"{API}/repositories/{{id}}", update_container_repository)
    app.router.add_delete(f"{API}/repositories/{{id}}", delete_container_repository)
    app.router.add_get(f"{API}/images", list_container_images)
