"""The TEI container as Model Deployment runs it: command line, environment, ports.

Model Deployment mounts a model created by reference at
``/opt/ds/model/deployed_model/<artifact prefix>/`` and routes ``/predict`` to the
container path in ``MODEL_DEPLOY_PREDICT_ENDPOINT``; a ``route`` header reaches the other
paths the deployment declares as ``customHttpEndpoints`` (:data:`INFERENCE_ROUTES`, the
ones the client uses). TEI listens on port 80 unless told otherwise, so the port is set
explicitly (``container.port``, 8080 by default) and matches the server and health-check
ports.
"""

from __future__ import annotations

from oci_tei.deploy.spec._document import DeploySpec

__all__ = [
    "INFERENCE_ROUTES",
    "MODEL_MOUNT",
    "PREDICT_ROUTE",
    "PREDICT_ROUTES",
    "SERVER_PORT",
    "container_env",
    "model_path_in_container",
    "predict_route",
    "tei_command",
]

MODEL_MOUNT = "/opt/ds/model/deployed_model"
SERVER_PORT = 8080
PREDICT_ROUTE = "/v1/embeddings"
#: The container route ``/predict`` reaches, per kind of model (``model.kind``).
PREDICT_ROUTES = {"embedding": PREDICT_ROUTE, "rerank": "/rerank"}
#: TEI's routes the client calls (``route`` header); declared as the deployment's
#: customHttpEndpoints, since OCI forwards only declared paths.
INFERENCE_ROUTES = ("/v1/embeddings", "/embed", "/rerank", "/tokenize")

_VALUE_FLAGS = (
    ("max_client_batch_size", "--max-client-batch-size"),
    ("max_batch_tokens", "--max-batch-tokens"),
    ("max_batch_requests", "--max-batch-requests"),
    ("max_concurrent_requests", "--max-concurrent-requests"),
    ("payload_limit", "--payload-limit"),
    ("pooling", "--pooling"),
    ("dtype", "--dtype"),
)


def model_path_in_container(spec: DeploySpec) -> str:
    """Where the deployment sees the model files (always with a trailing slash)."""
    return f"{MODEL_MOUNT}/{spec.artifact.prefix}/"


def tei_command(spec: DeploySpec) -> list[str]:
    """The TEI router arguments (the container's CMD).

    The seed's four flags, ``--json-output`` so OCI Logging receives structured lines,
    then the spec's TEI options and its ``extra_args``.
    """
    command = [
        "--model-id",
        model_path_in_container(spec),
        "--port",
        str(spec.container.port),
        "--hostname",
        "0.0.0.0",  # the container must listen on all interfaces for OCI's proxy
        "--json-output",
    ]
    options = spec.tei
    for field, flag in _VALUE_FLAGS:
        value = getattr(options, field)
        if value is not None:
            command += [flag, str(value)]
    return command + list(options.extra_args)


def predict_route(spec: DeploySpec) -> str:
    """The container route the deployment's ``/predict`` calls: by the model's kind."""
    return PREDICT_ROUTES[spec.model.kind]


def container_env(spec: DeploySpec) -> dict[str, str]:
    """The container's environment variables."""
    env = {**spec.container.env, "MODEL_DEPLOY_PREDICT_ENDPOINT": predict_route(spec)}
    if spec.tei.auto_truncate is not None:
        # A bare --auto-truncate switch cannot say "false" once a version defaults it to
        # true (1.9); clap reads AUTO_TRUNCATE=true|false alike in every version.
        env["AUTO_TRUNCATE"] = "true" if spec.tei.auto_truncate else "false"
    return env
