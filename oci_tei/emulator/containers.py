"""Model deployment containers: validate them as OCI and TEI would, then run ``oci-tei serve``.

A deployment's container is the local TEI-compatible server started with the deployment's
own ``cmd``, parsed by the server's real parser. Before it starts, the emulator refuses what
could not serve on OCI: a listen port other than the configured server port, a hostname
other than ``0.0.0.0``, an image whose GPU architecture does not fit the shape, a model path
outside ``/opt/ds/model/deployed_model`` or without a model.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import importlib
import os
import re
import socket
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp

DEPLOYED_MODEL_ROOT = "/opt/ds/model/deployed_model"

#: TEI image tag prefix → the GPU family it is built for (TEI README, "Docker images").
_TAG_FAMILIES = (
    ("cpu-", "cpu"),
    ("86-", "86"),
    ("89-", "89"),
    ("hopper-", "hopper"),
    ("turing-", "turing"),
)
#: Which image builds run on a shape's GPU.
_FAMILY_RUNS_ON = {
    "86": {"A10", "A40"},
    "89": {"L4", "L40S"},
    "hopper": {"H100", "H200"},
    "80": {"A100", "A30"},
    "turing": {"T4"},
}
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


def image_family(image: str) -> str:
    """The hardware a TEI image tag is built for: ``cpu``, ``86``, ``89``, ``hopper``, ``80``."""
    tail = image.rsplit("/", 1)[-1]
    tag = tail.split(":", 1)[1] if ":" in tail else "latest"
    for prefix, family in _TAG_FAMILIES:
        if tag.startswith(prefix):
            return family
    return "80"  # a bare version (or latest) is TEI's Ampere 80 build


def check_image_on_shape(image: str, shape: str) -> None:
    """Refuse an image whose build cannot run on the shape.

    Raises:
        ContainerError: with the reason.
    """
    family = image_family(image)
    if family == "cpu":
        return
    gpu = shape_gpu(shape)
    if gpu is None:
        raise ContainerError(
            f"image {image} is a GPU build ({family}) but shape {shape} has no GPU; "
            "use the cpu- image tag on CPU shapes"
        )
    if gpu in ("P100", "V100"):
        raise ContainerError(f"TEI GPU images do not support the {gpu} GPU of shape {shape}")
    if gpu not in _FAMILY_RUNS_ON.get(family, set()):
        raise ContainerError(
            f"image {image} is built for {'/'.join(sorted(_FAMILY_RUNS_ON[family]))} GPUs "
            f"and cannot run on the {gpu} GPU of shape {shape}"
        )


@dataclass(frozen=True)
class ContainerSpec:
    """What a model deployment says about its container.

    Attributes:
        image: the image (tag decides the GPU build).
        cmd: the container's command arguments.
        env: the deployment's environment variables.
        server_port: the port OCI sends predict calls and health checks to.
        shape: the instance shape.
        model_root: the local directory mapped to ``/opt/ds/model/deployed_model``.
    """

    image: str
    cmd: Sequence[str]
    env: Mapping[str, str]
    server_port: int
    shape: str
    model_root: Path


def _container_env(spec: ContainerSpec) -> dict[str, str]:
    # A real container's HOSTNAME is its id, which TEI would try to bind: hence --hostname.
    return {"HOSTNAME": uuid.uuid4().hex[:12], **spec.env}


def plan(spec: ContainerSpec) -> Any:
    """Parse and validate the container's command; the server settings to run it with.

    Returns:
        ``ServerSettings`` with the model path mapped to the local directory.

    Raises:
        ContainerError: the container could not serve on OCI (the reason says why).
    """
    check_image_on_shape(spec.image, spec.shape)
    try:
        parse_serve_args = importlib.import_module("oci_tei.local.cli").parse_serve_args
    except ImportError as exc:  # the local server is an optional part of the install
        raise ContainerError(f"the local TEI server is not available: {exc}") from None
    try:
        settings = parse_serve_args(list(spec.cmd), _container_env(spec))
    except (ValueError, SystemExit) as exc:
        raise ContainerError(f"the container command was refused by the server: {exc}") from None
    if settings.port != spec.server_port:
        raise ContainerError(
            f"the server listens on port {settings.port} but the deployment's server port is "
            f"{spec.server_port}; health checks would never reach it"
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
    return dataclasses.replace(settings, model_id=str(local), hostname="127.0.0.1", port=0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rewrite(cmd: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """Replace the values of ``--flag value`` / ``--flag=value`` in a command."""
    out: list[str] = []
    skip = False
    for i, arg in enumerate(cmd):
        if skip:
            skip = False
            continue
        flag = arg.split("=", 1)[0]
        if flag in values:
            out += [flag, values[flag]]
            skip = "=" not in arg and i + 1 < len(cmd)
        else:
            out.append(arg)
    for flag, value in values.items():
        if flag not in out:
            out += [flag, value]
    return out


class RunningContainer(Protocol):
    """A started container."""

    url: str

    async def alive(self) -> bool:
        """Whether it still runs."""

    async def stop(self) -> None:
        """Stop it."""


@dataclass
class InProcessContainer:
    """A ``LocalServer`` in this process."""

    url: str
    server: Any

    async def alive(self) -> bool:
        """Always true while not stopped."""
        return self.server is not None

    async def stop(self) -> None:
        """Stop the server thread."""
        if self.server is not None:
            server, self.server = self.server, None
            await asyncio.to_thread(server.stop)


@dataclass
class SubprocessContainer:
    """``python -m oci_tei.local`` in a child process."""

    url: str
    process: asyncio.subprocess.Process

    async def alive(self) -> bool:
        """Whether the process has not exited."""
        return self.process.returncode is None

    async def stop(self) -> None:
        """Terminate (then kill) the process."""
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()


def _digest(directory: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        sha.update(str(path.relative_to(directory)).encode())
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                sha.update(chunk)
    return sha.hexdigest()


class ContainerManager:
    """Starts, tracks and stops deployment containers.

    Args:
        runner: ``subprocess`` or ``inprocess``.
        workdir: where subprocess logs go.
        shared_backends: in-process only: loaded backends by model directory; reused when
            a deployment's model files are identical.
        start_timeout_s: a container not healthy after this fails.
    """

    def __init__(
        self,
        runner: str,
        workdir: Path,
        shared_backends: Mapping[Path, Any],
        start_timeout_s: float = 300.0,
    ) -> None:
        self.runner = runner
        self.workdir = workdir
        self.start_timeout_s = start_timeout_s
        self._shared = dict(shared_backends)
        self._shared_digests: dict[str, Any] | None = None
        self.running: dict[str, RunningContainer] = {}

    async def start(self, key: str, spec: ContainerSpec) -> RunningContainer:
        """Validate and start the container for deployment ``key``; returns once healthy.

        Raises:
            ContainerError: invalid container, or it did not become healthy.
        """
        settings = plan(spec)
        if self.runner == "inprocess":
            container: RunningContainer = await self._start_inprocess(settings)
        else:
            container = await self._start_subprocess(spec, settings)
        self.running[key] = container
        return container

    async def _backend_for(self, model_dir: Path) -> Any:
        if not self._shared:
            return None
        if self._shared_digests is None:
            self._shared_digests = {
                await asyncio.to_thread(_digest, Path(d)): b for d, b in self._shared.items()
            }
        return self._shared_digests.get(await asyncio.to_thread(_digest, model_dir))

    async def _start_inprocess(self, settings: Any) -> InProcessContainer:
        local_server = importlib.import_module("oci_tei.local").LocalServer

        backend = await self._backend_for(Path(settings.model_id))

        def run() -> Any:
            server = local_server(settings, backend=backend)
            server.start()
            return server

        try:
            server = await asyncio.to_thread(run)
        except Exception as exc:
            raise ContainerError(f"the server did not start: {exc}") from None
        return InProcessContainer(url=str(server.url), server=server)

    async def _start_subprocess(self, spec: ContainerSpec, settings: Any) -> SubprocessContainer:
        port = _free_port()
        values = {
            "--model-id": str(settings.model_id),
            "--port": str(port),
            "--hostname": "127.0.0.1",
        }
        argv = _rewrite(spec.cmd, values)
        env = {**os.environ, **_container_env(spec), "HOSTNAME": "127.0.0.1"}
        self.workdir.mkdir(parents=True, exist_ok=True)
        log_path = self.workdir / f"container-{port}.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "oci_tei.local", *argv, stdout=log, stderr=log, env=env
            )
        container = SubprocessContainer(url=f"http://127.0.0.1:{port}", process=process)
        deadline = asyncio.get_running_loop().time() + self.start_timeout_s
        async with aiohttp.ClientSession() as session:
            while True:
                if process.returncode is not None:
                    tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                    raise ContainerError(
                        f"the server exited with status {process.returncode}: {' | '.join(tail)}"
                    )
                try:
                    async with session.get(f"{container.url}/health") as resp:
                        if resp.status == 200:
                            return container
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    await container.stop()
                    raise ContainerError(
                        f"the server was not healthy after {self.start_timeout_s:.0f} s"
                    )
                await asyncio.sleep(0.2)

    async def stop(self, key: str) -> None:
        """Stop deployment ``key``'s container, if any."""
        container = self.running.pop(key, None)
        if container is not None:
            await container.stop()

    async def stop_all(self) -> None:
        """Stop every container."""
        for key in list(self.running):
            await self.stop(key)
