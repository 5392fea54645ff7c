"""The ``oci-tei`` command line: one explicit table of commands, imported only when chosen.

Each row of :data:`_COMMANDS` names a loader that imports its command module and returns
that module's ``configure`` and ``run`` functions, so ``oci-tei --help`` and ``oci-tei image``
stay fast and never import torch or oracle-ads, and ``grep run_deploy`` finds its caller.

``oci-tei serve`` and ``oci-tei emulate`` belong to the test stand-ins (``oci_tei_local``,
``oci_tei_emulator``), which the product never imports: they plug in through the
``oci_tei.commands`` entry-point group (see ``pyproject.toml``). An entry point names an
object with ``help``, ``configure(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import NamedTuple, Protocol


class _Command(NamedTuple):
    """A subcommand once its module is imported."""

    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


class _Row(NamedTuple):
    help: str
    load: Callable[[], _Command]


class _Plugin(Protocol):
    help: str

    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _deploy() -> _Command:
    from oci_tei.deploy import _cli as cli

    return _Command(cli.configure_deploy, cli.run_deploy)


def _image() -> _Command:
    from oci_tei.deploy import _cli as cli

    return _Command(cli.configure_image, cli.run_image)


def _bandwidth() -> _Command:
    from oci_tei.deploy import _cli as cli

    return _Command(cli.configure_bandwidth, cli.run_bandwidth)


def _doctor() -> _Command:
    from oci_tei.deploy.preflight import _doctor as doctor

    return _Command(doctor.configure_doctor, doctor.run_doctor)


def _status() -> _Command:
    from oci_tei.deploy.manage import _cli as cli

    return _Command(cli.configure_status, cli.run_status)


def _logs() -> _Command:
    from oci_tei.deploy.manage import _cli as cli

    return _Command(cli.configure_logs, cli.run_logs)


def _scale() -> _Command:
    from oci_tei.deploy.manage import _cli as cli

    return _Command(cli.configure_scale, cli.run_scale)


def _stop() -> _Command:
    from oci_tei.deploy.manage import _cli as cli

    return _Command(cli.configure_stop, cli.run_stop)


def _start() -> _Command:
    from oci_tei.deploy.manage import _cli as cli

    return _Command(cli.configure_start, cli.run_start)


def _delete() -> _Command:
    from oci_tei.deploy.manage import _cli as cli

    return _Command(cli.configure_delete, cli.run_delete)


def _embed() -> _Command:
    from oci_tei.corpus import _cli as cli

    return _Command(cli.configure_embed, cli.run_embed)


_COMMANDS: dict[str, _Row] = {
    "deploy": _Row("deploy a TEI model from a spec (YAML)", _deploy),
    "status": _Row("show the state of a spec's deployment", _status),
    "logs": _Row("show a deployment's work-request log", _logs),
    "scale": _Row("change replicas or bandwidth of a deployment", _scale),
    "stop": _Row("deactivate a deployment this tool created (billing stops)", _stop),
    "start": _Row("activate a stopped deployment again (same endpoint)", _start),
    "delete": _Row("delete a deployment this tool created", _delete),
    "doctor": _Row("check a spec against OCI before deploying (preflight)", _doctor),
    "image": _Row("put the TEI image into OCIR", _image),
    "bandwidth": _Row("recommend bandwidth_mbps for a throughput", _bandwidth),
    "embed": _Row("embed a corpus file into Parquet or .npy, resumably", _embed),
}


def _plugin_rows() -> dict[str, _Row]:
    """Commands other packages register (``serve``, ``emulate`` from the stand-ins)."""
    rows: dict[str, _Row] = {}
    for entry in metadata.entry_points(group="oci_tei.commands"):
        if entry.name in _COMMANDS:
            continue

        def load(entry: metadata.EntryPoint = entry) -> _Command:
            plugin: _Plugin = entry.load()
            return _Command(plugin.configure, plugin.run)

        # The help line is the entry point's module docstring's first line, read only
        # when listed; a missing plugin module is reported when chosen, not here.
        rows[entry.name] = _Row(_PLUGIN_HELP.get(entry.name, f"({entry.value})"), load)
    return rows


# One-line help for the stand-ins' commands, so `oci-tei --help` imports neither of them.
_PLUGIN_HELP = {
    "serve": "run the local TEI-compatible embedding server (oci_tei_local)",
    "emulate": "run the OCI Model Deployment emulator (oci_tei_emulator)",
}


def _rows() -> dict[str, _Row]:
    return {**_plugin_rows(), **_COMMANDS}


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
    for name, row in _rows().items():
        sub = subparsers.add_parser(name, help=row.help, description=row.help)
        if name == chosen:
            command = row.load()
            command.configure(sub)
            sub.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``oci-tei``; returns the process exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(args_list).parse_args(args_list)
    run: Callable[[argparse.Namespace], int] = args._run
    try:
        return int(run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
