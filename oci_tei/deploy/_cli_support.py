"""What the deploy and management subcommands share: exit statuses, spec, Deployment.

Typed errors become a message and an exit status; the arguments name a spec file and the
:class:`~oci_tei.deploy.Deployment` to act on.

Internal. Imports only the standard library at load time, so ``oci-tei image`` and
``oci-tei bandwidth`` never import oracle-ads.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oci_tei.deploy._api import Deployment
    from oci_tei.deploy.spec import DeploySpec

__all__ = [
    "TARGET_HELP",
    "add_wait_arguments",
    "deployment",
    "error",
    "guarded",
    "load",
]

TARGET_HELP = "a deploy spec (YAML) or a model deployment OCID"


def error(message: object) -> None:
    """Print ``error: <message>`` to stderr."""
    print(f"error: {message}", file=sys.stderr)


def guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the package's typed errors and OCI service errors into a message and a status.

    Exit status: 0 success, 1 an OCI-side failure, 2 a bad spec or arguments
    (:class:`~oci_tei.deploy.SpecError`, :class:`~oci_tei.deploy.UsageError`).
    """

    def run(args: argparse.Namespace) -> int:
        from oci_tei._errors import OCITEIError
        from oci_tei.deploy._errors import SpecError, UsageError

        # oracle-ads turns on INFO logging to stdout when imported (logging.basicConfig);
        # the commands print their own progress, so httpx's line per request stays out.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        try:
            return command(args)
        except (SpecError, UsageError) as exc:
            error(exc)
            return 2
        except OCITEIError as exc:
            error(exc)
            return 1
        except Exception as exc:
            # oci.exceptions.ServiceError, without importing oci here: if one was raised,
            # oci is loaded.
            oci_exceptions: Any = sys.modules.get("oci.exceptions")
            if oci_exceptions is None or not isinstance(exc, oci_exceptions.ServiceError):
                raise
            service_error: Any = exc
            error(
                f"OCI {service_error.status} {service_error.code}: {service_error.message} "
                f"(opc-request-id {service_error.request_id})"
            )
            return 1

    run.__doc__ = command.__doc__
    return run


def load(path: str) -> DeploySpec:
    """Read and validate a spec file."""
    from oci_tei.deploy.spec import load_spec

    return load_spec(path)


def deployment(args: argparse.Namespace, *, attach: bool = False) -> Deployment:
    """The :class:`~oci_tei.deploy.Deployment` the arguments name, as whom they say.

    ``SPEC`` builds one from the spec file; with ``attach``, ``TARGET`` (a spec or an OCID)
    designates a live one.
    """
    from oci_tei.deploy._api import Deployment

    connection = {
        "auth": args.auth,
        "profile": args.profile,
        "config_file": args.config_file,
        "service_endpoint": args.service_endpoint,
    }
    if attach:
        return Deployment.attach(args.target, **connection)
    return Deployment(load(args.spec), **connection)


def add_wait_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """``--no-wait`` and ``--timeout MINUTES``."""
    parser.add_argument(
        "--no-wait", action="store_true", help=f"return once the {what} is requested"
    )
    parser.add_argument(
        "--timeout", type=float, default=45.0, metavar="MINUTES", help="how long to wait for ACTIVE"
    )
