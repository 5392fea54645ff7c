"""Where each rule comes from: the oci SDK model classes and OCI documentation pages.

SDK sources name the class in ``oci.data_science.models`` (or the client method) whose
docstring states the rule, as installed (oci 2.189); documentation sources are URLs.
"""

from __future__ import annotations

__all__ = [
    "BYOC_ENV_DOC",
    "INVOKE_DOC",
    "SDK_AUTOSCALING",
    "SDK_CREATE_DETAILS",
    "SDK_ENUMS",
    "SDK_HTTP_ENDPOINT",
    "SDK_MODEL_CONFIG",
    "SDK_OCIR_ENV",
    "SDK_SHAPE_CONFIG",
    "SDK_UPDATE",
    "SHAPES_DOC",
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
