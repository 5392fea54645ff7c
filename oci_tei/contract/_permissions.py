"""The IAM permissions a model deployment needs, and what each emulated operation needs.

Data only (no functions): deploy's preflight and the strict emulator read the same table,
and each applies it with its own policy evaluator.

Sources:

* OCI "Model Deployment Policies" (:data:`~oci_tei.contract._sources.MODEL_DEPLOYMENT_POLICIES_DOC`):
  the creator needs ``manage data-science-models`` and ``manage
  data-science-model-deployments``; the deployment's resource principal (``any-user ...
  where request.principal.type='datasciencemodeldeployment'``, or a dynamic group whose
  matching rule names ``resource.type='datasciencemodeldeployment'``) reads the objects
  of a model by reference.
* "Bring Your Own Container" (:data:`~oci_tei.contract._sources.BYOC_DOC`): the
  deployment's principal reads ``repos`` to pull its image; OCI's own example narrows
  the statement with ``request.operation`` to the three calls a pull makes
  (:data:`IMAGE_PULL_OPERATIONS`).
* Logging for model deployments: ``use log-content`` in the log group's compartment.
* The per-service policy references (:data:`OPERATION_PERMISSIONS`): Data Science
  (:data:`~oci_tei.contract._sources.DATA_SCIENCE_POLICY_REFERENCE`), Object Storage,
  Artifacts (OCIR), Logging, Limits and IAM; each entry names its page. Invoking a model
  deployment (``Predict``) cites "Model Deployment Policies".
* "Details for Search" (:data:`SEARCH_RESULT_PERMISSIONS`): what a caller must be granted to
  see each resource type in Resource Search's results.
* Moving a resource (:data:`MOVE_OPERATIONS`) needs the move permission in the source and
  the target compartment (:data:`~oci_tei.contract._sources.MOVE_RESOURCES_DOC`).
"""

from __future__ import annotations

from typing import NamedTuple

from oci_tei.contract._sources import (
    ARTIFACTS_POLICY_REFERENCE,
    BYOC_DOC,
    CORE_POLICY_REFERENCE,
    DATA_SCIENCE_POLICY_REFERENCE,
    IAM_POLICY_REFERENCE,
    LIMITS_POLICY_REFERENCE,
    LOGGING_POLICY_REFERENCE,
    MODEL_DEPLOYMENT_POLICIES_DOC,
    MONITORING_POLICY_REFERENCE,
    MOVE_RESOURCES_DOC,
    OBJECT_STORAGE_POLICY_REFERENCE,
    PRIVATE_ENDPOINT_DOC,
    SEARCH_POLICY_REFERENCE,
)

__all__ = [
    "CALLER_NEEDS",
    "DEPLOYMENT_NEEDS",
    "DEPLOYMENT_PRINCIPAL_TYPE",
    "IMAGE_PULL_OPERATIONS",
    "MOVE_OPERATIONS",
    "OPERATION_PERMISSIONS",
    "RESOURCE_FAMILIES",
    "SEARCH_RESULT_PERMISSIONS",
    "UNSTATED_PERMISSIONS",
    "VERBS",
    "NeededPermission",
    "OperationPermission",
]

#: Verbs in increasing order of power; each includes those before it (Policy Syntax).
VERBS = ("inspect", "read", "use", "manage")

#: Aggregate resource types and the individual types they include (each service's policy
#: reference: "Resource-Types"; ``all-resources`` includes every type).
RESOURCE_FAMILIES: dict[str, frozenset[str]] = {
    "object-family": frozenset({"buckets", "objects", "objectstorage-namespaces"}),
    "data-science-family": frozenset(
        {
            "data-science-projects",
            "data-science-notebook-sessions",
            "data-science-models",
            "data-science-model-deployments",
            "data-science-work-requests",
            "data-science-jobs",
            "data-science-job-runs",
        }
    ),
    "logging-family": frozenset({"log-groups", "log-content", "unified-configuration"}),
    # Core Services policy reference: the networking types a deployment's subnet and
    # private endpoint involve (the family holds more: gateways, DRGs...).
    "virtual-network-family": frozenset(
        {
            "vcns",
            "subnets",
            "vnics",
            "vnic-attachments",
            "network-security-groups",
            "private-ips",
            "security-lists",
            "route-tables",
        }
    ),
}

#: ``request.principal.type`` (and a matching rule's ``resource.type``) of a model
#: deployment's resource principal.
DEPLOYMENT_PRINCIPAL_TYPE = "datasciencemodeldeployment"

