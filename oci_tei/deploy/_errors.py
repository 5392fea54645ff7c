"""Errors of ``oci-tei deploy``: a bad spec (which field) or a failed step (which step).

Both join the package's one hierarchy (:mod:`oci_tei._errors`): a spec problem is a
:class:`~oci_tei._errors.ConfigurationError`, found before any OCI call is made.
"""

from __future__ import annotations

from collections.abc import Sequence

from oci_tei._errors import ConfigurationError, OCITEIError

__all__ = [
    "ArtifactConflictError",
    "DeployError",
    "OwnershipError",
    "SpecError",
    "UnsupportedShapeError",
    "UsageError",
]


class SpecError(ConfigurationError):
    """A deploy spec that cannot be used.

    Attributes:
        problems: ``(field, message)`` pairs, fields as dotted paths (``infrastructure.shape``).
        field: The first field at fault.
        source: The spec file, when the spec came from one.
    """

    def __init__(self, problems: Sequence[tuple[str, str]], *, source: str | None = None) -> None:
        if not problems:
            raise ValueError("SpecError needs at least one problem")
        self.problems = list(problems)
        self.field = self.problems[0][0]
        self.source = source
        where = f"{source}: " if source else ""
        if len(self.problems) == 1:
            message = f"{where}{self.field}: {self.problems[0][1]}"
        else:
            lines = "\n".join(f"  {field}: {text}" for field, text in self.problems)
            message = f"{where}{len(self.problems)} problems in the deploy spec:\n{lines}"
        super().__init__(message)


class UnsupportedShapeError(SpecError):
    """A shape TEI cannot run on (P100, V100, ARM without an explicit image), with the reason."""

    def __init__(self, shape: str, reason: str, *, field: str = "infrastructure.shape") -> None:
        self.shape = shape
        self.reason = reason
        super().__init__([(field, f"{shape}: {reason}")])


class UsageError(ConfigurationError):
    """A call that cannot work as asked; nothing was sent to OCI.

    Nothing to change, a count below 1, or a method that needs the spec on a deployment
    attached by OCID.
    """


class DeployError(OCITEIError):
    """A deploy step failed against OCI; the message says which step and why.

    Attributes:
        step: The plan step that failed (``upload``, ``deployment``, ``wait``...).
    """

    def __init__(
        self,
        message: str,
        *,
        step: str | None = None,
        status: int | None = None,
        error_type: str | None = None,
        opc_request_id: str | None = None,
    ) -> None:
        self.step = step
        prefix = f"{step}: " if step else ""
        super().__init__(
            prefix + message, status=status, error_type=error_type, opc_request_id=opc_request_id
        )


class OwnershipError(DeployError):
    """Refused to change or delete a resource this tool did not create (no ownership tag)."""


class ArtifactConflictError(DeployError):
    """An object under the artifact prefix holds different content; it is never overwritten."""
