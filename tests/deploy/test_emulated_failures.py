"""``oci-tei deploy`` failure paths against the OCI emulator.

Each is refused or reported with its reason, and nothing is lost or duplicated.
"""

from __future__ import annotations

import time
from pathlib import Path

import oci
import pytest

from oci_tei.deploy import DeployError
from oci_tei.deploy.spec import load_spec
from oci_tei.deploy.steps import DeployExecutor

from .emulated import COMPARTMENT, PROJECT, DeployEnv

PREFIX = "sentence-transformers/all-MiniLM-L6-v2"


def test_missing_then_unversioned_bucket_is_refused_until_versioned(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = deploy_env.spec_file("versioning", **{"artifact.create_bucket": False})
    assert deploy_env.cli("deploy", spec_file) == 1
    err = capsys.readouterr().err
    assert "bucket oci-tei-demo does not exist" in err
    assert "artifact.create_bucket: true" in err

    storage = deploy_env.object_storage
    models = oci.object_storage.models
    storage.create_bucket(
        "emulatorns", models.CreateBucketDetails(name="oci-tei-demo", compartment_id=COMPARTMENT)
    )
    assert deploy_env.cli("deploy", spec_file) == 1
    err = capsys.readouterr().err
    assert "error: preflight: " in err  # found before anything is uploaded
    assert "bucket: bucket oci-tei-demo is not versioned (versioning: Disabled)" in err
    assert "--bucket-name oci-tei-demo --versioning Enabled" in err
    # The upload step refuses it on its own too.
    assert deploy_env.cli("deploy", spec_file, "--skip-preflight") == 1
    err = capsys.readouterr().err
    assert "error: upload: bucket oci-tei-demo is not versioned (versioning: Disabled)" in err
    assert deploy_env.objects("oci-tei-demo") == {}  # refused before any upload
    assert deploy_env.models() == []

    # The owner turns versioning on (UpdateBucket, as `oci os bucket update` does).
    storage.update_bucket(
        "emulatorns", "oci-tei-demo", models.UpdateBucketDetails(versioning="Enabled")
    )
    assert deploy_env.cli("deploy", spec_file, "--no-wait") == 0
    assert deploy_env.objects("oci-tei-demo")[f"{PREFIX}/model.safetensors"] == 1
    assert len(deploy_env.deployments()) == 1


@pytest.mark.parametrize("extra", [["--port", "9090"], ["-p9090"], ["--hostname=127.0.0.1"]])
def test_port_and_hostname_in_extra_args_are_refused_before_any_call(
    deploy_env: DeployEnv, extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = deploy_env.spec_file("port", **{"tei.extra_args": extra})
    assert deploy_env.cli("deploy", spec_file) == 2
    assert "tei.extra_args[0]: " in capsys.readouterr().err
    assert deploy_env.object_storage.list_buckets("emulatorns", COMPARTMENT).data == []


def test_image_unfit_for_the_shape_fails_with_the_reason_shown(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = deploy_env.spec_file(
        "hopper-on-a10",
        container={"image": "iad.ocir.io/emulatorns/text-embeddings-inference:hopper-1.9"},
        infrastructure={"shape": "VM.GPU.A10.1"},
    )
    # Preflight refuses it (tests/deploy/test_preflight.py); the emulator fails it too.
    assert deploy_env.cli("deploy", spec_file, "--skip-preflight") == 1
    out, err = capsys.readouterr()
    reason = "the A10 GPU of shape VM.GPU.A10.1 is 8.6 and TEI refuses to start on it"
    assert "warning: container.image tag 'hopper-1.9' is TEI's hopper build" in out
    assert "MODEL_DEPLOYMENT_CREATE: FAILED" in out
    assert "error ModelDeploymentFailed: image iad.ocir.io" in out  # the work-request error
    error = err.splitlines()[-1]  # after oracle-ads' own progress bars
    assert error.startswith("error: wait: deployment ocid1.datasciencemodeldeployment.")
    image = "iad.ocir.io/emulatorns/text-embeddings-inference:hopper-1.9"
    assert f"is FAILED: image {image} is TEI's build for compute capability 9.0; {reason}" in error

    # A re-run does not retry blindly: it says what failed and what to do.
    assert deploy_env.cli("deploy", spec_file) == 1
    err = capsys.readouterr().err
    assert "made from this spec FAILED" in err
    assert "`oci-tei delete` it and deploy again" in err
    (failed,) = deploy_env.deployments()

    assert deploy_env.cli("logs", spec_file) == 0
    logs = capsys.readouterr().out
    assert "MODEL_DEPLOYMENT_CREATE FAILED" in logs
    assert "ERROR ModelDeploymentFailed: image" in logs

    assert deploy_env.cli("delete", spec_file, "--yes") == 0
    assert deploy_env.wait_state(failed.id, ("DELETED",)) == "DELETED"
    assert deploy_env.models()[0].lifecycle_state == "ACTIVE"  # the model stays


def test_interrupted_runs_resume_without_duplicates(deploy_env: DeployEnv) -> None:
    """Ctrl-C after each step; each re-run picks up where the last one stopped."""
    spec = load_spec(deploy_env.spec_file("resume"))
    lines: list[str] = []

    def interrupt_at(marker: str):
        def echo(line: str) -> None:
            lines.append(line)
            if line.startswith(marker):
                raise KeyboardInterrupt

        return echo

    # 1. Interrupted once the files are uploaded.
    with pytest.raises(KeyboardInterrupt):
        deploy_env.executor(interrupt_at("[4/7 model]")).deploy(spec)
    uploaded = deploy_env.objects("oci-tei-demo")
    assert len(uploaded) == 10
    assert deploy_env.models() == []

    # A model creation interrupted before its artifact was attached is not reused.
    deploy_env.data_science.create_model(
        oci.data_science.models.CreateModelDetails(
            compartment_id=COMPARTMENT, project_id=PROJECT, freeform_tags=spec.model_tags()
        )
    )

    # 2. Interrupted once the model is registered: nothing is uploaded again.
    lines.clear()
    with pytest.raises(KeyboardInterrupt):
        deploy_env.executor(interrupt_at("[5/7 deployment]")).deploy(spec)
    assert "  0 uploaded, 10 already there" in lines
    assert any(line.startswith("  skipping model ") for line in lines)
    (created,) = [line.split()[-1] for line in lines if line.startswith("  created model ")]
    assert deploy_env.deployments() == []

    # 3. Interrupted while waiting: the model is reused, the deployment exists.
    lines.clear()
    with pytest.raises(KeyboardInterrupt):
        deploy_env.executor(interrupt_at("[6/7 wait]")).deploy(spec)
    assert f"  reusing model {created}" in lines
    (deployment,) = deploy_env.deployments()

    # 4. The last run resumes that deployment and completes.
    lines.clear()
    outcome = deploy_env.executor(lines.append).deploy(spec)
    assert outcome.state == "ACTIVE"
    assert outcome.deployment_id == deployment.id
    assert lines[0].startswith("[1-5/7] found this spec's deployment")
    assert deploy_env.objects("oci-tei-demo") == uploaded  # every object, one version each
    assert [d.id for d in deploy_env.deployments()] == [deployment.id]
    assert outcome.model_id == created
    assert len(deploy_env.models()) == 2  # ours, and the artifact-less leftover
    assert deploy_env.embed(outcome.endpoint, ["resumed"])[0]


def test_wait_times_out_loudly_then_a_rerun_keeps_waiting(
    emulator, oci_config: Path, tmp_path: Path, model_dir: Path, tei_backend, restore_ads_auth
) -> None:
    """A slow deployment (3 s here, minutes on OCI) outlasts a short timeout on a fake clock."""
    emu = emulator(shared_backends={model_dir: tei_backend}, activation_delay_s=3.0)
    env = DeployEnv(emu, oci_config, tmp_path)
    spec = load_spec(env.spec_file("slow"))
    now = [0.0]

    def fake_sleep(seconds: float) -> None:
        now[0] += seconds
        time.sleep(0.01)

    lines: list[str] = []
    executor = DeployExecutor(
        env.executor().connection,
        echo=lines.append,
        poll_interval_s=100,
        sleep=fake_sleep,
        clock=lambda: now[0],
    )
    with pytest.raises(DeployError, match=r"still CREATING after 5 min; re-run the command"):
        executor.deploy(spec, timeout_s=300)
    assert "  still CREATING after 2 min" in lines  # the wait says it goes on
    (deployment,) = env.deployments()

    outcome = env.executor().deploy(spec, smoke_test=False)
    assert outcome.deployment_id == deployment.id
    assert outcome.state == "ACTIVE"