#: The ``request.operation`` values of an image pull from OCIR (BYOC policy example:
#: ``where ANY {request.operation='ReadDockerRepositoryMetadata',
#: request.operation='ReadDockerRepositoryManifest', request.operation='PullDockerLayer'}``).
IMAGE_PULL_OPERATIONS = (
    "ReadDockerRepositoryMetadata",
    "ReadDockerRepositoryManifest",
    "PullDockerLayer",
)


class NeededPermission(NamedTuple):
    """One permission, as a record.

    Attributes:
        key: what it is for, as the code names it (``download``, ``pull``, ``logs``...).
        verb: the least verb that grants it.
        resource: the resource type.
        purpose: why it is needed, in words.
        where: the compartment it is needed in: ``bucket``, ``repository``, ``log-group``
            or ``deployment`` (the deployment's own compartment).
        operations: the ``request.operation`` values the calls carry (empty: not listed).
        source: where OCI says so.
    """

    key: str
    verb: str
    resource: str
    purpose: str
    where: str
    operations: tuple[str, ...] = ()
    source: str = MODEL_DEPLOYMENT_POLICIES_DOC


#: What the deployment's resource principal does while it provisions, in OCI's order.
DEPLOYMENT_NEEDS: tuple[NeededPermission, ...] = (
    NeededPermission(
        "download",
        "read",
        "objects",
        "download the model by reference from its bucket",
        "bucket",
        ("GetObject", "HeadObject", "ListObjects"),
    ),
    NeededPermission(
        "pull",
        "read",
        "repos",
        "pull the container image from OCIR",
        "repository",
        IMAGE_PULL_OPERATIONS,
        BYOC_DOC,
    ),
    NeededPermission(
        "logs", "use", "log-content", "write the access and predict logs", "log-group"
    ),
)

#: What the user running ``oci-tei deploy`` needs (``create-bucket`` only when it creates it).
CALLER_NEEDS: tuple[NeededPermission, ...] = (
    NeededPermission(
        "create-bucket",
        "manage",
        "buckets",
        "create the bucket",
        "bucket",
        ("CreateBucket",),
        OBJECT_STORAGE_POLICY_REFERENCE,
    ),
    NeededPermission(
        "upload",
        "manage",
        "objects",
        "upload the model files to the bucket",
        "bucket",
        ("PutObject",),
        OBJECT_STORAGE_POLICY_REFERENCE,
    ),
    NeededPermission(
        "model", "manage", "data-science-models", "create the model by reference", "deployment"
    ),
    NeededPermission(
        "deployment",
        "manage",
        "data-science-model-deployments",
        # manage includes calling the predict endpoint (Model Deployment Policies), which
        # deploy's smoke test does: the emulator asks Predict's row for it.
        "create and manage the model deployment and call its predict endpoint",
        "deployment",
    ),
)


class OperationPermission(NamedTuple):
    """What one API operation needs, as the service's policy reference lists it.

    Attributes:
        verb: the least verb whose permissions include the operation's.
        resource: the individual resource type.
        permission: the permission name OCI lists for the operation.
        source: the policy reference page.
    """

    verb: str
    resource: str
    permission: str
    source: str


def _ds(verb: str, resource: str, permission: str) -> OperationPermission:
    return OperationPermission(verb, resource, permission, DATA_SCIENCE_POLICY_REFERENCE)


def _os(verb: str, resource: str, permission: str) -> OperationPermission:
    return OperationPermission(verb, resource, permission, OBJECT_STORAGE_POLICY_REFERENCE)


def _core(verb: str, resource: str, permission: str) -> OperationPermission:
    return OperationPermission(verb, resource, permission, CORE_POLICY_REFERENCE)


def _iam(verb: str, resource: str, permission: str) -> OperationPermission:
    return OperationPermission(verb, resource, permission, IAM_POLICY_REFERENCE)


