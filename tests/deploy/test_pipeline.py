"""The pipeline is one list of step objects: numbering, the plan and the run come from it.

Offline: the steps here only record what they were asked to do; the real steps run
against the emulator in the ``test_emulated_*`` modules.
"""

from __future__ import annotations

import pytest

from oci_tei.deploy._connection import Connection
from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.spec import DeploySpec
from oci_tei.deploy.steps import (
    PIPELINE,
    STEP_KEYS,
    DeployRun,
    Pipeline,
    PlannedStep,
    RunOptions,
    Step,
    build_plan,
)


class CopyImage(Step):
    """What another helper's image-copy step would look like."""

    key = "image_copy"
    label = "image copy"
    prepares = True

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep:
        return PlannedStep(self.key, "Copy the TEI image into OCIR", {"to": "the spec's repo"})

    def headline(self, run: DeployRun) -> str:
        return "into OCIR"

    def run(self, run: DeployRun) -> None:
        run.extra["image"] = "copied"


class Record(Step):
    """A step that records its run."""

    def __init__(self, key: str, *, prepares: bool = False, numbered: bool = True) -> None:
        self.key = key
        self.label = key
        self.prepares = prepares
        self.numbered = numbered

    def headline(self, run: DeployRun) -> str:
        return "go"

    def run(self, run: DeployRun) -> None:
        run.extra.setdefault("ran", []).append(self.key)


def _run(pipeline: Pipeline, spec: DeploySpec, lines: list[str], **fields: object) -> DeployRun:
    session = DeploySession(Connection(), echo=lines.append)
    run = DeployRun(session, spec, RunOptions(), pipeline)
    for name, value in fields.items():
        setattr(run, name, value)
    pipeline.execute(run)
    return run


def test_the_numbered_steps_are_the_plan_and_the_progress_lines() -> None:
    assert tuple(step.key for step in PIPELINE.numbered) == STEP_KEYS
    assert PIPELINE.keys[:2] == ("locate", "preflight")  # unnumbered checks come first
    assert PIPELINE.tag(PIPELINE.step("image")) == "[1/7 image]"
    assert PIPELINE.tag(PIPELINE.step("download")) == "[2/7 download]"
    assert PIPELINE.tag(PIPELINE.step("smoke_test")) == "[7/7 smoke test]"
    assert PIPELINE.tag(PIPELINE.step("preflight")) == "[preflight]"
    assert PIPELINE.span("deployment") == "[1-5/7]"


def test_a_new_step_is_one_object_in_the_list(seed_spec: DeploySpec) -> None:
    pipeline = PIPELINE.inserted(CopyImage(), before="deployment")
    assert pipeline.tag(pipeline.step("image_copy")) == "[5/8 image copy]"
    assert pipeline.tag(pipeline.step("deployment")) == "[6/8 deployment]"
    plan = build_plan(seed_spec, pipeline=pipeline)
    assert [step.key for step in plan.steps][4:6] == ["image_copy", "deployment"]
    assert "  5. [image_copy] Copy the TEI image into OCIR" in plan.render()
    assert PIPELINE.tag(PIPELINE.step("deployment")) == "[5/7 deployment]"  # unchanged
    with pytest.raises(ValueError, match="unique"):
        pipeline.inserted(CopyImage())


def test_the_run_follows_the_list(seed_spec: DeploySpec) -> None:
    pipeline = Pipeline(
        [
            Record("check", numbered=False),
            Record("files", prepares=True),
            Record("model", prepares=True),
            Record("deployment"),
        ]
    )
    lines: list[str] = []
    run = _run(pipeline, seed_spec, lines)
    assert run.extra["ran"] == ["check", "files", "model", "deployment"]
    assert lines == ["[check] go", "[1/3 files] go", "[2/3 model] go", "[3/3 deployment] go"]

    # Resuming an earlier run's deployment skips what prepares a new one...
    lines.clear()
    resumed = _run(pipeline, seed_spec, lines, existing=object())
    assert resumed.extra["ran"] == ["check", "deployment"]
    # ...and an update that needs a new model runs those steps again, in order.
    lines.clear()
    pipeline.prepare(resumed)
    assert resumed.extra["ran"][2:] == ["files", "model"]
    assert lines == ["[1/3 files] go", "[2/3 model] go"]
