"""``oci-tei deploy | image | bandwidth``: the deploy pipeline and the offline helpers.

Each command has ``configure_<name>(parser)`` and ``run_<name>(args) -> int`` for the
dispatcher in :mod:`oci_tei._cli`; the commands on a live deployment (status, logs, scale,
delete) are in :mod:`oci_tei.deploy.manage._cli`. This module imports only the standard
library and :mod:`~oci_tei.deploy._connection` at load time: oracle-ads (seconds to import)
is loaded only by the commands that build ADS objects or call OCI, never by ``image`` or
``bandwidth``.

Exit status: 0 success, 1 an OCI-side failure, 2 a bad spec or arguments.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oci_tei.deploy._cli_support import add_wait_arguments, error, guarded, load
from oci_tei.deploy._cli_support import deployment as cli_deployment
from oci_tei.deploy._connection import add_connection_arguments

__all__ = [
    "configure_bandwidth",
    "configure_deploy",
    "configure_image",
    "run_bandwidth",
    "run_deploy",
    "run_image",
]


# -- deploy ------------------------------------------------------------------------------


def configure_deploy(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei deploy``."""
    parser.add_argument(
        "spec", help="the deploy spec (YAML), e.g. deploy/bge-base-en-v1.5-a10.yaml"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan and the oracle-ads YAML; no OCI call, no credentials needed",
    )
    add_wait_arguments(parser, "deployment")
    parser.add_argument("--no-smoke-test", action="store_true", help="skip the test embedding call")
    parser.add_argument(
        "--update",
        action="store_true",
        help="when the spec's deployment no longer matches the spec, apply the difference as "
        "OCI allows (live fields in place; the rest by deactivate, update, activate: downtime); "
        "without it deploy shows the difference and changes nothing",
    )
    parser.add_argument(
        "--skip-preflight",
        action="store_true",
        help="do not check IAM policies, image, bucket, logs, shape and limits first "
        "(`oci-tei doctor SPEC` runs those checks alone)",
    )
    parser.add_argument(
        "--no-image-copy",
        action="store_true",
        help="a TEI image missing from OCIR is an error instead of being copied there "
        "(registry to registry, with your OCI identity; `oci-tei image SPEC` copies it alone)",
    )
    parser.add_argument(
        "--output-json",
        metavar="FILE",
        default=None,
        help="write the outcome (deployment_id, model_id, state, endpoint, region, dimension, "
        "image, image_digest) "
        "as JSON to FILE, for scripts",
    )
    add_connection_arguments(parser)


@guarded
def run_deploy(args: argparse.Namespace) -> int:
    """Deploy a spec, or print its plan with ``--dry-run`` (:meth:`Deployment.deploy`)."""
    deployment = cli_deployment(args)
    spec = deployment.spec
    assert spec is not None  # built from a spec file
    plan = deployment.plan(timeout_s=int(args.timeout * 60))
    if args.dry_run:
        from oci_tei.deploy.spec._ads_resources import MODEL_ID_PLACEHOLDER, build_deployment

        print(plan.render())
        print(
            "\n# oracle-ads ModelDeployment (model_uri is a placeholder until the model step runs)"
        )
        print(build_deployment(spec, MODEL_ID_PLACEHOLDER).to_yaml().rstrip())
        return 0
    outcome = deployment.deploy(
        wait=not args.no_wait,
        timeout_s=args.timeout * 60,
        smoke_test=not args.no_smoke_test,
        preflight=not args.skip_preflight,
        update=args.update,
        image_copy=not args.no_image_copy,
    )
    if args.output_json:
        Path(args.output_json).write_text(outcome.to_json(), encoding="utf-8")
    print(f"{outcome.deployment_id}: {outcome.state}")
    return 0


# -- image, bandwidth: offline ------------------------------------------------------------


