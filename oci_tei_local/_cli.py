"""``oci-tei serve`` / ``python -m oci_tei_local``: TEI's command line, parsed as TEI does.

Every flag has TEI's name and, when absent, is read from TEI's environment variable
(``MODEL_ID``, ``PORT``, ``MAX_BATCH_TOKENS``...). Two deliberate differences, for safety:

* ``--hostname`` defaults to ``127.0.0.1`` and its environment fallback is
  ``OCI_TEI_HOSTNAME``, not TEI's ``HOSTNAME``: shells and containers set ``HOSTNAME`` to
  the machine's name, which would silently move the bind address off loopback.
* ``--port`` defaults to 8080 (TEI: 3000), the port OCI Model Deployment expects.

``--compat 1.5|1.9`` (env ``OCI_TEI_COMPAT``) is this server's own flag. As in TEI, the
``TASK`` variable (``sentence-similarity``) changes what ``POST /`` does.
``parse_serve_args`` is what the OCI emulator uses to read a deployment's container
command exactly as the server would.

This module imports no framework: the server is imported when ``run_serve`` runs.
"""

from __future__ import annotations

__all__ = [
    "ServeArgsError",
    "command",
    "configure_serve",
    "main",
    "parse_serve_args",
    "unused_flags",
]

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from oci_tei_local._settings import (
    COMPAT_VERSIONS,
    DEFAULT_HOSTNAME,
    DEFAULT_PORT,
    DTYPES,
    POOLINGS,
    ServerSettings,
)

logger = logging.getLogger(__name__)

_Kind = Literal["str", "int", "flag", "bool", "list"]
_FALSEY = frozenset({"n", "no", "f", "false", "off", "0"})


class ServeArgsError(ValueError):
    """A command line or environment variable TEI would refuse (exit status 2)."""


@dataclass(frozen=True)
class _Option:
    flag: str
    env: str
    kind: _Kind
    help: str
    choices: tuple[str, ...] = ()
    short: str | None = None
    field: str | None = None  # ServerSettings field, when it differs from the flag's name
    unused: bool = False  # accepted for TEI parity, logged, no effect here

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")

    @property
    def setting(self) -> str:
        return self.field or self.dest

    @property
    def metavar(self) -> str:
        return f"<{self.dest.upper()}>"


