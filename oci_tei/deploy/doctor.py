"""``oci-tei doctor SPEC``: the deploy preflight alone, changing nothing.

Exit status: 0 every check passed (warnings allowed), 1 a check failed, 2 a bad spec.
"""

from __future__ import annotations

import argparse

from oci_tei.deploy._cli_support import guarded, load, session_from_args
from oci_tei.deploy.connection import add_connection_arguments

__all__ = ["configure_doctor", "run_doctor"]


def configure_doctor(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei doctor``."""
    parser.add_argument("spec", help="the deploy spec (YAML) to check")
    add_connection_arguments(parser)


@guarded
def run_doctor(args: argparse.Namespace) -> int:
    """Check a spec against OCI and print each finding with its fix.

    Identity, compartment, project, shape, limits, image, bucket, logs and IAM policies.
    """
    from oci_tei.deploy.lookup import find_deployment
    from oci_tei.deploy.preflight import run_preflight

    spec = load(args.spec)
    session = session_from_args(args)
    session.check_region(spec)
    report = run_preflight(
        session, spec, resuming=find_deployment(session, spec, unreadable_is_none=True) is not None
    )
    print(report.render())
    return 0 if report.ok else 1
