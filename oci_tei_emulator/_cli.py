"""``oci-tei emulate``: run the OCI emulator until interrupted.

Heavy imports (aiohttp, oci) happen in :func:`run_emulate` only.
"""

from __future__ import annotations

__all__ = ["command", "configure_emulate", "run_emulate"]

import argparse
import shlex
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oci_tei_emulator import Emulator


def _window(text: str) -> tuple[float, float]:
    start, _, end = text.partition(":")
    try:
        return float(start), float(end) if end else float("inf")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START[:END] in seconds, got {text!r}") from None


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"a probability lies in [0, 1], got {text!r}")
    return value


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _limit(text: str) -> tuple[str, int]:
    name, value = _assignment(text)
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"a limit is a whole number >= 0, got {text!r}")
    return name, number


def configure_emulate(parser: argparse.ArgumentParser) -> None:
    """Add the ``emulate`` options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8998, help="port; 0 picks a free one")
    parser.add_argument(
        "--trust-public-key", action="append", default=[], metavar="FILE",
        help="trust this API key (PEM, public or private); repeatable. "
        "Default: the DEFAULT profile's key in --oci-config",
    )  # fmt: skip
    parser.add_argument("--oci-config", default="~/.oci/config", help="OCI config file")
    parser.add_argument("--region", default="us-ashburn-1")
    parser.add_argument("--rtt-ms", type=float, default=0.0, help="added round-trip time")
    parser.add_argument(
        "--bandwidth-mbps", type=float, default=10.0,
        help="0 turns predict throttling off; otherwise each deployment is throttled at its "
        "own bandwidthMbps (OCI default 10), registered targets at this value",
    )  # fmt: skip
    parser.add_argument("--rps", type=float, default=150.0, help="tenancy requests/second (0: off)")
    parser.add_argument("--predict-timeout-s", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault draws")
    for name in ("429", "500", "502", "503", "504", "reset", "stall"):
        parser.add_argument(
            f"--fault-{name}", type=_probability, default=0.0, metavar="P",
            help=f"probability of a {name} fault per predict call",
        )  # fmt: skip
    parser.add_argument("--stall-s", type=float, default=90.0, help="how long a stall lasts")
    parser.add_argument(
        "--token-expiry-window", type=_window, action="append", default=[],
        metavar="START[:END]",
        help="seconds after start during which older session tokens are expired; repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--runner", choices=("subprocess", "inprocess"), default="subprocess",
        help="how deployment containers run",
    )  # fmt: skip
    parser.add_argument("--data-dir", type=Path, default=None, help="where objects are stored")
    strict = parser.add_argument_group("strict mode (authorize and check as OCI does)")
    strict.add_argument(
        "--strict", action="store_true",
        help="enforce IAM policies, compartments, projects, OCIR images, service limits and "
        "logs; without it every resource exists and everything is allowed",
    )  # fmt: skip
    strict.add_argument(
        "--ocir-image", action="append", default=[], metavar="IMAGE",
        help="declare an image as pushed to OCIR (<key>.ocir.io/<namespace>/<repo>:<tag>); "
        "repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--ocir-registry", action="store_true",
        help="run a real registry (Debian's docker-registry) as this region's OCIR: its token "
        "realm is this emulator's /20180419/docker/token and the Artifacts API answers from "
        "it; with --write-config, DIR/registry-endpoints holds OCI_TEI_REGISTRY_ENDPOINTS",
    )  # fmt: skip
    strict.add_argument(
        "--limit", type=_limit, action="append", default=[], metavar="NAME=N",
        help="a Data Science service limit, e.g. ds-gpu-a10-count=2; repeatable",
    )  # fmt: skip
    strict.add_argument(
        "--user-group", action="append", default=None, metavar="NAME",
        help="a group every trusted user belongs to (default: oci-tei-users); repeatable",
    )  # fmt: skip
    strict.add_argument(
        "--compartment", type=_assignment, action="append", default=[], metavar="NAME=OCID",
        help="a compartment below the tenancy; repeatable (more with CreateCompartment)",
    )  # fmt: skip
    strict.add_argument(
        "--log", action="append", default=[], metavar="LOG_GROUP_OCID/LOG_OCID",
        help="an OCI Logging log (in the tenancy); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--page-size", type=int, default=10,
        help="items per page of every List call without limit (OCI pages them too)",
    )  # fmt: skip
    parser.add_argument(
        "--write-config", type=Path, default=None, metavar="DIR",
        help="make a throwaway API key, trust it, and write DIR/config (profile DEFAULT) "
        "for --config-file of the oci SDK, ADS or oci-tei; written once the emulator serves",
    )  # fmt: skip
    parser.add_argument(
        "--write-rp-env", type=Path, default=None, metavar="FILE",
        help="write FILE: `export OCI_RESOURCE_PRINCIPAL_*=...` lines (v2.2: a token this "
        "emulator issues to a notebook session, and its key, beside FILE) for --auth "
        "resource_principal (`. FILE` in a shell); written once the emulator serves",
    )  # fmt: skip
    parser.add_argument(
        "--rp-ttl-s", type=float, default=86400.0,
        help="lifetime of the --write-rp-env token in seconds (default one day)",
    )  # fmt: skip


def run_emulate(args: argparse.Namespace) -> int:
    """Start the emulator, print how to use it, serve until Ctrl-C."""
    from oci_tei_emulator import Emulator, EmulatorConfig, FaultConfig, TokenExpiryWindow

    try:
        config = EmulatorConfig(
            host=args.host,
            port=args.port,
            trusted_public_keys=args.trust_public_key,
            oci_config_file=args.oci_config,
            region=args.region,
            rtt_ms=args.rtt_ms,
            bandwidth_mbps=args.bandwidth_mbps or None,
            page_size=args.page_size,
            requests_per_second=args.rps,
            predict_timeout_s=args.predict_timeout_s,
            seed=args.seed,
            faults=FaultConfig(
                p_429=args.fault_429,
                p_500=args.fault_500,
                p_502=args.fault_502,
                p_503=args.fault_503,
                p_504=args.fault_504,
                p_reset=args.fault_reset,
                p_stall=args.fault_stall,
                stall_s=args.stall_s,
            ),
            token_expiry_windows=[TokenExpiryWindow(s, e) for s, e in args.token_expiry_window],
            container_runner=args.runner,
            data_dir=args.data_dir,
            strict=args.strict,
            ocir_images=args.ocir_image,
            limits=dict(args.limit),
            user_groups=args.user_group or ("oci-tei-users",),
            compartments=dict(args.compartment),
            logs=args.log,
            ocir_registry=args.ocir_registry,
        )
        emulator = Emulator(config)
    except ValueError as exc:
        print(f"oci-tei emulate: {exc}")
        return 2
    try:
        emulator.start()
    except FileNotFoundError as exc:  # --ocir-registry without docker-registry installed
        print(f"oci-tei emulate: {exc}")
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.write_config and emulator.ocir_endpoints:
        # Before the config file: a script waiting for the config finds both.
        args.write_config.mkdir(parents=True, exist_ok=True)
        endpoints = ",".join(f"{h}={u}" for h, u in emulator.ocir_endpoints.items())
        (args.write_config / "registry-endpoints").write_text(endpoints + "\n")
    config_file = emulator.write_api_key_config(args.write_config) if args.write_config else None
    if args.write_rp_env:
        write_rp_env_file(emulator, args.write_rp_env, args.rp_ttl_s)
    print(usage(emulator, config_file, args.write_rp_env), flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def write_rp_env_file(emulator: Emulator, path: Path, ttl_s: float = 86400.0) -> dict[str, str]:
    """Write a resource-principal environment as ``export`` lines; return the variables.

    The token and key go to ``<FILE>.d/`` beside the file; the file appears atomically,
    complete, so a script may wait for it.
    """
    path = path.expanduser().resolve()
    env = emulator.resource_principal_env(path.parent / f"{path.name}.d", ttl_s=ttl_s)
    partial = path.parent / f".{path.name}.partial"
    partial.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))
    partial.chmod(0o600)
    partial.replace(path)
    return env


def _mode(emulator: Emulator) -> str:
    config = emulator.config
    if not config.strict:
        return "open: every resource exists, every request is allowed; --strict enforces"
    limits = ", ".join(f"{k}={v}" for k, v in config.limits.items()) or "none"
    return (
        f"strict: groups {', '.join(config.user_groups)}; {len(config.ocir_images)} OCIR "
        f"image(s); limits {limits}"
    )


def usage(emulator: Emulator, config_file: Path | None = None, rp_env: Path | None = None) -> str:
    """The banner: where the emulator listens and how to point the SDKs at it."""
    url = emulator.url
    trusted = ", ".join(emulator.trusted_fingerprints)
    config = f"  OCI config: {config_file} (a throwaway key it trusts)\n" if config_file else ""
    if rp_env:
        config += f"  resource principal: . {rp_env}  (then --auth resource_principal)\n"
    registries = "".join(
        f"  OCIR:     {host} served by {registry} (OCI_TEI_REGISTRY_ENDPOINTS={host}={registry})\n"
        for host, registry in emulator.ocir_endpoints.items()
    )
    return (
        f"OCI emulator listening on {url}\n"
        f"  trusted API keys: {trusted or 'none (only session tokens)'}\n"
        f"  tenancy: {emulator.config.tenancy_id} ({_mode(emulator)})\n"
        f"{config}"
        f"  oci SDK:  oci.data_science.DataScienceClient(config, service_endpoint={url!r})\n"
        f"  ADS:      ads.set_auth('api_key', client_kwargs={{'service_endpoint': {url!r}}})\n"
        f"  predict:  POST {url}/<model_deployment_ocid>/predict\n"
        f"{registries}"
        f"  instance principals: OCI_METADATA_BASE_URL={url}/opc/v2, "
        f"federation_endpoint={url}/v1/x509\n"
        "Ctrl-C stops."
    )


class _Command:
    """The ``oci-tei emulate`` subcommand, registered under the ``oci_tei.commands`` entry point."""

    help = "run the OCI Model Deployment emulator"

    @staticmethod
    def configure(parser: argparse.ArgumentParser) -> None:
        """Add ``emulate``'s arguments."""
        configure_emulate(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        """Run ``emulate``; returns the exit status."""
        return run_emulate(args)


command = _Command()
