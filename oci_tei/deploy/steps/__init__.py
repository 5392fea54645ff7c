"""The deploy pipeline: one list of step objects that ``--dry-run`` describes and a run executes.

The modules, in the order a deploy uses them:

* ``_step`` — :class:`Step` (key, label, ``describe``, ``wanted``, ``headline``, ``run``)
  and :class:`DeployRun`, what one run carries from step to step.
* ``_locate`` — region check; this spec's deployment from an earlier run (resume).
* ``_preflight`` — the preflight checks (:mod:`oci_tei.deploy.preflight`) as a step.
* ``_image_copy`` — TEI's image in OCIR: copied there when missing (:mod:`oci_tei.registry`),
  pinned by digest.
* ``_download`` — the model files (Hub cache, path, package).
* ``_upload`` — into the versioned bucket, nothing overwritten.
* ``_model`` — the model by reference.
* ``_deployment`` — the model deployment (or an earlier run's, resumed or updated).
* ``_wait`` — until ACTIVE, showing work requests (also used by the management commands).
* ``_smoke`` — one signed call; ``_snippets`` — the code to paste.
* ``_pipeline`` — :data:`PIPELINE`, the list, and :class:`Pipeline`, which numbers and runs
  it; ``_plan`` — the plan ``--dry-run`` prints; ``_runner`` — :class:`DeployExecutor`.
* ``_image_push`` — ``oci-tei image`` with docker or podman (outside the pipeline).

Adding a step (an image copy into OCIR, private networking): subclass :class:`Step` in a
new module here, set ``key`` and ``label`` (``numbered = False`` for a check,
``prepares = True`` for something the deployment uses, so that resume skips it and
``--update`` runs it again), implement ``describe`` (what ``--dry-run`` shows, from the
spec alone) and ``run`` (read and fill :class:`DeployRun`; put new results in
``run.extra`` or a new field), then place one instance in :data:`PIPELINE`. The
``[n/N label]`` numbering, the plan and the run follow from the list.
"""

from __future__ import annotations

from oci_tei.deploy.steps._deployment import (
    CreateDeployment,
    create_deployment,
    resumable_deployment,
)
from oci_tei.deploy.steps._download import (
    TEI_FILE_PATTERNS,
    Download,
    check_model_dir,
    resolve_model_dir,
)
from oci_tei.deploy.steps._image_copy import CopyImage, ensure_image
from oci_tei.deploy.steps._image_push import ENGINES, find_engine, push_commands, push_image
from oci_tei.deploy.steps._locate import Locate
from oci_tei.deploy.steps._model import RegisterModel, ensure_model
from oci_tei.deploy.steps._pipeline import PIPELINE, Pipeline
from oci_tei.deploy.steps._plan import STEP_KEYS, Plan, build_plan
from oci_tei.deploy.steps._preflight import Preflight
from oci_tei.deploy.steps._runner import DeployExecutor, DeployOutcome
from oci_tei.deploy.steps._smoke import (
    SMOKE_TEST_QUERY,
    SMOKE_TEST_TEXT,
    SmokeResult,
    SmokeTest,
    smoke_test,
)
from oci_tei.deploy.steps._snippets import Snippets, usage_snippets
from oci_tei.deploy.steps._step import (
    DEFAULT_WAIT_TIMEOUT_S,
    DeployRun,
    PlannedStep,
    RunOptions,
    Step,
)
from oci_tei.deploy.steps._upload import (
    DEFAULT_PART_SIZE,
    LocalFile,
    Upload,
    UploadReport,
    ensure_versioned_bucket,
    expected_md5,
    list_local_files,
    upload_directory,
)
from oci_tei.deploy.steps._wait import (
    IN_PROGRESS_STATES,
    WORK_REQUEST_DONE,
    WaitActive,
    WorkRequestWatcher,
    wait_for_deployment,
    wait_until_active,
)

__all__ = [
    "DEFAULT_PART_SIZE",
    "DEFAULT_WAIT_TIMEOUT_S",
    "ENGINES",
    "IN_PROGRESS_STATES",
    "PIPELINE",
    "SMOKE_TEST_QUERY",
    "SMOKE_TEST_TEXT",
    "STEP_KEYS",
    "TEI_FILE_PATTERNS",
    "WORK_REQUEST_DONE",
    "CopyImage",
    "CreateDeployment",
    "DeployExecutor",
    "DeployOutcome",
    "DeployRun",
    "Download",
    "LocalFile",
    "Locate",
    "Pipeline",
    "Plan",
    "PlannedStep",
    "Preflight",
    "RegisterModel",
    "RunOptions",
    "SmokeResult",
    "SmokeTest",
    "Snippets",
    "Step",
    "Upload",
    "UploadReport",
    "WaitActive",
    "WorkRequestWatcher",
    "build_plan",
    "check_model_dir",
    "create_deployment",
    "ensure_image",
    "ensure_model",
    "ensure_versioned_bucket",
    "expected_md5",
    "find_engine",
    "list_local_files",
    "push_commands",
    "push_image",
    "resolve_model_dir",
    "resumable_deployment",
    "smoke_test",
    "upload_directory",
    "usage_snippets",
    "wait_for_deployment",
    "wait_until_active",
]