_OPTIONS: tuple[_Option, ...] = (
    _Option(
        "--model-id",
        "MODEL_ID",
        "str",
        "model directory laid out as TEI loads it "
        "(config.json, tokenizer.json, safetensors, 1_Pooling/config.json); "
        "default: the bundled all-MiniLM-L6-v2",
    ),
    _Option("--revision", "REVISION", "str", "reported as model_sha in /info"),
    _Option(
        "--tokenization-workers",
        "TOKENIZATION_WORKERS",
        "int",
        "tokenizer threads (default: cores - 1)",
    ),
    _Option("--dtype", "DTYPE", "str", "model dtype on CPU", choices=DTYPES),
    _Option(
        "--served-model-name",
        "SERVED_MODEL_NAME",
        "str",
        "model name the OpenAI route reports (default: --model-id)",
    ),
    _Option(
        "--pooling",
        "POOLING",
        "str",
        "pooling (default: from 1_Pooling/config.json)",
        choices=POOLINGS,
    ),
    _Option(
        "--max-concurrent-requests",
        "MAX_CONCURRENT_REQUESTS",
        "int",
        "permits, one per input; 429 when exhausted (default: 512)",
    ),
    _Option(
        "--max-batch-tokens",
        "MAX_BATCH_TOKENS",
        "int",
        "padded tokens per model batch (default: 16384)",
    ),
    _Option("--max-batch-requests", "MAX_BATCH_REQUESTS", "int", "inputs per model batch"),
    _Option(
        "--max-client-batch-size",
        "MAX_CLIENT_BATCH_SIZE",
        "int",
        "inputs per request (default: 32)",
    ),
    _Option(
        "--auto-truncate",
        "AUTO_TRUNCATE",
        "bool",
        "truncate long inputs by default (default: true; false with --compat 1.5)",
    ),
    _Option(
        "--default-prompt-name",
        "DEFAULT_PROMPT_NAME",
        "str",
        "prompt of config_sentence_transformers.json applied by default",
    ),
    _Option("--default-prompt", "DEFAULT_PROMPT", "str", "prompt text applied by default"),
    _Option(
        "--dense-path",
        "DENSE_PATH",
        "str",
        "accepted; Dense modules come from modules.json",
        unused=True,
    ),
    _Option(
        "--hf-api-token", "HF_API_TOKEN", "str", argparse.SUPPRESS, field="hf_token", unused=True
    ),
    _Option("--hf-token", "HF_TOKEN", "str", "accepted; no Hub access here", unused=True),
    _Option(
        "--hostname", "OCI_TEI_HOSTNAME", "str", f"IP address to bind (default: {DEFAULT_HOSTNAME})"
    ),
    _Option(
        "--port", "PORT", "int", f"port to listen on (default: {DEFAULT_PORT}; 0 = any)", short="-p"
    ),
    _Option("--uds-path", "UDS_PATH", "str", "accepted, unused", unused=True),
    _Option(
        "--huggingface-hub-cache", "HUGGINGFACE_HUB_CACHE", "str", "accepted, unused", unused=True
    ),
    _Option(
        "--payload-limit",
        "PAYLOAD_LIMIT",
        "int",
        "largest request body in bytes (default: 2000000)",
    ),
    _Option("--api-key", "API_KEY", "str", "require `Authorization: Bearer <key>`"),
    _Option("--json-output", "JSON_OUTPUT", "flag", "log JSON lines"),
    _Option("--disable-spans", "DISABLE_SPANS", "flag", "accepted, unused", unused=True),
    _Option(
        "--otlp-endpoint", "OTLP_ENDPOINT", "str", "accepted; no traces are exported", unused=True
    ),
    _Option("--otlp-service-name", "OTLP_SERVICE_NAME", "str", "accepted, unused", unused=True),
    _Option(
        "--prometheus-port",
        "PROMETHEUS_PORT",
        "int",
        "accepted; /metrics is served on --port",
        unused=True,
    ),
    _Option(
        "--cors-allow-origin",
        "CORS_ALLOW_ORIGIN",
        "list",
        "allowed CORS origin (repeatable; default: any)",
    ),
    _Option(
        "--compat",
        "OCI_TEI_COMPAT",
        "str",
        "TEI version whose status codes and wire details to reproduce (default: 1.9)",
        choices=COMPAT_VERSIONS,
    ),
)
_CONFLICTS = (("--default-prompt-name", "--default-prompt"), ("--hf-token", "--hf-api-token"))


def configure_serve(parser: argparse.ArgumentParser) -> None:
    """Add TEI's flags to ``parser`` (the ``oci-tei serve`` subcommand)."""
    parser.description = (
        "Run a local Text Embeddings Inference (TEI) compatible embedding server. "
        "Each flag can also be set through the environment variable in brackets."
    )
    for option in _OPTIONS:
        names = [option.flag] + ([option.short] if option.short else [])
        help_text = option.help
        if help_text != argparse.SUPPRESS:
            help_text = f"{help_text} [env: {option.env}]"
            if option.choices:
                help_text += f" [possible values: {', '.join(option.choices)}]"
        kwargs: dict[str, Any] = {"dest": option.dest, "default": None, "help": help_text}
        if option.kind == "flag":
            kwargs.update(action="store_const", const="true")
        elif option.kind == "bool":
            kwargs.update(nargs="?", const="true", metavar="<true|false>")
        elif option.kind == "list":
            kwargs.update(action="append", metavar=option.metavar)
        else:
            kwargs.update(metavar=option.metavar)
        parser.add_argument(*names, **kwargs)


def parse_serve_args(argv: Sequence[str], env: Mapping[str, str] | None = None) -> ServerSettings:
    """Parse a TEI command line (and its environment) into settings, as the server does.

    Args:
        argv: Arguments after the program name, for example a deployment's ``cmd``.
        env: Environment variables; ``None`` reads ``os.environ``.

    Returns:
        The settings the server would run with.

    Raises:
        ServeArgsError: An unknown flag, a bad value, or conflicting flags.
    """
    parser = _RaisingParser(prog="text-embeddings-router", allow_abbrev=False, add_help=False)
    configure_serve(parser)
    return settings_from_namespace(parser.parse_args(list(argv)), env)


