"""OCIR as the emulator plays it: repositories, the docker token service, a real registry.

``GET /20180419/docker/token`` is OCIR's token service (the realm OCIR's registry sends
clients to; ``oci raw-request --target-uri https://<key>.ocir.io/20180419/docker/token``
signs the same call). It accepts an OCI-signed request (verified as every other call) or
basic auth with ``<namespace>/<user>`` and an auth token (``EmulatorConfig.ocir_auth_tokens``),
and issues a JWT that the attached ``docker-registry`` trusts (:mod:`._registry`).

Scopes granted: in an open tenancy everything asked for. Under ``--strict``, following
the Registry policy reference (docs.oracle.com/en-us/iaas/Content/Identity/policyreference/
registrypolicyreference.htm: ``read`` adds REPOSITORY_READ; ``use`` adds nothing; ``manage``
adds REPOSITORY_CREATE/UPDATE/DELETE/MANAGE): ``pull`` needs ``read repos`` and ``push``
needs ``manage repos`` in the repository's compartment (inferred: pushing an image
updates the repository). Pushing to a repository that does not exist creates it, private,
in the root compartment, if the caller may ``manage repos`` there ("Create repository on
first push in root compartment", registrycreatingarepository.htm; OCI lets a tenancy turn
it off, the emulator keeps it on).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
from aiohttp import web

from oci_tei_emulator import _policy as iam
from oci_tei_emulator._errors import OCIError, not_authenticated
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._registry import RegistryServer, TokenAuthority, parse_scopes
from oci_tei_emulator._tenancy import TENANCY, TenancyState

__all__ = ["OCIR", "TOKEN_PATH", "OcirState", "add_routes"]

TOKEN_PATH = "/20180419/docker/token"
_ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


@dataclass
class Repository:
    """One OCIR repository (what ``ContainerRepository`` reports)."""

    id: str
    compartment_id: str
    display_name: str
    namespace: str
    is_public: bool = False
    is_immutable: bool = False
    created_by: str = ""
    time_created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    lifecycle_state: str = "AVAILABLE"
    freeform_tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegistryImage:
    """A tag the attached registry holds, with the digest it names."""

    repository: Repository
    tag: str
    digest: str


class OcirState:
    """Repositories, the token authority and (when attached) the registry behind them."""

    def __init__(self, region: str, namespace: str) -> None:
        self.region = region
        self.namespace = namespace
        self.authority = TokenAuthority(issuer="ocir-emulator", service="OCIR")
        self.server: RegistryServer | None = None
        self.repositories: dict[str, Repository] = {}
        self.lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OcirState({len(self.repositories)} repositories, registry={self.server!r})"

    def create(
        self, compartment_id: str, name: str, *, is_public: bool = False, created_by: str = ""
    ) -> Repository:
        """Make a repository.

        Raises:
            OCIError: 409 when the namespace already has a repository of that name.
        """
        with self.lock:
            if self.find(name) is not None:
                raise OCIError(
                    409,
                    "NAMESPACE_CONFLICT",
                    f"Repository {name} already exists in {self.namespace}.",
                )
            repository = Repository(
                id=f"ocid1.containerrepo.oc1.{self.region}.0.{self.namespace}.{uuid.uuid4().hex}",
                compartment_id=compartment_id,
                display_name=name,
                namespace=self.namespace,
                is_public=is_public,
                created_by=created_by,
            )
            self.repositories[repository.id] = repository
            return repository

    def find(self, name: str) -> Repository | None:
        """The repository called ``name``, if any."""
        return next((r for r in self.repositories.values() if r.display_name == name), None)

    async def images(
        self, http: aiohttp.ClientSession, repository: Repository
    ) -> list[RegistryImage]:
        """The tags the attached registry holds for ``repository``, with their digests."""
        server = self.server
        if server is None:
            return []
        path = f"{self.namespace}/{repository.display_name}"
        auth = {"authorization": f"Bearer {server.admin_token(path)}"}
        async with http.get(f"{server.url}/v2/{path}/tags/list", headers=auth) as response:
            if response.status != 200:
                return []
            tags = (await response.json()).get("tags") or []
        found = []
        for tag in sorted(tags):
            async with http.head(
                f"{server.url}/v2/{path}/manifests/{tag}", headers={**auth, "accept": _ACCEPT}
            ) as response:
                digest = response.headers.get("docker-content-digest")
            if response.status == 200 and digest:
                found.append(RegistryImage(repository, tag, digest))
        return found

    async def has_manifest(self, http: aiohttp.ClientSession, name: str, reference: str) -> bool:
        """Whether the attached registry holds ``<namespace>/<name>`` at a tag or digest."""
        server = self.server
        if server is None:
            return False
        path = f"{self.namespace}/{name}"
        headers = {"authorization": f"Bearer {server.admin_token(path)}", "accept": _ACCEPT}
        async with http.head(f"{server.url}/v2/{path}/manifests/{reference}", headers=headers) as r:
            return r.status == 200

    def pull_failure(self, image: str, digest: str | None) -> str | None:
        """Why a deployment cannot pull ``image`` (at ``digest``) from the registry, or None.

        Only for images in this emulator's namespace; None when no registry is attached.
        """
        server = self.server
        if server is None:
            return None
        repository = image.split("@", 1)[0]
        host_path, _, tag = repository.rpartition(":")
        if "/" in tag or not host_path:
            host_path, tag = repository, "latest"
        _, _, path = host_path.partition("/")
        namespace = path.partition("/")[0]
        if namespace != self.namespace:
            return None
        reference = digest or tag
        headers = {"authorization": f"Bearer {server.admin_token(path)}", "accept": _ACCEPT}
        response = httpx.head(f"{server.url}/v2/{path}/manifests/{reference}", headers=headers)
        if response.status_code == 200:
            return None
        return (
            f"Failed to pull the container image {image}"
            + (f"@{digest}" if digest else "")
            + f": manifest unknown (the registry of {self.region} has no {reference} in {path})"
        )


OCIR = web.AppKey("ocir", OcirState)

# Docker's registry token actions -> the verb and permission on ``repos`` they need
# (module docstring; the permissions are the Registry policy reference's).
_NEED = {
    "pull": ("read", "REPOSITORY_READ"),
    "push": ("manage", "REPOSITORY_UPDATE"),
    "delete": ("manage", "REPOSITORY_DELETE"),
    "*": ("manage", "REPOSITORY_MANAGE"),
}


def _basic_user(header: str, tokens: Mapping[str, str], namespace: str) -> str | None:
    """The user of valid basic credentials ``<namespace>/<user>:<auth token>``, else None."""
    try:
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    prefix, _, user = username.partition("/")
    expected = tokens.get(user)
    if prefix != namespace or expected is None or not secrets.compare_digest(password, expected):
        return None
    return user


async def docker_token(request: web.Request) -> web.Response:
    """OCIR's token service: a registry JWT for the scopes the caller may have."""
    ctx = request.app[CONTEXT]
    state: TenancyState = request.app[TENANCY]
    ocir = request.app[OCIR]
    header = request.headers.get("authorization", "")
    caller: iam.Principal | None
    if header.lower().startswith("basic "):
        user = _basic_user(header, ctx.config.ocir_auth_tokens, ocir.namespace)
        if user is None:
            raise not_authenticated("Unknown user or wrong auth token.")
        subject = f"ocid1.user.oc1..{user}"
        # A user known only by an auth token: the default group, as API-key users.
        caller = iam.Principal(
            "user", subject, frozenset(g.lower() for g in ctx.config.user_groups)
        )
    else:
        principal = ctx.authenticate(request)
        subject = principal.subject
        caller = state.caller(principal)
    access = parse_scopes(request.query.getall("scope", []))
    granted = []
    for entry in access:
        if entry["type"] != "repository":
            continue
        namespace, _, name = str(entry["name"]).partition("/")
        if namespace != ocir.namespace or not name:
            continue  # another tenancy's namespace: nothing granted
        repository = ocir.find(name)
        actions = [a for a in entry["actions"] if _allowed(state, caller, repository, a)]
        if repository is None and "push" in actions:
            repository = ocir.create(state.config.tenancy_id, name, created_by=subject)
        granted.append({**entry, "actions": actions})
    token = ocir.authority.issue(subject, granted)
    return web.json_response(ocir.authority.answer(token))


def _allowed(
    state: TenancyState, caller: iam.Principal, repository: Repository | None, action: str
) -> bool:
    if not state.strict:
        return True
    compartment = repository.compartment_id if repository else state.config.tenancy_id
    need = _NEED.get(action)
    if need is None:
        return False
    requirement = iam.Requirement(need[0], "repos", compartment, permission=need[1])
    return state.decide(caller, requirement).allowed


def add_routes(app: web.Application, ocir: OcirState) -> None:
    """Register the token service; ``ocir`` is shared with the Artifacts routes."""
    app[OCIR] = ocir
    app.router.add_get(TOKEN_PATH, docker_token)


def registry_state(app: web.Application) -> OcirState:
    """The app's OCIR state."""
    return app[OCIR]


def realm_of(base_url: str) -> str:
    """The token service URL for an emulator at ``base_url``."""
    return f"{base_url}{TOKEN_PATH}"


_ = Any
