"""``oci-tei status | logs | scale | stop | start | delete``: commands on a live deployment.

Each has ``configure_<name>(parser)`` and ``run_<name>(args) -> int`` for the dispatcher
in :mod:`oci_tei._cli`, and calls the :class:`~oci_tei.deploy.Deployment` method of the
same name; the typed errors become a message and an exit status
(:func:`~oci_tei.deploy._cli_support.guarded`). Exit status: 0 success, 1 an OCI-side
failure, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys

from oci_tei.deploy._cli_support import (
    TARGET_HELP,
    add_wait_arguments,
    deployment,
    error,
    guarded,
)
from oci_tei.deploy._connection import add_connection_arguments

__all__ = [
    "configure_delete",
    "configure_logs",
    "configure_scale",
    "configure_start",
    "configure_status",
    "configure_stop",
    "run_delete",
    "run_logs",
    "run_scale",
    "run_start",
    "run_status",
    "run_stop",
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
    from oci_tei.deploy.manage._metrics import describe_metrics

    live = deployment(args, attach=True)
    print(live.status())
    if not args.no_metrics:
        print("\n".join(describe_metrics(live.metrics(hours=args.hours))))
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
    live = deployment(args, attach=True)
    if args.type == "work-request":
        print("\n".join(live.work_request_log()) or "no work requests")
    else:
        records = live.container_logs(args.type, args.limit)
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
    if args.replicas is None and args.bandwidth_mbps is None:
        error("give --replicas and/or --bandwidth-mbps")
        return 2
    for name in ("replicas", "bandwidth_mbps"):
        value = getattr(args, name)
        if value is not None and value < 1:
            error(f"--{name.replace('_', '-')} must be at least 1")
            return 2
    live = deployment(args, attach=True)
    status = live.scale(
        replicas=args.replicas,
        bandwidth_mbps=args.bandwidth_mbps,
        wait=not args.no_wait,
        timeout_s=args.timeout * 60,
    )
    if args.no_wait:
        print(f"{status.deployment_id}: update requested (see `oci-tei status`)")
        return 0
    print(status)
    return 0


def configure_stop(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei stop``."""
    parser.add_argument("target", help=TARGET_HELP)
    add_wait_arguments(parser, "deactivation")
    add_connection_arguments(parser)


@guarded
def run_stop(args: argparse.Namespace) -> int:
    """Deactivate a deployment oci-tei created: OCI stops billing its instances meanwhile."""
    status = deployment(args, attach=True).stop(wait=not args.no_wait, timeout_s=args.timeout * 60)
    print(status)
    return 0


def configure_start(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei start``."""
    parser.add_argument("target", help=TARGET_HELP)
    add_wait_arguments(parser, "activation")
    parser.add_argument("--no-smoke-test", action="store_true", help="skip the test call")
    add_connection_arguments(parser)


@guarded
def run_start(args: argparse.Namespace) -> int:
    """Activate a stopped deployment oci-tei created; the same endpoint, smoke-tested."""
    status = deployment(args, attach=True).start(
        wait=not args.no_wait, timeout_s=args.timeout * 60, smoke_test=not args.no_smoke_test
    )
    print(status)
    return 0


def configure_delete(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei delete``."""
    parser.add_argument("target", help=TARGET_HELP)
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_connection_arguments(parser)


@guarded
def run_delete(args: argparse.Namespace) -> int:
    """Delete a deployment oci-tei created; refuses any other."""
    live = deployment(args, attach=True)
    record = live.check_owned()
    if not args.yes:
        if not sys.stdin.isatty():
            error("not a terminal: pass --yes to delete without confirmation")
            return 2
        answer = input(f"Delete {record.display_name} ({record.id})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    live.delete()
    return 0
