"""The ``oci-tei`` command line: one entry point, one module per concern.

Subcommands are registered by name and imported only when chosen, so ``oci-tei --help``
and ``oci-tei image`` stay fast and never import torch or oracle-ads. A command module
exposes ``configure_<name>(parser)`` and ``run_<name>(args) -> int`` and keeps its heavy
imports inside ``run_<name>``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NamedTuple


class _Command(NamedTuple):
    module: str
    help: str


_COMMANDS: dict[str, _Command] = {
    "serve": _Command("oci_tei.local.cli", "run the local TEI-compatible embedding server"),
    "emulate": _Command("oci_tei.emulator.cli", "run the OCI Model Deployment emulator"),
    "deploy": _Command("oci_tei.deploy.cli", "deploy a TEI model from a spec (YAML)"),
    "status": _Command("oci_tei.deploy.manage.cli", "show the state of a spec's deployment"),
    "logs": _Command("oci_tei.deploy.manage.cli", "show a deployment's work-request log"),
    "scale": _Command("oci_tei.deploy.manage.cli", "change replicas or bandwidth of a deployment"),
    "delete": _Command("oci_tei.deploy.manage.cli", "delete a deployment this tool created"),
    "doctor": _Command(
        "oci_tei.deploy.doctor", "check a spec against OCI before deploying (preflight)"
    ),
    "image": _Command("oci_tei.deploy.cli", "print the docker commands to push the TEI image"),
    "bandwidth": _Command("oci_tei.deploy.cli", "recommend bandwidth_mbps for a throughput"),
    "embed": _Command("oci_tei.corpus.cli", "embed a corpus file into Parquet or .npy, resumably"),
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """Build the parser; only the chosen subcommand's module is imported."""
    from oci_tei import __version__

    parser = argparse.ArgumentParser(
        prog="oci-tei",
        description="Text Embeddings Inference on OCI Data Science Model Deployment.",
    )
    parser.add_argument("--version", action="version", version=f"oci-tei {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, command in _COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.help)
        if name == chosen:
            module = importlib.import_module(command.module)
            getattr(module, f"configure_{name}")(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``oci-tei``; returns the process exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    module = importlib.import_module(_COMMANDS[args.command].module)
    try:
        return int(getattr(module, f"run_{args.command}")(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
