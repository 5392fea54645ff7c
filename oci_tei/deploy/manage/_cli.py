"""``oci-tei status | logs | scale | delete``: commands on a live deployment.

Each has ``configure_<name>(parser)`` and ``run_<name>(args) -> int`` for the dispatcher
in :mod:`oci_tei._cli`. Exit status: 0 success, 1 an OCI-side failure, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys

from oci_tei.deploy._cli_support import TARGET_HELP, add_wait_arguments, error, guarded, target
from oci_tei.deploy._connection import add_connection_arguments

__all__ = [
    "configure_delete",
    "configure_logs",
    "configure_scale",
    "configure_status",
    "run_delete",
    "run_logs",
    "run_scale",
    "run_status",
]


def configure_status(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei status``."""
    parser.add_argument("target", help=TARGET_HELP)
    parser.add_argument(
        "--hours",
        type=int,
        choices=range(1, 25),
        default=1,
        metavar="1-24",
        help="the window of OCI Monitoring metrics shown (default: the last hour)",
    )
    parser.add_argument(
        "--no-metrics", action="store_true", help="only the deployment record, no Monitoring"
    )
    add_connection_arguments(parser)


@guarded
def run_status(args: argparse.Namespace) -> int:
    """Print the state, endpoint and settings of a deployment, and its recent metrics."""
    import oci

    from oci_tei.deploy.manage._metrics import deployment_metrics, describe_metrics
    from oci_tei.deploy.manage._status import describe

    session, deployment, spec = target(args)
    print("\n".join(describe(deployment, spec)))
    if not args.no_metrics:
        monitoring = session.client(oci.monitoring.MonitoringClient)
        metrics = deployment_metrics(monitoring, deployment, hours=args.hours)
        print("\n".join(describe_metrics(metrics)))
    return 0


def configure_logs(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei logs``."""
    parser.add_argument("target", help=TARGET_HELP)
    parser.add_argument(
        "--type",
        choices=("work-request", "access", "predict"),
        default="work-request",
        help="work-request: create/update progress and errors (default); access or predict: "
        "the container's OCI Logging logs",
    )
    parser.add_argument("--limit", type=int, default=100, help="most log records (access/predict)")
    add_connection_arguments(parser)


@guarded
def run_logs(args: argparse.Namespace) -> int:
    """Print a deployment's work-request log, or its access/predict log records."""
    from oci_tei.deploy.manage._log_search import container_logs
    from oci_tei.deploy.manage._logs import work_request_log

    session, deployment, _ = target(args)
    if args.type == "work-request":
        print("\n".join(work_request_log(session, deployment)) or "no work requests")
    else:
        records = container_logs(session, deployment, args.type, limit=args.limit)
        for record in records:
            print(f"{record.time} {record.message}")
        if not records:
            print(f"no {args.type} log records in the last 24 hours")
    return 0


def configure_scale(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei scale``."""
    parser.add_argument("target", help=TARGET_HELP)
    parser.add_argument("--replicas", type=int, default=None, help="new instance count")
    parser.add_argument(
        "--bandwidth-mbps", type=int, default=None, help="new load balancer bandwidth"
    )
    add_wait_arguments(parser, "update")
    add_connection_arguments(parser)


@guarded
def run_scale(args: argparse.Namespace) -> int:
    """Change replicas and/or bandwidth of a deployment oci-tei created: one update per group."""
    from oci_tei.deploy.manage._scale import scale
    from oci_tei.deploy.manage._status import describe
    from oci_tei.deploy.steps import wait_until_active

    if args.replicas is None and args.bandwidth_mbps is None:
        error("give --replicas and/or --bandwidth-mbps")
        return 2
    for name in ("replicas", "bandwidth_mbps"):
        value = getattr(args, name)
        if value is not None and value < 1:
            error(f"--{name.replace('_', '-')} must be at least 1")
            return 2
    session, deployment, spec = target(args)

    def wait(work_request: str | None) -> object:
        return wait_until_active(
            session,
            deployment.id,
            deployment.compartment_id,
            timeout_s=args.timeout * 60,
            work_request_id=work_request,
        )

    updated = scale(
        session,
        deployment,
        replicas=args.replicas,
        bandwidth_mbps=args.bandwidth_mbps,
        expected_owner=spec.name if spec else None,
        wait=None if args.no_wait else wait,
    )
    if args.no_wait:
        print(f"{deployment.id}: update requested (see `oci-tei status`)")
        return 0
    print("\n".join(describe(updated, spec)))
    return 0


def configure_delete(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei delete``."""
    parser.add_argument("target", help=TARGET_HELP)
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_connection_arguments(parser)


@guarded
def run_delete(args: argparse.Namespace) -> int:
    """Delete a deployment oci-tei created; refuses any other."""
    from oci_tei.deploy.manage._delete import delete
    from oci_tei.deploy.manage._lookup import check_owned

    session, deployment, spec = target(args)
    expected = spec.name if spec else None
    check_owned(deployment, expected)
    if not args.yes:
        if not sys.stdin.isatty():
            error("not a terminal: pass --yes to delete without confirmation")
            return 2
        answer = input(f"Delete {deployment.display_name} ({deployment.id})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    delete(session, deployment, expected_owner=expected)
    print(f"{deployment.id}: deletion requested")
    return 0
