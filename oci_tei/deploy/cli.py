"""``oci-tei deploy | status | logs | scale | delete | image | bandwidth``.

Each command has ``configure_<name>(parser)`` and ``run_<name>(args) -> int`` for the
dispatcher in :mod:`oci_tei.cli`. This module imports only the standard library and
:mod:`~oci_tei.deploy.connection` at load time: oracle-ads (seconds to import) is loaded
only by the commands that build ADS objects or call OCI, never by ``image`` or
``bandwidth``.

Exit status: 0 success, 1 an OCI-side failure, 2 a bad spec or arguments.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oci_tei.deploy.connection import add_connection_arguments, connection_from_args

if TYPE_CHECKING:
    from oci_tei.deploy.executor import DeployExecutor
    from oci_tei.deploy.spec import DeploySpec

__all__ = [
    "configure_bandwidth",
    "configure_delete",
    "configure_deploy",
    "configure_image",
    "configure_logs",
    "configure_scale",
    "configure_status",
    "run_bandwidth",
    "run_delete",
    "run_deploy",
    "run_image",
    "run_logs",
    "run_scale",
    "run_status",
]

_TARGET_HELP = "a deploy spec (YAML) or a model deployment OCID"


def _error(message: object) -> None:
    print(f"error: {message}", file=sys.stderr)


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the package's typed errors and OCI service errors into a message and a status."""

    def run(args: argparse.Namespace) -> int:
        from oci_tei.deploy.errors import SpecError
        from oci_tei.errors import OCITEIError

        # oracle-ads turns on INFO logging to stdout when imported (logging.basicConfig);
        # the commands print their own progress, so httpx's line per request stays out.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        try:
            return command(args)
        except SpecError as exc:
            _error(exc)
            return 2
        except OCITEIError as exc:
            _error(exc)
            return 1
        except Exception as exc:
            # oci.exceptions.ServiceError, without importing oci here: if one was raised,
            # oci is loaded.
            oci_exceptions: Any = sys.modules.get("oci.exceptions")
            if oci_exceptions is None or not isinstance(exc, oci_exceptions.ServiceError):
                raise
            error: Any = exc
            _error(
                f"OCI {error.status} {error.code}: {error.message} "
                f"(opc-request-id {error.request_id})"
            )
            return 1

    run.__doc__ = command.__doc__
    return run


def _load(path: str) -> DeploySpec:
    from oci_tei.deploy.spec import load_spec

    return load_spec(path)


def _executor(args: argparse.Namespace) -> DeployExecutor:
    from oci_tei.deploy.executor import DeployExecutor

    return DeployExecutor(connection_from_args(args))


def _target(args: argparse.Namespace) -> tuple[Any, DeploySpec | None]:
    """The deployment record and, when given one, the spec for a ``TARGET`` argument."""
    from oci_tei.deploy.executor import DEPLOYMENT_OCID_PREFIX

    executor = _executor(args)
    if args.target.startswith(DEPLOYMENT_OCID_PREFIX):
        return executor.resolve(args.target), None
    spec = _load(args.target)
    return executor.resolve(spec), spec


# -- deploy ------------------------------------------------------------------------------


def _add_wait_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--no-wait", action="store_true", help=f"return once the {what} is requested"
    )
    parser.add_argument(
        "--timeout", type=float, default=45.0, metavar="MINUTES", help="how long to wait for ACTIVE"
    )


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
    _add_wait_arguments(parser, "deployment")
    parser.add_argument("--no-smoke-test", action="store_true", help="skip the test embedding call")
    parser.add_argument(
        "--output-json",
        metavar="FILE",
        default=None,
        help="write the outcome (deployment_id, model_id, state, endpoint, region, dimension) "
        "as JSON to FILE, for scripts",
    )
    add_connection_arguments(parser)


@_guarded
def run_deploy(args: argparse.Namespace) -> int:
    """Deploy a spec, or print its plan with ``--dry-run``."""
    from oci_tei.deploy.plan import build_plan

    spec = _load(args.spec)
    plan = build_plan(spec, wait_timeout_s=int(args.timeout * 60))
    if args.dry_run:
        from oci_tei.deploy.ads_resources import MODEL_ID_PLACEHOLDER, build_deployment

        print(plan.render())
        print("\n# oracle-ads ModelDeployment (model_uri is a placeholder until step 3 runs)")
        print(build_deployment(spec, MODEL_ID_PLACEHOLDER).to_yaml().rstrip())
        return 0
    outcome = _executor(args).deploy(
        spec, wait=not args.no_wait, timeout_s=args.timeout * 60, smoke_test=not args.no_smoke_test
    )
    if args.output_json:
        Path(args.output_json).write_text(outcome.to_json(), encoding="utf-8")
    print(f"{outcome.deployment_id}: {outcome.state}")
    return 0


# -- status, logs, scale, delete ----------------------------------------------------------


