"""Model deployment containers: validate them as OCI and TEI would, then run ``oci-tei serve``.

A deployment's container is the local TEI-compatible server started with the deployment's
own ``cmd`` and environment, parsed by the server's real parser. Before it starts, the
emulator refuses what could not serve on OCI: a listen port other than the configured
server or health-check port, a hostname other than ``0.0.0.0``, an image whose GPU
architecture does not fit the shape, a model path outside ``/opt/ds/model/deployed_model``
or without a model. What only the server can tell (weights it cannot load...) fails the
deployment with the server's own message.

Two runners:

* ``inprocess``: a :class:`~oci_tei_local.LocalServer` in this process. When the deployed
  model files equal those of a backend the caller already loaded (``shared_backends``),
  that backend is reused, so tests load a model once per session.
* ``subprocess``: ``python -m oci_tei_local`` with the container's command, its port and
  hostname rewritten to a free loopback port (never 0.0.0.0 on the host), watched through
  ``GET /health`` and terminated when the deployment stops.

Either way, a deployment that is updated keeps serving from its old container until the
new one is healthy, as OCI's rolling update does.
"""

from __future__ import annotations

__all__ = [
    "DEPLOYED_MODEL_ROOT",
    "ContainerError",
    "ContainerManager",
    "ContainerPlan",
    "ContainerSpec",
    "InProcessContainer",
    "RunningContainer",
    "SubprocessContainer",
    "check_image_on_shape",
]

import asyncio
import contextlib
import fnmatch
import hashlib
import json
import os
import re
import socket
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp

import oci_tei
from oci_tei.contract._tei import (
    BUILD_CAP_BY_PREFIX,
    COMPATIBLE_CAPS,
    CPU_PREFIXES,
    DEFAULT_BUILD_CAP,
    GPU_COMPUTE_CAP,
)
from oci_tei_local import Backend, LocalServer, ServerSettings
from oci_tei_local._cli import ServeArgsError, parse_serve_args

DEPLOYED_MODEL_ROOT = "/opt/ds/model/deployed_model"

