"""``oci-tei doctor SPEC``: the deploy preflight alone, changing nothing.

Exit status: 0 every check passed (warnings allowed), 1 a check failed, 2 a bad spec.
"""

from __future__ import annotations

import argparse

from oci_tei.deploy._cli_support import deployment, guarded
from oci_tei.deploy._connection import add_connection_arguments

__all__ = ["configure_doctor", "run_doctor"]


def configure_doctor(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``oci-tei doctor``."""
    parser.add_argument("spec", help="the deploy spec (YAML) to check")
    add_connection_arguments(parser)


@guarded
def run_doctor(args: argparse.Namespace) -> int:
    """Check a spec against OCI and print each finding with its fix (:meth:`Deployment.doctor`).

    Identity, compartment, project, shape, limits, image, bucket, logs and IAM policies.
    """
    report = deployment(args).doctor()
    print(report.render())
    return 0 if report.ok else 1