def configure_status(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei status``."""
    parser.add_argument("target", help=_TARGET_HELP)
    add_connection_arguments(parser)


@_guarded
def run_status(args: argparse.Namespace) -> int:
    """Print the state, endpoint and settings of a deployment."""
    deployment, spec = _target(args)
    print("\n".join(_executor(args).describe(deployment, spec)))
    return 0


def configure_logs(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei logs``."""
    parser.add_argument("target", help=_TARGET_HELP)
    parser.add_argument(
        "--type",
        choices=("work-request", "access", "predict"),
        default="work-request",
        help="work-request: create/update progress and errors (default); access or predict: "
        "the container's OCI Logging logs",
    )
    parser.add_argument("--limit", type=int, default=100, help="most log records (access/predict)")
    add_connection_arguments(parser)


@_guarded
def run_logs(args: argparse.Namespace) -> int:
    """Print a deployment's work-request log, or its access/predict log records."""
    deployment, _ = _target(args)
    executor = _executor(args)
    if args.type == "work-request":
        print("\n".join(executor.work_request_log(deployment)) or "no work requests")
    else:
        executor.show_container_logs(deployment, args.type, args.limit)
    return 0


def configure_scale(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei scale``."""
    parser.add_argument("target", help=_TARGET_HELP)
    parser.add_argument("--replicas", type=int, default=None, help="new instance count")
    parser.add_argument(
        "--bandwidth-mbps", type=int, default=None, help="new load balancer bandwidth"
    )
    _add_wait_arguments(parser, "update")
    add_connection_arguments(parser)


@_guarded
def run_scale(args: argparse.Namespace) -> int:
    """Change replicas and/or bandwidth of a deployment oci-tei created, then wait for it."""
    if args.replicas is None and args.bandwidth_mbps is None:
        _error("give --replicas and/or --bandwidth-mbps")
        return 2
    for name in ("replicas", "bandwidth_mbps"):
        value = getattr(args, name)
        if value is not None and value < 1:
            _error(f"--{name.replace('_', '-')} must be at least 1")
            return 2
    deployment, spec = _target(args)
    executor = _executor(args)
    work_request = executor.scale(
        deployment,
        replicas=args.replicas,
        bandwidth_mbps=args.bandwidth_mbps,
        expected_owner=spec.name if spec else None,
    )
    if args.no_wait:
        print(f"{deployment.id}: update requested (see `oci-tei status`)")
        return 0
    print(f"{deployment.id}: updating")
    updated = executor.wait_until_active(
        deployment.id,
        deployment.compartment_id,
        timeout_s=args.timeout * 60,
        work_request_id=work_request,
    )
    print("\n".join(executor.describe(updated, spec)))
    return 0


def configure_delete(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei delete``."""
    parser.add_argument("target", help=_TARGET_HELP)
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_connection_arguments(parser)


@_guarded
def run_delete(args: argparse.Namespace) -> int:
    """Delete a deployment oci-tei created; refuses any other."""
    from oci_tei.deploy.executor import check_owned

    deployment, spec = _target(args)
    expected = spec.name if spec else None
    check_owned(deployment, expected)
    if not args.yes:
        if not sys.stdin.isatty():
            _error("not a terminal: pass --yes to delete without confirmation")
            return 2
        answer = input(f"Delete {deployment.display_name} ({deployment.id})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    _executor(args).delete(deployment, expected_owner=expected)
    print(f"{deployment.id}: deletion requested")
    return 0


# -- image, bandwidth: offline ------------------------------------------------------------


def configure_image(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei image``."""
    parser.add_argument("spec", help="the deploy spec (YAML)")
    parser.add_argument(
        "--username",
        default=None,
        help="OCI user for docker login (federated: oracleidentitycloudservice/<user>)",
    )


@_guarded
def run_image(args: argparse.Namespace) -> int:
    """Print the docker commands that put the spec's TEI image into OCIR."""
    from oci_tei.deploy.images import choose_image, docker_commands

    spec = _load(args.spec)
    choice = choose_image(spec)
    print(f"# {spec.infrastructure.shape} runs {choice.target}")
    for warning in choice.warnings:
        print(f"# warning: {warning}")
    print("\n".join(docker_commands(choice, username=args.username)))
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


@_guarded
def run_bandwidth(args: argparse.Namespace) -> int:
    """Print the recommended ``bandwidth_mbps`` and what 10 Mbps would allow."""
    from dataclasses import replace

    from oci_tei.deploy.bandwidth import (
        DEFAULT_BANDWIDTH_MBPS,
        TrafficModel,
        bytes_per_vector,
        max_vectors_per_second,
        recommend_bandwidth_mbps,
    )

    if args.vectors_per_second <= 0 or args.dimension <= 0:
        _error("--vectors-per-second and --dimension must be positive")
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