def configure_image(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei image``."""
    parser.add_argument("spec", help="the deploy spec (YAML)")
    parser.add_argument(
        "--engine",
        choices=("docker", "podman"),
        default=None,
        help="pull, tag and push with docker or podman instead of the built-in registry-to-"
        "registry copy (which needs neither, and signs with your OCI identity)",
    )
    parser.add_argument(
        "--username",
        default=None,
        help="OCI user for basic auth with an auth token (federated: "
        "oracleidentitycloudservice/<user>); the token is read from OCI_TEI_AUTH_TOKEN or "
        "prompted. With --engine: the engine's login. Default: your OCI identity signs",
    )
    parser.add_argument(
        "--print", action="store_true", help="print the docker commands instead of copying"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_connection_arguments(parser)


@guarded
def run_image(args: argparse.Namespace) -> int:
    """Copy the spec's TEI image into OCIR (default), or push it with docker or podman."""
    from oci_tei.deploy.spec import choose_image, docker_commands

    spec = load(args.spec)
    choice = choose_image(spec)
    print(f"# {spec.infrastructure.shape} runs {choice.target}")
    for warning in choice.warnings:
        print(f"# warning: {warning}")
    if args.print:
        print("\n".join(docker_commands(choice, username=args.username)))
        print("# NOT pushed (--print): run the commands above where docker or podman runs")
        return 0
    if args.engine:
        return _push_with_engine(args, choice)
    return _copy_image(args, spec)


def _push_with_engine(args: argparse.Namespace, choice: Any) -> int:
    from oci_tei.deploy.spec import docker_commands
    from oci_tei.deploy.steps import find_engine, push_image

    engine = find_engine(args.engine)
    if engine is None:
        print("\n".join(docker_commands(choice, username=args.username)))
        print(f"# NOT pushed ({args.engine} is not on PATH): run the commands above where it runs")
        return 0
    push_image(choice, engine=engine, username=args.username)
    return 0


def _copy_image(args: argparse.Namespace, spec: Any) -> int:
    import getpass
    import os

    from oci_tei.deploy._connection import connection_from_args
    from oci_tei.deploy._session import DeploySession
    from oci_tei.deploy.spec import choose_image
    from oci_tei.deploy.steps import ensure_image

    session = DeploySession(connection_from_args(args))
    if args.username:
        from oci_tei.contract._ocir import parse_ocir_image
        from oci_tei.deploy.spec import parse_shape
        from oci_tei.registry import BasicCredentials, copy_into_ocir, platform_for_arch

        choice = choose_image(spec)
        repository = parse_ocir_image(choice.target)
        token = os.environ.get("OCI_TEI_AUTH_TOKEN") or getpass.getpass("OCI auth token: ")
        # Basic auth reaches only the registry: OCIR makes a missing repository on the first
        # push, in the root compartment (when the tenancy allows it).
        result = copy_into_ocir(
            choice.source,
            choice.target,
            credentials=BasicCredentials(f"{repository.namespace}/{args.username}", token),
            deployment_region=spec.region,
            platform=platform_for_arch(parse_shape(spec.infrastructure.shape).arch),
            progress=not args.quiet,
        )
        print(f"{result.target}")
        return 0
    digest = ensure_image(session, spec, progress=not args.quiet)
    print(f"{choose_image(spec).target.rsplit(':', 1)[0]}@{digest}")
    return 0


def configure_bandwidth(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei bandwidth``."""
    parser.add_argument(
        "--vectors-per-second", type=float, required=True, help="target embedded inputs per second"
    )
    parser.add_argument(
        "--dimension", type=int, required=True, help="vector dimension (768 for bge-base)"
    )
    parser.add_argument(
        "--encoding",
        choices=("float", "base64"),
        default="float",
        help="response encoding (base64 needs ~half the bandwidth)",
    )
    parser.add_argument(
        "--chunk-bytes", type=int, default=None, help="average input text size (default 1000)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="inputs per request (default 32)"
    )


@guarded
def run_bandwidth(args: argparse.Namespace) -> int:
    """Print the recommended ``bandwidth_mbps`` and what 10 Mbps would allow."""
    from dataclasses import replace

    from oci_tei.deploy.spec import (
        DEFAULT_BANDWIDTH_MBPS,
        TrafficModel,
        bytes_per_vector,
        max_vectors_per_second,
        recommend_bandwidth_mbps,
    )

    if args.vectors_per_second <= 0 or args.dimension <= 0:
        error("--vectors-per-second and --dimension must be positive")
        return 2
    model = TrafficModel()
    if args.chunk_bytes is not None:
        model = replace(model, chunk_bytes=max(0, args.chunk_bytes))
    if args.batch_size is not None:
        model = replace(model, batch_size=max(1, args.batch_size))
    per_vector = bytes_per_vector(args.dimension, args.encoding, model)
    mbps = recommend_bandwidth_mbps(args.vectors_per_second, args.dimension, args.encoding, model)
    print(f"bandwidth_mbps: {mbps}")
    print(
        f"# {args.vectors_per_second:g} vectors/s x {per_vector:,.0f} bytes ({args.encoding}, "
        f"{args.dimension}-d, {model.chunk_bytes}-byte inputs, batches of {model.batch_size}) "
        "+ 25% headroom"
    )
    for encoding in ("float", "base64"):
        cap = max_vectors_per_second(DEFAULT_BANDWIDTH_MBPS, args.dimension, encoding, model)
        print(
            f"# OCI's default {DEFAULT_BANDWIDTH_MBPS} Mbps allows ~{cap:.0f} {encoding} vectors/s"
        )
    return 0
