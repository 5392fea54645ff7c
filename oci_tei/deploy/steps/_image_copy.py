"""The image step: TEI's image in OCIR, copied there when missing, pinned by its digest.

The deployment runs ``<ocir_repository>:<tag>`` at the digest that tag names when deploy
runs (the container configuration's ``image_digest``), so moving the tag later cannot
change what runs. A spec may pin ``container.image_digest`` itself; then the tag must
name exactly that digest.

When the image is missing, the step copies it registry to registry from TEI's public
registry (:mod:`oci_tei.registry`): the repository is made (private, in the spec's
compartment) when missing, OCIR's token is signed with the caller's own OCI identity, and
the copy needs no docker. ``--no-image-copy`` makes a missing image an error instead.
"""

from __future__ import annotations

from typing import Any

from oci_tei.contract._ocir import parse_ocir_image, split_image
from oci_tei.contract._regions import region_name
from oci_tei.deploy._errors import DeployError
from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.spec import DeploySpec, choose_image, parse_shape
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step

__all__ = ["CopyImage", "ensure_image"]


def _oci_credentials(session: DeploySession) -> Any:
    from oci_tei._auth import RequestSigner
    from oci_tei.registry import OciCredentials

    session.configure()
    # The signer oracle-ads built for this connection, so every call signs as one identity.
    return OciCredentials(
        RequestSigner(session.connection.auth, session.connection.ads_auth()["signer"])
    )


def _tenancy(session: DeploySession, spec: DeploySpec) -> str:
    auth = session.connection.ads_auth()
    tenancy = (auth.get("config") or {}).get("tenancy") or getattr(
        auth.get("signer"), "tenancy_id", None
    )
    return str(tenancy or spec.compartment_id)


def ensure_image(
    session: DeploySession, spec: DeploySpec, *, copy: bool = True, progress: bool = True
) -> str:
    """Find the spec's image in OCIR, copy it there when missing; returns its digest.

    Raises:
        DeployError: (step ``image``) missing and ``copy`` is False, or the spec's pinned
            digest is not what the tag names.
        RegistryError: A copy step failed (its message names the image, registry, step).
    """
    import oci

    from oci_tei.registry import copy_into_ocir, find_ocir_image, platform_for_arch

    choice = choose_image(spec)
    target_repository = parse_ocir_image(choice.target)
    region = region_name(target_repository.region or "") or spec.region
    artifacts = session.client(oci.artifacts.ArtifactsClient, region)
    _, tag = split_image(choice.target)
    found = find_ocir_image(artifacts, _tenancy(session, spec), target_repository.name, tag)
    if found is not None:
        digest = found.digest
        session.echo(f"  {choice.target} is in OCIR @ {digest}")
    else:
        if not copy or not choice.needs_push:
            how = (
                "`oci-tei image SPEC` copies it (no docker), or deploy without --no-image-copy"
                if choice.needs_push
                else "push it there first"
            )
            raise DeployError(f"{choice.target} is not in OCIR: {how}", step="image")
        platform = platform_for_arch(parse_shape(spec.infrastructure.shape).arch)
        session.echo(f"  copying {choice.source} ({platform}) -> {choice.target}")
        result = copy_into_ocir(
            choice.source,
            choice.target,
            credentials=_oci_credentials(session),
            artifacts=artifacts,
            compartment_id=spec.compartment_id,
            deployment_region=spec.region,
            platform=platform,
            progress=progress,
        )
        digest = result.digest
        session.echo(
            f"  copied {result.blobs_copied} blob(s), {result.bytes_copied / 1e6:.1f} MB "
            f"({result.blobs_skipped} already there) @ {digest}"
        )
    pinned = spec.container.image_digest
    if pinned and pinned != digest:
        raise DeployError(
            f"container.image_digest is {pinned} but {choice.target} names {digest}: set the "
            "spec's digest to the tag's, or push the pinned image under the tag",
            step="image",
        )
    return digest


class CopyImage(Step):
    """Find the image in OCIR, copy it there when missing, pin its digest."""

    key = "image"
    label = "image"
    prepares = True

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep:
        """Source, target, platform, what happens when it is missing, the digest pinned."""
        from oci_tei.registry import platform_for_arch

        choice = choose_image(spec)
        inputs: dict[str, object] = {
            "image": choice.target,
            "platform": platform_for_arch(parse_shape(spec.infrastructure.shape).arch),
        }
        if choice.needs_push:
            inputs["source"] = choice.source
            inputs["when missing"] = (
                "copied registry to registry with your OCI identity (no docker); the "
                f"repository is made private in {spec.compartment_id} if needed"
                if options.image_copy
                else "an error (--no-image-copy)"
            )
        inputs["pinned digest"] = spec.container.image_digest or "the digest the tag names in OCIR"
        return PlannedStep(
            self.key,
            "Put TEI's image in OCIR when missing (registry to registry), pinned by digest",
            inputs,
        )

    def headline(self, run: DeployRun) -> str:
        """What the line says."""
        return choose_image(run.spec).target

    def run(self, run: DeployRun) -> None:
        """``run.extra['image_digest']``."""
        run.extra["image_digest"] = ensure_image(run.session, run.spec, copy=run.options.image_copy)