_GPU_OF_SHAPE = (
    (re.compile(r"GPU\.?A10\b|GPU\.A10\.|A10\."), "A10"),
    (re.compile(r"A100|GPU4\."), "A100"),
    (re.compile(r"H100"), "H100"),
    (re.compile(r"H200"), "H200"),
    (re.compile(r"L40S"), "L40S"),
    (re.compile(r"GPU\.L4\b|GPU\.L4\."), "L4"),
    (re.compile(r"A30"), "A30"),
    (re.compile(r"GPU2\."), "P100"),
    (re.compile(r"GPU3\."), "V100"),
)
#: The files that decide what a model computes; two directories equal on these serve the
#: same vectors (READMEs, ONNX exports and the like do not count).
_MODEL_DEFINING_FILES = (
    "config.json",
    "tokenizer.json",
    "*.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "modules.json",
    "sentence_*_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "2_Dense*/*",
)
#: Host environment a child server needs to run Python at all; nothing else leaks in.
_HOST_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "OMP_NUM_THREADS")
_HEALTH_POLL_S = 0.2


class ContainerError(Exception):
    """A container that could not serve; the message says why (it goes to the work request)."""


def shape_gpu(shape: str) -> str | None:
    """The GPU model of an OCI shape (``VM.GPU.A10.1`` → ``A10``); None for CPU shapes."""
    if ".GPU" not in shape.upper() and not shape.upper().startswith(("VM.GPU", "BM.GPU")):
        return None
    for pattern, gpu in _GPU_OF_SHAPE:
        if pattern.search(shape):
            return gpu
    return "unknown"


def image_build(image: str) -> int | None:
    """The compute capability a TEI image tag is built for (``86-1.5`` -> 86); None: CPU.

    The prefixes are TEI's (:mod:`oci_tei.contract._tei`); a bare version or ``latest``
    is TEI's Ampere 80 build.
    """
    tail = image.rsplit("/", 1)[-1].split("@", 1)[0]
    tag = tail.split(":", 1)[1] if ":" in tail else "latest"
    if tag.startswith(CPU_PREFIXES):
        return None
    return next(
        (cap for prefix, cap in BUILD_CAP_BY_PREFIX.items() if tag.startswith(prefix)),
        DEFAULT_BUILD_CAP,
    )


def check_image_on_shape(image: str, shape: str) -> None:
    """Refuse an image TEI itself would not start on the shape's GPU.

    TEI's rule (``compute_cap_matching``, :mod:`oci_tei.contract._tei`): a CUDA build runs
    on a GPU of its own compute capability or a pair in ``COMPATIBLE_CAPS``; it finds no
    CUDA device on a shape without a GPU. A CPU build runs anywhere.

    Raises:
        ContainerError: with TEI's reason.
    """
    build = image_build(image)
    if build is None:
        return
    gpu = shape_gpu(shape)
    if gpu is None:
        raise ContainerError(
            f"image {image} is TEI's CUDA build for compute capability {build / 10:.1f} but "
            f"shape {shape} has no GPU (CUDA is not available); use the cpu- image tag on "
            "CPU shapes"
        )
    runtime = GPU_COMPUTE_CAP.get(gpu)
    if runtime is None:
        return  # a GPU the table does not know: TEI's check cannot be replayed
    if runtime != build and (runtime, build) not in COMPATIBLE_CAPS:
        raise ContainerError(
            f"image {image} is TEI's build for compute capability {build / 10:.1f}; the {gpu} "
            f"GPU of shape {shape} is {runtime / 10:.1f} and TEI refuses to start on it "
            "(compute_cap_matching)"
        )


@dataclass(frozen=True)
class ContainerSpec:
    """What a model deployment says about its container.

    Attributes:
        image: the image (tag decides the GPU build).
        cmd: the container's command arguments.
        env: the deployment's environment variables.
        server_port: the port OCI sends predict calls to.
        shape: the instance shape.
        model_root: the local directory mapped to ``/opt/ds/model/deployed_model``.
        health_check_port: the port OCI's health checks go to (``server_port`` when None).
    """

    image: str
    cmd: Sequence[str]
    env: Mapping[str, str]
    server_port: int
    shape: str
    model_root: Path
    health_check_port: int | None = None


@dataclass(frozen=True)
class ContainerPlan:
    """A container that passed the checks, and how it maps onto this machine.

    Attributes:
        settings: the server settings its command and environment give, as inside the
            container (port, ``0.0.0.0``, the model path under ``/opt/ds/model``).
        model_dir: the local directory its model path maps to.
    """

    settings: ServerSettings
    model_dir: Path

    @property
    def container_model_id(self) -> str:
        """The model path inside the container (what TEI reports as the model's name)."""
        return str(self.settings.model_id)


def image_tei_version(image: str) -> str | None:
    """The TEI release an image tag names (``cpu-1.5``, ``86-1.5.0``, ``1.9.3`` → ``1.5``...).

    TEI's images are tagged ``[<family>-]<version>`` (TEI README, "Docker images"); None
    for a tag without a version (``latest``, a digest).
    """
    tail = image.rsplit("/", 1)[-1].split("@", 1)[0]
    tag = tail.split(":", 1)[1] if ":" in tail else ""
    for prefix in (*CPU_PREFIXES, *BUILD_CAP_BY_PREFIX):
        if tag.startswith(prefix):
            tag = tag[len(prefix) :]
            break
    match = re.match(r"^(\d+)\.(\d+)(?:\.\d+)?$", tag)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _compat_of(image: str) -> str | None:
    """The local server's ``--compat`` for the TEI release an image names.

    1.5.x behaves as TEI 1.5 (413 for validation errors, auto-truncate off); 1.9 and later
    as 1.9. Releases between (1.6-1.8) and untagged images keep the server's default
    (1.9): the local server reproduces those two releases only.
    """
    version = image_tei_version(image)
    if version is None:
        return None
    major, minor = (int(part) for part in version.split("."))
    if (major, minor) == (1, 5):
        return "1.5"
    return "1.9" if (major, minor) >= (1, 9) else None


def _container_env(spec: ContainerSpec) -> dict[str, str]:
    # A real container's HOSTNAME is its id, which TEI would try to bind: hence --hostname.
    env = {"HOSTNAME": uuid.uuid4().hex[:12], **spec.env}
    # The container serves the TEI release its image tag names (the deployment's own
    # OCI_TEI_COMPAT, if it sets one, wins: it is the container's environment).
    compat = _compat_of(spec.image)
    if compat is not None:
        env.setdefault("OCI_TEI_COMPAT", compat)
    return env


def plan(spec: ContainerSpec) -> ContainerPlan:
    """Parse and validate the container's command as OCI and the server would.

    Raises:
        ContainerError: the container could not serve on OCI (the reason says why).
    """
    check_image_on_shape(spec.image, spec.shape)
    try:
        settings = parse_serve_args(list(spec.cmd), _container_env(spec))
    except ServeArgsError as exc:
        raise ContainerError(f"the container command was refused by the server: {exc}") from None
    for role, port in (
        ("server", spec.server_port),
        ("health check", spec.health_check_port or spec.server_port),
    ):
        if settings.port != port:
            raise ContainerError(
                f"the server listens on port {settings.port} but the deployment's {role} port "
                f"is {port}; {'predict calls' if role == 'server' else 'health checks'} would "
                "never reach it"
            )
    if settings.hostname != "0.0.0.0":
        raise ContainerError(
            f"the server binds {settings.hostname}, not 0.0.0.0, so it is unreachable from "
            "outside the container; pass --hostname 0.0.0.0"
        )
    model_id = str(settings.model_id or "")
    if not model_id.startswith(DEPLOYED_MODEL_ROOT):
        raise ContainerError(
            f"the model path {model_id or '(none)'} is not under {DEPLOYED_MODEL_ROOT}, "
            "where the model artifact is downloaded"
        )
    local = spec.model_root / model_id[len(DEPLOYED_MODEL_ROOT) :].strip("/")
    if not (local / "config.json").is_file():
        raise ContainerError(f"the model path {model_id} holds no model (no config.json)")
    return ContainerPlan(settings, local)


def model_digest(directory: Path) -> str:
    """A digest of the files that decide what the model in ``directory`` computes."""
    sha = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if not any(fnmatch.fnmatch(relative, pattern) for pattern in _MODEL_DEFINING_FILES):
            continue
        sha.update(f"{relative}\0{path.stat().st_size}\0".encode())
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                sha.update(chunk)
    return sha.hexdigest()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rewrite(cmd: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """Replace the values of ``--flag value`` / ``--flag=value`` in a command."""
    out: list[str] = []
    seen: set[str] = set()
    skip = False
    for i, arg in enumerate(cmd):
        if skip:
            skip = False
            continue
        flag = arg.split("=", 1)[0]
        if flag in values:
            out += [flag, values[flag]]
            seen.add(flag)
            skip = "=" not in arg and i + 1 < len(cmd)
        else:
            out.append(arg)
    for flag, value in values.items():
        if flag not in seen:
            out += [flag, value]
    return out


class RunningContainer(Protocol):
    """A started container."""

    url: str

    async def stop(self) -> None:
        """Stop it."""


@dataclass
class InProcessContainer:
    """A ``LocalServer`` in this process."""

    url: str
    server: LocalServer | None

    async def stop(self) -> None:
        """Stop the server thread."""
        if self.server is not None:
            server, self.server = self.server, None
            await asyncio.to_thread(server.stop)


@dataclass
class SubprocessContainer:
    """``python -m oci_tei_local`` in a child process; its output goes to ``log_path``."""

    url: str
    process: asyncio.subprocess.Process
    log_path: Path

    async def stop(self) -> None:
        """Terminate (SIGTERM: the server drains), then kill if it lingers."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()


def _failure_reason(log_path: Path, plan_: ContainerPlan) -> str:
    """The server's error lines (JSON or text) from its output, in container paths."""
    lines = log_path.read_text(errors="replace").strip().splitlines()
    messages: list[str] = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if isinstance(event, dict):
            if event.get("level") == "ERROR":
                messages.append(str(event.get("message", "")))
        elif line.lower().startswith("error"):
            messages.append(line.split(":", 1)[-1].strip())
    unique = list(dict.fromkeys(message for message in messages if message))
    return _in_container_paths(" | ".join(unique or lines[-3:]), plan_)


def _in_container_paths(text: str, plan_: ContainerPlan) -> str:
    """Show the model directory as the deployment knows it, not as this host stores it."""
    return text.replace(str(plan_.model_dir), plan_.container_model_id.rstrip("/"))


class ContainerManager:
    """Starts, tracks and stops deployment containers.

    Args:
        runner: ``subprocess`` or ``inprocess``.
        workdir: where subprocess logs go.
        shared_backends: in-process only: loaded backends by the model directory they were
            loaded from; reused when a deployment's model files are identical.
        start_timeout_s: a container not healthy after this fails.
    """

    def __init__(
        self,
        runner: str,
        workdir: Path,
        shared_backends: Mapping[Path, Backend],
        start_timeout_s: float = 300.0,
    ) -> None:
        self.runner = runner
        self.workdir = workdir
        self.start_timeout_s = start_timeout_s
        self._shared = dict(shared_backends)
        self._shared_digests: dict[str, Backend] | None = None
        self.running: dict[str, RunningContainer] = {}

    async def start(self, key: str, spec: ContainerSpec) -> RunningContainer:
        """Validate and start the container for deployment ``key``; returns once healthy.

        A container already running for ``key`` keeps running until the new one is healthy,
        then stops; when the new one fails, the old one is left to the caller.

        Raises:
            ContainerError: invalid container, or it did not become healthy.
        """
        checked = await asyncio.to_thread(plan, spec)
        if self.runner == "inprocess":
            container: RunningContainer = await self._start_inprocess(checked)
        else:
            container = await self._start_subprocess(key, spec, checked)
        previous = self.running.get(key)
        self.running[key] = container
        if previous is not None:
            await previous.stop()
        return container

    async def _shared_backend(self, checked: ContainerPlan) -> Backend | None:
        """A preloaded backend serving the same model with the same settings, if any."""
        if not self._shared:
            return None
        if self._shared_digests is None:
            self._shared_digests = {
                await asyncio.to_thread(model_digest, Path(d)): b for d, b in self._shared.items()
            }
        backend = self._shared_digests.get(await asyncio.to_thread(model_digest, checked.model_dir))
        settings = checked.settings
        if backend is None or settings.dtype not in (None, backend.dtype):
            return None
        if (settings.pooling == "splade") != (backend.files.pooling == "splade"):
            return None  # SPLADE needs the masked-LM head, loaded apart
        return backend

    async def _start_inprocess(self, checked: ContainerPlan) -> InProcessContainer:
        backend = await self._shared_backend(checked)
        model_dir = backend.files.root if backend is not None else checked.model_dir
        settings = checked.settings.replace(
            model_id=str(model_dir),
            served_model_name=checked.settings.served_model_name or checked.container_model_id,
            hostname="127.0.0.1",
            port=0,
        )
        server = LocalServer(settings, backend=backend)
        try:
            await asyncio.to_thread(server.start)
        except Exception as exc:  # whatever stops the server fails the deployment, not us
            raise ContainerError(
                _in_container_paths(f"the server did not start: {exc}", checked)
            ) from None
        return InProcessContainer(url=server.url, server=server)

    async def _start_subprocess(
        self, key: str, spec: ContainerSpec, checked: ContainerPlan
    ) -> SubprocessContainer:
        port = _free_port()
        rewrites = {
            "--model-id": str(checked.model_dir),
            "--port": str(port),
            "--hostname": "127.0.0.1",
        }
        if checked.settings.served_model_name is None:
            rewrites["--served-model-name"] = checked.container_model_id
        argv = _rewrite(spec.cmd, rewrites)
        self.workdir.mkdir(parents=True, exist_ok=True)
        log_path = self.workdir / f"{key}.{port}.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "oci_tei_local",
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env=_subprocess_env(spec),
            )
        container = SubprocessContainer(f"http://127.0.0.1:{port}", process, log_path)
        try:
            await self._wait_healthy(container, checked)
        except BaseException:
            await container.stop()
            raise
        return container

    async def _wait_healthy(self, container: SubprocessContainer, checked: ContainerPlan) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.start_timeout_s
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if container.process.returncode is not None:
                    raise ContainerError(
                        f"the server exited with status {container.process.returncode}: "
                        f"{_failure_reason(container.log_path, checked)}"
                    )
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with session.get(f"{container.url}/health") as resp:
                        if resp.status == 200:
                            return
                if loop.time() > deadline:
                    raise ContainerError(
                        f"the server was not healthy after {self.start_timeout_s:.0f} s"
                    )
                await asyncio.sleep(_HEALTH_POLL_S)

    async def stop(self, key: str) -> None:
        """Stop deployment ``key``'s container, if any."""
        container = self.running.pop(key, None)
        if container is not None:
            await container.stop()

    async def stop_all(self) -> None:
        """Stop every container."""
        for key in list(self.running):
            await self.stop(key)


def _subprocess_env(spec: ContainerSpec) -> dict[str, str]:
    """A container's environment: its own variables, offline, and what Python needs."""
    env = {name: os.environ[name] for name in _HOST_ENV if name in os.environ}
    package_root = str(Path(oci_tei.__file__).resolve().parents[1])
    python_path = [package_root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(
        PYTHONPATH=os.pathsep.join(python_path),
        PYTHONUNBUFFERED="1",  # log lines reach the log file as they happen
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    env.update(_container_env(spec))
    return env
