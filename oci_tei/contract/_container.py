"""Rules on a bring-your-own-container deployment: ports, environment, command, image, routes.

Sources: the SDK's ``OcirModelDeploymentEnvironmentConfigurationDetails`` docstrings (the
same text in ``UpdateOcirModelDeploymentEnvironmentConfigurationDetails``), OCI's
"Model Deployment Environment Variables" page and ``InferenceHttpEndpoint``.

Each check returns ``(field, message)`` problems; ``field`` is the caller's name for the
value (a wire path in the emulator, a spec path in deploy).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from oci_tei.contract._ocir import parse_ocir_image

__all__ = [
    "ENV_KEY_PATTERN",
    "HTTP_METHODS",
    "IMAGE_TAG_PATTERN",
    "MAX_COMMAND_BYTES",
    "MAX_ENV_BYTES",
    "PORT_RANGE",
    "RESERVED_ENV",
    "RESERVED_PORTS",
    "Problem",
    "check_command",
    "check_environment",
    "check_http_endpoints",
    "check_image",
    "check_port",
    "command_bytes",
    "environment_bytes",
]

Problem = tuple[str, str]

PORT_RANGE = (1024, 65535)
RESERVED_PORTS = (24224, 8446, 8447)
MAX_ENV_BYTES = 2048  # "must be less than 2048 bytes"
MAX_COMMAND_BYTES = 2048  # CMD and ENTRYPOINT combined, "less than 2048 bytes"
#: Service-provided variables a deployment may not set (mod-dep-byoc-variables.htm).
RESERVED_ENV = (
    "MODEL_DEPLOYMENT_OCID",
    "MODEL_SERVING_PYTHON_VERSION",
    "TENANCY_OCID",
    "CONTAINER_CUSTOM_IMAGE",
)
#: An environment variable key: a letter, then letters, digits and '_' (BYOC variables page).
ENV_KEY_PATTERN = _ENV_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: HTTP methods an InferenceHttpEndpoint may list (RFC 9110 methods; OCI lists no subset).
HTTP_METHODS = _HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
#: The end of an image reference that names its version: ``:<tag>`` (Docker's tag grammar:
#: up to 128 of ``[A-Za-z0-9_.-]``, not starting with '.' or '-') and/or ``@<digest>``.
#: OCI asks for "the full path to the ... registry, image, and tag in a canonical format"
#: (OcirModelDeploymentEnvironmentConfigurationDetails.image), so one of them is required.
IMAGE_TAG_PATTERN = re.compile(
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>[a-z0-9]+:[a-f0-9]{32,}))?$"
)


def check_port(port: object, field: str) -> list[Problem]:
    """``serverPort`` / ``healthCheckPort``: 1024-65535, never 24224, 8446 or 8447."""
    low, high = PORT_RANGE
    if not isinstance(port, int) or isinstance(port, bool) or not low <= port <= high:
        return [(field, f"{port!r} is not a port between {low} and {high}")]
    if port in RESERVED_PORTS:
        reserved = ", ".join(map(str, RESERVED_PORTS))
        return [(field, f"port {port} is reserved by Model Deployment ({reserved} cannot be used)")]
    return []


def environment_bytes(env: Mapping[str, str]) -> int:
    """The size OCI limits: keys and values, UTF-8 encoded, summed."""
    return sum(len(str(k).encode()) + len(str(v).encode()) for k, v in env.items())


def check_environment(env: Mapping[str, object], field: str) -> list[Problem]:
    """Environment variables: key format, reserved keys, < 2048 bytes in all."""
    problems: list[Problem] = []
    for key, value in env.items():
        where = f"{field}.{key}"
        if not isinstance(value, str):
            problems.append((where, "values must be strings"))
        if len(key) < 2 or len(key) >= 32:
            problems.append((where, "keys must have at least 2 and under 32 characters"))
        elif not _ENV_KEY.match(key):
            problems.append(
                (where, "keys must start with a letter and hold only letters, digits and '_'")
            )
        elif key.endswith("_"):
            problems.append((where, "keys must not end with '_'"))
        if key in RESERVED_ENV:
            problems.append((where, f"{key} is set by Model Deployment and cannot be overridden"))
    size = environment_bytes({k: str(v) for k, v in env.items()})
    if size >= MAX_ENV_BYTES:
        problems.append(
            (
                field,
                f"the environment variables take {size} bytes; they must be under {MAX_ENV_BYTES}",
            )
        )
    return problems


def command_bytes(cmd: Sequence[str], entrypoint: Sequence[str]) -> int:
    """CMD plus ENTRYPOINT, every argument UTF-8 encoded, summed."""
    return sum(len(str(part).encode()) for part in [*cmd, *entrypoint])


def check_command(cmd: Sequence[str], entrypoint: Sequence[str], field: str) -> list[Problem]:
    """``cmd`` and ``entrypoint``: combined under 2048 bytes."""
    size = command_bytes(cmd, entrypoint)
    if size >= MAX_COMMAND_BYTES:
        return [
            (
                field,
                f"CMD and ENTRYPOINT take {size} bytes together; they must be under {MAX_COMMAND_BYTES}",
            )
        ]
    return []


def check_image(image: object, field: str) -> list[Problem]:
    """``image``: ``<region>.ocir.io/<namespace>/<image>:<tag>[@digest]`` (OCIR only)."""
    if not isinstance(image, str) or not image:
        return [(field, "an OCIR image is required for an OCIR_CONTAINER deployment")]
    try:
        parse_ocir_image(image)
    except ValueError as exc:
        return [(field, str(exc))]
    last = image.rsplit("/", 1)[-1]
    match = IMAGE_TAG_PATTERN.search(last)
    if match is None or not (match.group("tag") or match.group("digest")):
        return [
            (
                field,
                f"{image!r} names no tag: OCI needs the image with its tag "
                "(<region>.ocir.io/<namespace>/<image>:<tag>) or a digest (@sha256:...)",
            )
        ]
    return []


def check_http_endpoints(endpoints: Sequence[Mapping[str, object]], field: str) -> list[Problem]:
    """``customHttpEndpoints``: each an ``endpointUriSuffix`` (a path) with ``httpMethods``."""
    problems: list[Problem] = []
    for index, endpoint in enumerate(endpoints):
        where = f"{field}[{index}]"
        suffix = endpoint.get("endpointUriSuffix")
        methods = endpoint.get("httpMethods")
        if not isinstance(suffix, str) or not suffix.startswith("/"):
            problems.append((f"{where}.endpointUriSuffix", "required: a path starting with '/'"))
        if not isinstance(methods, list) or not methods:
            problems.append((f"{where}.httpMethods", "required: a non-empty list of HTTP methods"))
        elif any(method not in _HTTP_METHODS for method in methods):
            problems.append(
                (f"{where}.httpMethods", f"methods must be among {', '.join(_HTTP_METHODS)}")
            )
    return problems