def settings_from_namespace(
    args: argparse.Namespace, env: Mapping[str, str] | None = None
) -> ServerSettings:
    """Settings from parsed flags, falling back to environment variables.

    Raises:
        ServeArgsError: A bad value or conflicting flags.
    """
    environ = os.environ if env is None else env
    values: dict[str, Any] = {}
    given: set[str] = set()
    for option in _OPTIONS:
        raw = getattr(args, option.dest, None)
        source = f"'{option.flag} {option.metavar}'"
        if raw is None:
            env_value = environ.get(option.env)
            if not env_value:  # clap ignores empty variables
                continue
            raw = [env_value] if option.kind == "list" else env_value
            source = f"env {option.env}"
        given.add(option.flag)
        values[option.setting] = _convert(option, raw, source)
    if environ.get("TASK"):  # TEI reads it from the environment only
        values["task"] = environ["TASK"]
    for first, second in _CONFLICTS:
        if first in given and second in given:
            raise ServeArgsError(f"the argument '{first}' cannot be used with '{second}'")
    try:
        return ServerSettings(**values)
    except ValueError as exc:
        raise ServeArgsError(str(exc)) from None


def unused_flags(settings: ServerSettings) -> list[str]:
    """Flags set to a non-default value that have no effect in this server."""
    defaults = ServerSettings()
    unused = []
    for option in _OPTIONS:
        if option.help == argparse.SUPPRESS:  # a deprecated alias of another flag
            continue
        if option.unused and getattr(settings, option.setting) != getattr(defaults, option.setting):
            unused.append(option.flag)
    return sorted(unused)


def run_serve(args: argparse.Namespace) -> int:
    """Run the server until SIGINT/SIGTERM; returns the process exit status.

    Returns:
        0 after a graceful stop, 1 when the server cannot start, 2 for bad arguments.
    """
    try:
        settings = settings_from_namespace(args)
    except ServeArgsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from oci_tei_local._errors import StartupError
    from oci_tei_local._logs import configure_logging
    from oci_tei_local._server import LocalServer

    configure_logging(json_output=settings.json_output)
    for flag in unused_flags(settings):
        logger.warning("`%s` is accepted for TEI compatibility but has no effect here", flag)
    try:
        LocalServer(settings).serve_forever()
    except StartupError as exc:
        logger.error("%s", exc)
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m oci_tei_local``: parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m oci_tei_local", allow_abbrev=False)
    configure_serve(parser)
    return run_serve(parser.parse_args(argv))


def _convert(option: _Option, raw: Any, source: str) -> Any:
    if option.kind == "list":
        return tuple(raw)
    if option.kind == "flag":
        return str(raw).strip().lower() not in _FALSEY
    text = str(raw)
    if option.kind == "bool":
        if text not in ("true", "false"):
            raise ServeArgsError(
                f"invalid value '{text}' for {source}\n  [possible values: true, false]"
            )
        return text == "true"
    if option.choices and text not in option.choices:
        raise ServeArgsError(
            f"invalid value '{text}' for {source}\n  [possible values: {', '.join(option.choices)}]"
        )
    if option.kind == "int":
        try:
            number = int(text, 10)
        except ValueError:
            raise ServeArgsError(
                f"invalid value '{text}' for {source}: invalid digit found in string"
            ) from None
        if number < 0:
            raise ServeArgsError(
                f"invalid value '{text}' for {source}: invalid digit found in string"
            )
        return number
    return text


class _RaisingParser(argparse.ArgumentParser):
    """An argument parser that raises instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise ServeArgsError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise ServeArgsError(message or f"exit {status}")


class _Command:
    """The ``oci-tei serve`` subcommand, registered under the ``oci_tei.commands`` entry point."""

    help = "run the local TEI-compatible embedding server"

    @staticmethod
    def configure(parser: argparse.ArgumentParser) -> None:
        """Add ``serve``'s arguments."""
        configure_serve(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        """Run ``serve``; returns the exit status."""
        return run_serve(args)


command = _Command()
