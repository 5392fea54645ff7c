"""Where each rule comes from: the oci SDK model classes and OCI documentation pages.

SDK sources name the class in ``oci.data_science.models`` (or the client method) whose
docstring states the rule, as installed (oci 2.189); documentation sources are URLs.
"""

from __future__ import annotations

__all__ = [
    "ARTIFACTS_POLICY_REFERENCE",
    "BUCKET_NAME_DOC",
    "BYOC_DOC",
    "BYOC_ENV_DOC",
    "CORE_POLICY_REFERENCE",
    "DATA_SCIENCE_POLICY_REFERENCE",
    "IAM_POLICY_REFERENCE",
    "INVOKE_DOC",
    "LIMITS_POLICY_REFERENCE",
    "LOGGING_POLICY_REFERENCE",
    "MODEL_DEPLOYMENT_POLICIES_DOC",
    "MONITORING_POLICY_REFERENCE",
    "MOVE_RESOURCES_DOC",
    "OBJECT_STORAGE_POLICY_REFERENCE",
    "PRIVATE_ENDPOINT_DOC",
    "SDK_AUTOSCALING",
    "SDK_CATEGORY_LOG",
    "SDK_CREATE_DETAILS",
    "SDK_ENUMS",
    "SDK_HTTP_ENDPOINT",
    "SDK_LISTS",
    "SDK_MODEL_CONFIG",
    "SDK_OCIR_ENV",
    "SDK_SHAPE_CONFIG",
    "SDK_UPDATE",
    "SEARCH_POLICY_REFERENCE",
    "SHAPES_DOC",
    "TEI_COMPUTE_CAP",
    "TEI_DOCKER_IMAGES",
]

_SDK = "oci SDK oci/data_science/models/"
SDK_OCIR_ENV = f"{_SDK}ocir_model_deployment_environment_configuration_details.py"
SDK_SHAPE_CONFIG = f"{_SDK}model_deployment_instance_shape_config_details.py"
SDK_AUTOSCALING = f"{_SDK}auto_scaling_policy.py, threshold_based_auto_scaling_policy_details.py"
SDK_MODEL_CONFIG = f"{_SDK}model_configuration_details.py, fixed_size_scaling_policy.py"
SDK_CREATE_DETAILS = f"{_SDK}create_model_deployment_details.py"
SDK_HTTP_ENDPOINT = f"{_SDK}inference_http_endpoint.py"
SDK_ENUMS = f"{_SDK} (allowed values in each model's setters)"
SDK_UPDATE = "oci SDK oci/data_science/data_science_client.py: update_model_deployment"
SHAPES_DOC = "https://docs.oracle.com/en-us/iaas/data-science/using/supported-shapes.htm"
BYOC_ENV_DOC = "https://docs.oracle.com/en-us/iaas/data-science/using/mod-dep-byoc-variables.htm"
INVOKE_DOC = "https://docs.oracle.com/en-us/iaas/data-science/using/model-dep-invoke.htm"

SDK_CATEGORY_LOG = f"{_SDK}log_details.py (logId, logGroupId: required)"
SDK_LISTS = (
    "oci SDK docstrings of DataScienceClient.list_*, ObjectStorageClient.list_*, "
    "IdentityClient.list_*, ArtifactsClient.list_container_*"
)
_DOCS = "https://docs.oracle.com/en-us/iaas"
BYOC_DOC = f"{_DOCS}/data-science/using/mod-dep-byoc.htm"
MODEL_DEPLOYMENT_POLICIES_DOC = f"{_DOCS}/data-science/using/model-dep-policies-auth.htm"
DATA_SCIENCE_POLICY_REFERENCE = f"{_DOCS}/data-science/using/policies.htm"
OBJECT_STORAGE_POLICY_REFERENCE = (
    f"{_DOCS}/Content/Identity/Reference/objectstoragepolicyreference.htm"
)
ARTIFACTS_POLICY_REFERENCE = f"{_DOCS}/Content/Identity/Reference/registrypolicyreference.htm"
LOGGING_POLICY_REFERENCE = f"{_DOCS}/Content/Identity/Reference/loggingpolicyreference.htm"
LIMITS_POLICY_REFERENCE = f"{_DOCS}/Content/General/Concepts/servicelimits.htm"
IAM_POLICY_REFERENCE = f"{_DOCS}/Content/Identity/Reference/iampolicyreference.htm"
CORE_POLICY_REFERENCE = f"{_DOCS}/Content/Identity/Reference/corepolicyreference.htm"
MONITORING_POLICY_REFERENCE = f"{_DOCS}/Content/Identity/Reference/monitoringpolicyreference.htm"
#: "Details for Search": Search's operations need no permission of their own; "what you can
#: see in search or query results depends on the permissions you have" (its table names,
#: per resource type, the permission needed to view it in search results).
SEARCH_POLICY_REFERENCE = f"{_DOCS}/Content/Identity/Reference/searchpolicyreference.htm"
#: Moving a resource needs its move permission in both compartments. Stated for IAM's
#: BulkMoveResources; the Data Science Change*Compartment docstrings name no permission.
MOVE_RESOURCES_DOC = (
    "oci SDK oci/identity/identity_client.py: bulk_move_resources, 'To move resources, you "
    "must have the appropriate permissions to move the resource in both the source and "
    "target compartments.'"
)
#: Data Science "Private Endpoints": "allow group <group-name> to manage
#: data-science-private-endpoint in compartment <compartment-name>".
PRIVATE_ENDPOINT_DOC = f"{_DOCS}/data-science/using/pe-network.htm"
BUCKET_NAME_DOC = (
    "oci SDK oci/object_storage/models/create_bucket_details.py, name: 'Valid characters are "
    "uppercase or lowercase letters, numbers, hyphens, underscores, and periods.'; "
    f"{_DOCS}/Content/Object/Tasks/managingbuckets.htm"
)
#: TEI's rule for which build runs on which GPU (the commit that matches the 1.5-1.8 images).
TEI_COMPUTE_CAP = (
    "huggingface/text-embeddings-inference backends/candle/src/compute_cap.rs "
    "(compute_cap_matching, commit 8a06f3003d5d9ea924c199b6d804b6992f26dc40)"
)
TEI_DOCKER_IMAGES = 'huggingface/text-embeddings-inference README.md, "Docker Images"'
