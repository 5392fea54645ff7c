"""What ``oci-tei deploy`` will do for a spec, step by step, with each step's inputs.

The plan is the pipeline's own description of itself (each step's ``describe``), computed
from the spec alone, so ``--dry-run`` prints it without credentials or network, and a run
executes the same list in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

from oci_tei.deploy._errors import SpecError
from oci_tei.deploy.spec import (
    ASSUMED_DIMENSION,
    DeploySpec,
    ImageChoice,
    bandwidth_warnings,
    choose_image,
    composed_problems,
    spec_warnings,
)
from oci_tei.deploy.steps._pipeline import PIPELINE, Pipeline
from oci_tei.deploy.steps._step import DEFAULT_WAIT_TIMEOUT_S, PlannedStep, RunOptions

__all__ = [
    "ASSUMED_DIMENSION",
    "DEFAULT_WAIT_TIMEOUT_S",
    "STEP_KEYS",
    "Plan",
    "bandwidth_warnings",
    "build_plan",
    "composed_problems",
]

#: The numbered steps' keys, in order (``[1/N download]``...).
STEP_KEYS = tuple(step.key for step in PIPELINE.numbered)


@dataclass(frozen=True)
class Plan:
    """The ordered steps for a spec, the image they deploy and what deserves a warning.

    Attributes:
        spec: The spec.
        image: The image the deployment runs.
        entries: Every step shown, numbered or not, in order, as ``(number or None, step)``.
        warnings: What deserves a look before deploying.
    """

    spec: DeploySpec
    image: ImageChoice
    entries: tuple[tuple[int | None, PlannedStep], ...]
    warnings: tuple[str, ...]

    @property
    def steps(self) -> tuple[PlannedStep, ...]:
        """The numbered steps."""
        return tuple(step for number, step in self.entries if number is not None)

    def step(self, key: str) -> PlannedStep:
        """The step named ``key``."""
        return next(step for _, step in self.entries if step.key == key)

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        """The plan as text for the terminal (``print(plan)`` shows the same)."""
        lines = [f"Plan for {self.spec.name} (spec hash {self.spec.spec_hash()}):"]
        for number, step in self.entries:
            where = f"{number}." if number is not None else "-"
            lines.append(f"  {where} [{step.key}] {step.title}")
            for name, value in step.inputs.items():
                lines.append(f"       {name}: {_show(value)}")
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {warning}" for warning in self.warnings]
        return "\n".join(lines)


def _show(value: object) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in value.items()) or "-"
    return str(value)


def build_plan(
    spec: DeploySpec,
    *,
    wait_timeout_s: int = DEFAULT_WAIT_TIMEOUT_S,
    options: RunOptions | None = None,
    pipeline: Pipeline = PIPELINE,
) -> Plan:
    """Compute the plan for a validated spec (no I/O).

    Args:
        spec: The spec.
        wait_timeout_s: The wait step's timeout (when ``options`` is not given).
        options: The run's flags (``--no-wait``... leave their steps out).
        pipeline: The steps to describe.

    Raises:
        SpecError: What the spec composes breaks an OCI rule (:func:`composed_problems`).
    """
    problems = composed_problems(spec)
    if problems:
        raise SpecError(problems)
    options = options or RunOptions(timeout_s=wait_timeout_s)
    entries = [
        (pipeline.number(step.key) if step.numbered else None, planned)
        for step, planned in pipeline.describe(spec, options)
    ]
    return Plan(
        spec=spec,
        image=choose_image(spec),
        entries=tuple(entries),
        warnings=tuple(spec_warnings(spec)),
    )
