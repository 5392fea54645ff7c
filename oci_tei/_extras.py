"""Internal: an import of an optional framework fails with the extra that installs it.

``import langchain_oci_tei`` without ``langchain-core`` would otherwise end in a bare
``No module named 'langchain_core'``; the user needs to read which extra of oci-tei to
install instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["needs_extra"]


@contextmanager
def needs_extra(package: str, module: str, distribution: str, extra: str) -> Iterator[None]:
    """Re-raise a missing ``module`` inside the block as an error naming the extra.

    Args:
        package: The importing package, e.g. ``langchain_oci_tei``.
        module: The framework's top module the block imports, e.g. ``langchain_core``.
        distribution: What pip installs it from, e.g. ``langchain-core``.
        extra: The oci-tei extra that brings it, e.g. ``langchain``.

    Raises:
        ModuleNotFoundError: ``module`` (or a parent or child of it) is not installed;
            the message says ``pip install "oci-tei[extra]"``. Other import failures
            pass through unchanged.
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        related = missing == module or module.startswith(f"{missing}.")
        if not related and not missing.startswith(f"{module}."):
            raise
        raise ModuleNotFoundError(
            f"{package} needs {distribution}, which is not installed (No module named "
            f'{missing!r}): pip install "oci-tei[{extra}]"',
            name=missing,
        ) from exc
