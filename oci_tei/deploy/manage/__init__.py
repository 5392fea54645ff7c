"""Commands on a live deployment, apart from the deploy pipeline.

The modules, in the order a deploy or a management command uses them:

* ``_lookup`` — a spec's deployment found again by its owner tag, or an OCID; ours told
  from anyone else's (:func:`check_owned`).
* ``_drift`` — a live deployment that no longer matches its spec: the difference, and
  ``deploy --update``.
* ``_status`` — what a deployment is running, and whether it still matches its spec.
* ``_logs`` — work requests with their logs and errors; the container's logs.
* ``_log_search`` — the access and predict logs through OCI Log Search, as
  :class:`LogRecord` objects (:func:`container_logs`).
* ``_metrics`` — the last hours of OCI Monitoring's predict metrics as
  :class:`DeploymentMetrics` (:func:`deployment_metrics`).
* ``_scale`` — instance count and bandwidth.
* ``_activation`` — stop (deactivate) and start (activate), and what OCI bills meanwhile.
* ``_delete`` — delete what this tool created, nothing else.
* ``_cli`` — ``oci-tei status | logs | scale | stop | start | delete`` (not re-exported).

Each takes a :class:`~oci_tei.deploy._session.DeploySession` and a deployment record found
with ``_lookup``. Waiting uses :mod:`oci_tei.deploy.steps`' wait, imported inside the
functions that wait (the pipeline imports this package).
"""

from __future__ import annotations

from oci_tei.deploy.manage._activation import (
    ACTIVATION_DOC,
    INACTIVE_BILLING,
    activate,
    deactivate,
    settle,
)
from oci_tei.deploy.manage._delete import delete
from oci_tei.deploy.manage._drift import Drift, apply_drift, find_drift
from oci_tei.deploy.manage._log_search import LogRecord, container_logs
from oci_tei.deploy.manage._logs import work_request_log
from oci_tei.deploy.manage._lookup import (
    DEPLOYMENT_OCID_PREFIX,
    check_owned,
    find_deployment,
    find_deployments,
    get_deployment,
    predict_endpoint,
    resolve,
)
from oci_tei.deploy.manage._metrics import (
    DeploymentMetrics,
    Instances,
    Latency,
    deployment_metrics,
    describe_metrics,
)
from oci_tei.deploy.manage._scale import scale, scale_updates
from oci_tei.deploy.manage._status import describe

__all__ = [
    "ACTIVATION_DOC",
    "DEPLOYMENT_OCID_PREFIX",
    "INACTIVE_BILLING",
    "DeploymentMetrics",
    "Drift",
    "Instances",
    "Latency",
    "LogRecord",
    "activate",
    "apply_drift",
    "check_owned",
    "container_logs",
    "deactivate",
    "delete",
    "deployment_metrics",
    "describe",
    "describe_metrics",
    "find_deployment",
    "find_deployments",
    "find_drift",
    "get_deployment",
    "predict_endpoint",
    "resolve",
    "scale",
    "scale_updates",
    "settle",
    "work_request_log",
]
