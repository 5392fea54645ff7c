"""The deploy pipeline: ONE list of step objects, which ``--dry-run`` describes and a run executes.

:data:`PIPELINE` is the order; the ``[n/N label]`` progress lines and the plan's numbers
come from it. To add a step (an image copy into OCIR, private networking...), write a
:class:`~oci_tei.deploy.steps._step.Step` subclass and place it, either in
:data:`PIPELINE` here or, from outside, with :meth:`Pipeline.inserted`::

    pipeline = PIPELINE.inserted(CopyImage(), before="deployment")

Everything else (numbering, the plan, resume and ``--update``) follows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from oci_tei.deploy.spec import DeploySpec
from oci_tei.deploy.steps._deployment import CreateDeployment
from oci_tei.deploy.steps._download import Download
from oci_tei.deploy.steps._image_copy import CopyImage
from oci_tei.deploy.steps._locate import Locate
from oci_tei.deploy.steps._model import RegisterModel
from oci_tei.deploy.steps._preflight import Preflight
from oci_tei.deploy.steps._smoke import SmokeTest
from oci_tei.deploy.steps._snippets import Snippets
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step
from oci_tei.deploy.steps._upload import Upload
from oci_tei.deploy.steps._wait import WaitActive

__all__ = ["PIPELINE", "Pipeline"]


class Pipeline:
    """An ordered list of steps with unique keys.

    Args:
        steps: The steps in the order they run.

    Raises:
        ValueError: Two steps share a key.
    """

    def __init__(self, steps: Sequence[Step]) -> None:
        keys = [step.key for step in steps]
        if len(set(keys)) != len(keys):
            raise ValueError(f"pipeline step keys must be unique: {keys}")
        self.steps: tuple[Step, ...] = tuple(steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __repr__(self) -> str:
        return f"Pipeline({[step.key for step in self.steps]})"

    @property
    def keys(self) -> tuple[str, ...]:
        """Every step's key, in order."""
        return tuple(step.key for step in self.steps)

    @property
    def numbered(self) -> tuple[Step, ...]:
        """The steps counted in ``[n/N]``."""
        return tuple(step for step in self.steps if step.numbered)

    def step(self, key: str) -> Step:
        """The step named ``key``.

        Raises:
            KeyError: No such step.
        """
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def number(self, key: str) -> int:
        """The 1-based number of a numbered step."""
        return [step.key for step in self.numbered].index(key) + 1

    def tag(self, step: Step) -> str:
        """``[n/N label]`` for a numbered step, ``[label]`` for another."""
        if not step.numbered:
            return f"[{step.label}]"
        return f"[{self.number(step.key)}/{len(self.numbered)} {step.label}]"

    def span(self, key: str) -> str:
        """``[1-n/N]``: the numbered steps up to and including ``key``."""
        return f"[1-{self.number(key)}/{len(self.numbered)}]"

    def inserted(
        self, step: Step, *, before: str | None = None, after: str | None = None
    ) -> Pipeline:
        """A new pipeline with ``step`` placed before or after the step named so (or last)."""
        steps = list(self.steps)
        if before is not None:
            steps.insert(self.keys.index(before), step)
        elif after is not None:
            steps.insert(self.keys.index(after) + 1, step)
        else:
            steps.append(step)
        return Pipeline(steps)

    def describe(self, spec: DeploySpec, options: RunOptions) -> list[tuple[Step, PlannedStep]]:
        """Each step with its plan entry, in order (steps with nothing to show left out)."""
        described = []
        for step in self.steps:
            planned = step.describe(spec, options)
            if planned is not None:
                described.append((step, planned))
        return described

    def execute(self, run: DeployRun) -> None:
        """Run every wanted step in order.

        Raises:
            DeployError: A step failed.
        """
        for step in self.steps:
            if step.wanted(run):
                self._run(run, step)

    def prepare(self, run: DeployRun) -> None:
        """Run the preparing steps (files, model...) again: ``--update`` needs a new model."""
        for step in self.steps:
            if step.prepares:
                self._run(run, step)

    def _run(self, run: DeployRun, step: Step) -> None:
        headline = step.headline(run)
        if headline is not None:
            run.echo(f"{self.tag(step)} {headline}".rstrip())
        step.run(run)


#: The deploy, in order. Numbered steps show as ``[n/N label]``; the others as ``[label]``.
PIPELINE = Pipeline(
    [
        Locate(),
        Preflight(),
        CopyImage(),
        Download(),
        Upload(),
        RegisterModel(),
        CreateDeployment(),
        WaitActive(),
        SmokeTest(),
        Snippets(),
    ]
)
