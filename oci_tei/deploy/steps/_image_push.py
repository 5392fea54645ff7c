"""``oci-tei image``: put the spec's TEI image into OCIR with docker or podman.

With an engine on ``PATH`` (``docker``, else ``podman``; ``--engine`` chooses) the
commands run, in order, stopping at the first that fails; without one, or with
``--print``, they are printed and the command says that nothing was pushed. ``login``
runs only with ``--username`` (it prompts for an OCI auth token); otherwise the engine's
existing login is used.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

from oci_tei.contract._ocir import parse_ocir_repository, split_image
from oci_tei.deploy._errors import DeployError
from oci_tei.deploy.spec import ImageChoice

__all__ = ["ENGINES", "find_engine", "push_commands", "push_image"]

ENGINES = ("docker", "podman")


def find_engine(preferred: str | None = None) -> str | None:
    """The container engine to run: ``preferred`` if on PATH, else docker, else podman."""
    for name in (preferred,) if preferred else ENGINES:
        if name and shutil.which(name):
            return name
    return None


def push_commands(choice: ImageChoice, engine: str, username: str | None) -> list[list[str]]:
    """The argv of each command: login (with a username), then pull, tag, push."""
    repository = parse_ocir_repository(split_image(choice.target)[0])
    commands: list[list[str]] = []
    if username:
        commands.append(
            [engine, "login", "-u", f"{repository.namespace}/{username}", repository.host]
        )
    if choice.needs_push:
        platform = [] if "arm64" in choice.tag else ["--platform", "linux/amd64"]
        commands += [
            [engine, "pull", *platform, choice.source],
            [engine, "tag", choice.source, choice.target],
            [engine, "push", choice.target],
        ]
    return commands


def push_image(
    choice: ImageChoice,
    *,
    engine: str,
    username: str | None,
    echo: Callable[[str], None] = print,
    run: Callable[[list[str]], int] = lambda argv: subprocess.run(argv, check=False).returncode,
) -> None:
    """Run the commands with ``engine``, echoing each first.

    Raises:
        DeployError: A command failed (its exit status and the command are named).
    """
    if not username:
        echo(f"# no --username: skipping `{engine} login` (an existing login to OCIR is used)")
    if not choice.needs_push:
        echo(f"# {choice.target} is already in OCIR: nothing to push.")
    for argv in push_commands(choice, engine, username):
        echo("$ " + " ".join(argv))
        status = run(argv)
        if status != 0:
            raise DeployError(f"`{' '.join(argv)}` exited with status {status}", step="image")
    if choice.needs_push:
        echo(f"pushed {choice.target}")