#: API operation -> what it needs. Verbs follow each reference's "Details for Verb +
#: Resource-Type Combinations" tables (the verb at which the permission first appears).
OPERATION_PERMISSIONS: dict[str, OperationPermission] = {
    # Data Science
    "CreateProject": _ds("manage", "data-science-projects", "DATA_SCIENCE_PROJECT_CREATE"),
    "GetProject": _ds("read", "data-science-projects", "DATA_SCIENCE_PROJECT_READ"),
    "ListProjects": _ds("inspect", "data-science-projects", "DATA_SCIENCE_PROJECT_INSPECT"),
    "CreateModel": _ds("manage", "data-science-models", "DATA_SCIENCE_MODEL_CREATE"),
    "GetModel": _ds("read", "data-science-models", "DATA_SCIENCE_MODEL_READ"),
    "ListModels": _ds("inspect", "data-science-models", "DATA_SCIENCE_MODEL_INSPECT"),
    "UpdateModel": _ds("use", "data-science-models", "DATA_SCIENCE_MODEL_UPDATE"),
    "DeleteModel": _ds("manage", "data-science-models", "DATA_SCIENCE_MODEL_DELETE"),
    "ActivateModel": _ds("use", "data-science-models", "DATA_SCIENCE_MODEL_UPDATE"),
    "DeactivateModel": _ds("use", "data-science-models", "DATA_SCIENCE_MODEL_UPDATE"),
    "CreateModelArtifact": _ds("manage", "data-science-models", "DATA_SCIENCE_MODEL_CREATE"),
    "GetModelArtifactContent": _ds("read", "data-science-models", "DATA_SCIENCE_MODEL_READ"),
    "HeadModelArtifact": _ds("read", "data-science-models", "DATA_SCIENCE_MODEL_READ"),
    "GetModelProvenance": _ds("read", "data-science-models", "DATA_SCIENCE_MODEL_READ"),
    "CreateModelProvenance": _ds("manage", "data-science-models", "DATA_SCIENCE_MODEL_CREATE"),
    "UpdateModelProvenance": _ds("use", "data-science-models", "DATA_SCIENCE_MODEL_UPDATE"),
    "CreateModelDeployment": _ds(
        "manage", "data-science-model-deployments", "DATA_SCIENCE_MODEL_DEPLOYMENT_CREATE"
    ),
    "GetModelDeployment": _ds(
        "read", "data-science-model-deployments", "DATA_SCIENCE_MODEL_DEPLOYMENT_READ"
    ),
    "ListModelDeployments": _ds(
        "inspect", "data-science-model-deployments", "DATA_SCIENCE_MODEL_DEPLOYMENT_INSPECT"
    ),
    "UpdateModelDeployment": _ds(
        "use", "data-science-model-deployments", "DATA_SCIENCE_MODEL_DEPLOYMENT_UPDATE"
    ),
    "ActivateModelDeployment": _ds(
        "use", "data-science-model-deployments", "DATA_SCIENCE_MODEL_DEPLOYMENT_UPDATE"
    ),
    "DeactivateModelDeployment": _ds(
        "use", "data-science-model-deployments", "DATA_SCIENCE_MODEL_DEPLOYMENT_UPDATE"
    ),
    "DeleteModelDeployment": _ds(
        "manage", "data-science-model-deployments", "DATA_SCIENCE_MODEL_DEPLOYMENT_DELETE"
    ),
    "ListModelDeploymentShapes": _ds(
        "inspect", "data-science-projects", "DATA_SCIENCE_PROJECT_INSPECT"
    ),
    "GetWorkRequest": _ds(
        "inspect", "data-science-work-requests", "DATA_SCIENCE_WORK_REQUEST_INSPECT"
    ),
    "ListWorkRequests": _ds(
        "inspect", "data-science-work-requests", "DATA_SCIENCE_WORK_REQUEST_INSPECT"
    ),
    "ListWorkRequestErrors": _ds(
        "inspect", "data-science-work-requests", "DATA_SCIENCE_WORK_REQUEST_INSPECT"
    ),
    "ListWorkRequestLogs": _ds(
        "inspect", "data-science-work-requests", "DATA_SCIENCE_WORK_REQUEST_INSPECT"
    ),
    "CancelWorkRequest": _ds(
        "manage", "data-science-work-requests", "DATA_SCIENCE_WORK_REQUEST_CANCEL"
    ),
    "ChangeModelCompartment": _ds("manage", "data-science-models", "DATA_SCIENCE_MODEL_MOVE"),
    "ChangeModelDeploymentCompartment": _ds(
        "manage", "data-science-model-deployments", "DATA_SCIENCE_MODEL_DEPLOYMENT_MOVE"
    ),
    # Invoking a model deployment (its predict endpoints). "Model Deployment Policies"
    # documents two grants: "manage data-science-model-deployments" ("all CRUD operations,
    # including calling the predict endpoint") and, to restrict who may invoke, the
    # permission itself: "allow dynamic-group <name> to {DATA_SCIENCE_MODEL_DEPLOYMENT_PREDICT}
    # in compartment <name>". Which lower verb (if any) includes the permission is not in
    # the pages consulted, so the documented minimal verb form is manage: a `use` or `read`
    # grant alone is refused here (inferred; OCI may accept `use`).
    "Predict": OperationPermission(
        "manage",
        "data-science-model-deployments",
        "DATA_SCIENCE_MODEL_DEPLOYMENT_PREDICT",
        MODEL_DEPLOYMENT_POLICIES_DOC,
    ),
    "PredictWithResponseStream": OperationPermission(
        "manage",
        "data-science-model-deployments",
        "DATA_SCIENCE_MODEL_DEPLOYMENT_PREDICT",
        MODEL_DEPLOYMENT_POLICIES_DOC,
    ),
    # Object Storage
    "CreateBucket": _os("manage", "buckets", "BUCKET_CREATE"),
    "ListBuckets": _os("inspect", "buckets", "BUCKET_INSPECT"),
    "GetBucket": _os("read", "buckets", "BUCKET_READ"),
    "HeadBucket": _os("inspect", "buckets", "BUCKET_INSPECT"),
    "UpdateBucket": _os("use", "buckets", "BUCKET_UPDATE"),
    "ListObjects": _os("inspect", "objects", "OBJECT_INSPECT"),
    "ListObjectVersions": _os("inspect", "objects", "OBJECT_INSPECT"),
    "HeadObject": _os("read", "objects", "OBJECT_READ"),
    "GetObject": _os("read", "objects", "OBJECT_READ"),
    "PutObject": _os("manage", "objects", "OBJECT_CREATE"),
    "DeleteObject": _os("manage", "objects", "OBJECT_DELETE"),
    "CreateMultipartUpload": _os("manage", "objects", "OBJECT_CREATE"),
    "UploadPart": _os("manage", "objects", "OBJECT_CREATE"),
    "CommitMultipartUpload": _os("manage", "objects", "OBJECT_CREATE"),
    "AbortMultipartUpload": _os("manage", "objects", "OBJECT_DELETE"),
    "ListMultipartUploadParts": _os("inspect", "objects", "OBJECT_INSPECT"),
    "ListMultipartUploads": _os("inspect", "objects", "OBJECT_INSPECT"),
    "DeleteBucket": _os("manage", "buckets", "BUCKET_DELETE"),
    # Data Science private endpoints: "manage data-science-private-endpoint" to create
    # (PRIVATE_ENDPOINT_DOC); reads by the reference's verb pattern (inferred).
    "CreateDataSciencePrivateEndpoint": OperationPermission(
        "manage",
        "data-science-private-endpoint",
        "DATA_SCIENCE_PRIVATE_ENDPOINT_CREATE",
        PRIVATE_ENDPOINT_DOC,
    ),
    "GetDataSciencePrivateEndpoint": OperationPermission(
        "read",
        "data-science-private-endpoint",
        "DATA_SCIENCE_PRIVATE_ENDPOINT_READ",
        PRIVATE_ENDPOINT_DOC,
    ),
    "ListDataSciencePrivateEndpoints": OperationPermission(
        "inspect",
        "data-science-private-endpoint",
        "DATA_SCIENCE_PRIVATE_ENDPOINT_INSPECT",
        PRIVATE_ENDPOINT_DOC,
    ),
    # Core networking
    "CreateVcn": _core("manage", "vcns", "VCN_CREATE"),
    "GetVcn": _core("read", "vcns", "VCN_READ"),
    "CreateSubnet": _core("manage", "subnets", "SUBNET_CREATE"),
    "GetSubnet": _core("read", "subnets", "SUBNET_READ"),
    # Monitoring
    "SummarizeMetricsData": OperationPermission(
        "read", "metrics", "METRIC_READ", MONITORING_POLICY_REFERENCE
    ),
    # Artifacts (OCIR)
    "ListContainerRepositories": OperationPermission(
        "inspect", "repos", "REPOSITORY_INSPECT", ARTIFACTS_POLICY_REFERENCE
    ),
    "ListContainerImages": OperationPermission(
        "inspect", "repos", "REPOSITORY_INSPECT", ARTIFACTS_POLICY_REFERENCE
    ),
    "GetContainerRepository": OperationPermission(
        "read", "repos", "REPOSITORY_READ", ARTIFACTS_POLICY_REFERENCE
    ),
    "CreateContainerRepository": OperationPermission(
        "manage", "repos", "REPOSITORY_CREATE", ARTIFACTS_POLICY_REFERENCE
    ),
    "UpdateContainerRepository": OperationPermission(
        "manage", "repos", "REPOSITORY_UPDATE", ARTIFACTS_POLICY_REFERENCE
    ),
    "DeleteContainerRepository": OperationPermission(
        "manage", "repos", "REPOSITORY_DELETE", ARTIFACTS_POLICY_REFERENCE
    ),
    # Limits
    "GetResourceAvailability": OperationPermission(
        "inspect", "resource-availability", "RESOURCE_AVAILABILITY_READ", LIMITS_POLICY_REFERENCE
    ),
    # Logging
    "GetLogGroup": OperationPermission(
        "read", "log-groups", "LOG_GROUP_READ", LOGGING_POLICY_REFERENCE
    ),
    "GetLog": OperationPermission("read", "log-groups", "LOG_GROUP_READ", LOGGING_POLICY_REFERENCE),
    "ListLogGroups": OperationPermission(
        "inspect", "log-groups", "LOG_GROUP_INSPECT", LOGGING_POLICY_REFERENCE
    ),
    "ListLogs": OperationPermission(
        "inspect", "log-groups", "LOG_GROUP_INSPECT", LOGGING_POLICY_REFERENCE
    ),
    "CreateLogGroup": OperationPermission(
        "manage", "log-groups", "LOG_GROUP_CREATE", LOGGING_POLICY_REFERENCE
    ),
    "DeleteLogGroup": OperationPermission(
        "manage", "log-groups", "LOG_GROUP_DELETE", LOGGING_POLICY_REFERENCE
    ),
    # A log is part of its log group: creating or deleting one updates the group.
    "CreateLog": OperationPermission(
        "use", "log-groups", "LOG_GROUP_UPDATE", LOGGING_POLICY_REFERENCE
    ),
    "DeleteLog": OperationPermission(
        "use", "log-groups", "LOG_GROUP_UPDATE", LOGGING_POLICY_REFERENCE
    ),
    # "Permissions Required for Each API Operation": "ListSearchLogs LOG_CONTENT_READ", the
    # log-content row's read verb (the SDK's SearchLogs); needed in each search scope.
    "SearchLogs": OperationPermission(
        "read", "log-content", "LOG_CONTENT_READ", LOGGING_POLICY_REFERENCE
    ),
    # IAM reads (writes are the tenancy administrator's, see the emulator's docs)
    "GetTenancy": _iam("inspect", "tenancies", "TENANCY_INSPECT"),
    "ListRegionSubscriptions": _iam("inspect", "tenancies", "TENANCY_INSPECT"),
    "GetUser": _iam("read", "users", "USER_READ"),
    "GetCompartment": _iam("inspect", "compartments", "COMPARTMENT_INSPECT"),
    "ListCompartments": _iam("inspect", "compartments", "COMPARTMENT_INSPECT"),
    "ListPolicies": _iam("inspect", "policies", "POLICY_READ"),
    "GetGroup": _iam("read", "groups", "GROUP_READ"),
    "ListGroups": _iam("inspect", "groups", "GROUP_INSPECT"),
    "ListUserGroupMemberships": _iam("inspect", "groups", "GROUP_INSPECT"),
    "ListDynamicGroups": _iam("inspect", "dynamic-groups", "DYNAMIC_GROUP_INSPECT"),
}

