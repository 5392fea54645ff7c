"""``${VAR}`` interpolation in deploy specs, so OCIDs live in the environment, not in git.

Forms: ``${VAR}`` (an error when ``VAR`` is unset or empty), ``${VAR:-default}`` (the
default when unset or empty) and ``$$`` for a literal ``$``. Only string values are
interpolated, never keys, and each error names the variable and the spec field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from oci_tei.deploy._errors import SpecError

__all__ = ["interpolate"]

_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\})"
)


def interpolate(data: object, env: Mapping[str, str], *, source: str | None = None) -> object:
    """Return ``data`` (parsed YAML) with every ``${VAR}`` in its string values replaced.

    Args:
        data: The parsed spec: dicts, lists and scalars.
        env: The variables, usually ``os.environ``.
        source: The spec file, quoted in errors.

    Raises:
        SpecError: Unset variables or malformed references, all of them at once, each
            naming its field.
    """
    problems: list[tuple[str, str]] = []
    result = _walk(data, env, "", problems)
    if problems:
        raise SpecError(problems, source=source)
    return result


def _walk(
    data: object, env: Mapping[str, str], path: str, problems: list[tuple[str, str]]
) -> object:
    if isinstance(data, dict):
        return {
            key: _walk(value, env, f"{path}.{key}" if path else str(key), problems)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_walk(item, env, f"{path}[{index}]", problems) for index, item in enumerate(data)]
    if isinstance(data, str):
        return _substitute(data, env, path or "(top level)", problems)
    return data


def _substitute(
    text: str, env: Mapping[str, str], field: str, problems: list[tuple[str, str]]
) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("name")
        default = match.group("default")
        value = env.get(name)
        if value:
            return value
        if default is not None:
            return default
        state = "is empty" if value == "" else "is not set"
        problems.append(
            (field, f"environment variable {name} {state} (or write ${{{name}:-default}})")
        )
        return match.group(0)

    substituted = _REFERENCE.sub(replace, text)
    leftover = _REFERENCE.sub("", text)
    if "${" in leftover:
        problems.append(
            (field, f"malformed reference in {text!r}: use ${{NAME}} or ${{NAME:-default}}")
        )
    return substituted