#: Operations the emulator serves for which OCI's policy references name no permission:
#: OCI is silent, so nothing is asked beyond a valid signature (the emulator enforces only
#: what a source states). Operation -> what was read.
UNSTATED_PERMISSIONS: dict[str, str] = {
    # Keyed with its service: Data Science has a GetWorkRequest of its own (cited above).
    "logging:GetWorkRequest": (
        "Logging's policy reference (Permissions Required for Each API Operation) lists no "
        "work-request operation: " + LOGGING_POLICY_REFERENCE
    ),
}

#: The operations that move a resource to the body's ``compartmentId`` -> the source saying
#: so: each needs its permission in the resource's compartment and in the target ("in both
#: the source and target compartments").
MOVE_OPERATIONS: dict[str, str] = {
    "ChangeModelCompartment": MOVE_RESOURCES_DOC,
    "ChangeModelDeploymentCompartment": MOVE_RESOURCES_DOC,
}


def _search(resource: str, permission: str) -> OperationPermission:
    return OperationPermission("inspect", resource, permission, SEARCH_POLICY_REFERENCE)


#: Resource Search's ``resourceType`` -> what a caller needs to see such a resource in
#: search results (Details for Search, "Permissions Required to View in Search Results":
#: the resource type's inspect permission), in the resource's compartment.
SEARCH_RESULT_PERMISSIONS: dict[str, OperationPermission] = {
    "DataScienceProject": _search("data-science-projects", "DATA_SCIENCE_PROJECT_INSPECT"),
    "DataScienceModel": _search("data-science-models", "DATA_SCIENCE_MODEL_INSPECT"),
    "DataScienceModelDeployment": _search(
        "data-science-model-deployments", "DATA_SCIENCE_MODEL_DEPLOYMENT_INSPECT"
    ),
    "Bucket": _search("buckets", "BUCKET_INSPECT"),
    "LogGroup": _search("log-groups", "LOG_GROUP_INSPECT"),
}
