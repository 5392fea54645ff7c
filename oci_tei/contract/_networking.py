"""Private networking of a model deployment: a private endpoint in, a subnet out.

Sources:

* SDK ``InstanceConfiguration``: ``privateEndpointId`` ("The OCID of a Data Science private
  endpoint"), ``subnetId`` ("A model deployment instance is provided with a VNIC for
  network access. This specifies the OCID of the subnet to create a VNIC in. The subnet
  should be in a VCN with a NAT/SGW gateway for egress") and ``networkAccessType``
  (``MANAGED_NETWORKING_NO_INTERNET_ACCESS``, ``MANAGED_NETWORKING_INTERNET_ACCESS``,
  ``CUSTOM_NETWORKING``).
* SDK ``CreateDataSciencePrivateEndpointDetails`` / ``DataSciencePrivateEndpoint``:
  ``subnetId`` required, ``subDomain`` ("Subdomain for a private endpoint FQDN"),
  ``dataScienceResourceType`` (``NOTEBOOK_SESSION`` or ``MODEL_DEPLOYMENT``), ``fqdn``
  ("Accessing the Data Science resource using FQDN") and the lifecycle states.
* OCI "Invoking a Model Deployment using a Private Endpoint" (:data:`INVOKE_PRIVATE_DOC`):
  "A model deployment configured with a private endpoint is only accessible through a
  private network. It can't be accessed through a public endpoint", invoked at "the
  private endpoint URL"; OCI "Invoking a Model Deployment": "for a private model
  deployment, the HTTP endpoint contains a private FQDN that was set while creating the
  private endpoint".
* Policies: oracle-samples/oci-data-science-ai-samples, ``ai-quick-actions`` troubleshooting
  ("List Data Science Private Endpoints ... ``use virtual-network-family``", the same for
  listing VCNs and subnets), :data:`POLICY_SOURCE`.

Not documented, so not invented: the FQDN's exact layout (the deployment's
``modelDeploymentUrl`` carries it; the tool reads it from there), and the answer OCI gives a
private deployment called on its public URL (the emulator answers 404
NotAuthorizedOrNotFound, as for any deployment it cannot serve: *inferred*). That a
``subnetId`` goes with ``CUSTOM_NETWORKING`` is read from the names (*inferred*).
"""

from __future__ import annotations

from oci_tei.contract._container import Problem

__all__ = [
    "INVOKE_PRIVATE_DOC",
    "NETWORK_ACCESS_TYPES",
    "POLICY_SOURCE",
    "PRIVATE_ENDPOINT_OCID_PREFIX",
    "PRIVATE_ENDPOINT_RESOURCE_TYPE",
    "PRIVATE_ENDPOINT_STATES",
    "SUBNET_OCID_PREFIX",
    "USABLE_PRIVATE_ENDPOINT_STATE",
    "check_networking",
    "private_endpoint_problem",
]

INVOKE_PRIVATE_DOC = (
    "https://docs.oracle.com/en-us/iaas/Content/data-science/using/model-dep-invoking-pe.htm"
)
POLICY_SOURCE = (
    "oracle-samples/oci-data-science-ai-samples ai-quick-actions troubleshooting-tips.md "
    "(Authorization Issues: List Data Science Private Endpoints)"
)
PRIVATE_ENDPOINT_OCID_PREFIX = "ocid1.datascienceprivateendpoint."
SUBNET_OCID_PREFIX = "ocid1.subnet."
NETWORK_ACCESS_TYPES = (
    "MANAGED_NETWORKING_NO_INTERNET_ACCESS",
    "MANAGED_NETWORKING_INTERNET_ACCESS",
    "CUSTOM_NETWORKING",
)
PRIVATE_ENDPOINT_RESOURCE_TYPE = "MODEL_DEPLOYMENT"
PRIVATE_ENDPOINT_STATES = (
    "CREATING",
    "ACTIVE",
    "UPDATING",
    "DELETING",
    "DELETED",
    "FAILED",
    "NEEDS_ATTENTION",
)
USABLE_PRIVATE_ENDPOINT_STATE = "ACTIVE"


def check_networking(
    private_endpoint_id: object,
    subnet_id: object,
    network_access_type: object,
    *,
    fields: tuple[str, str, str],
) -> list[Problem]:
    """The instance configuration's networking fields, each alone and together.

    Args:
        private_endpoint_id: ``privateEndpointId`` (None: a public deployment).
        subnet_id: ``subnetId`` (None: managed networking).
        network_access_type: ``networkAccessType`` (None: OCI's default).
        fields: The caller's names for the three values.
    """
    endpoint_field, subnet_field, access_field = fields
    problems: list[Problem] = []
    if private_endpoint_id is not None and not str(private_endpoint_id).startswith(
        PRIVATE_ENDPOINT_OCID_PREFIX
    ):
        problems.append(
            (
                endpoint_field,
                f"{private_endpoint_id!r} is not a Data Science private endpoint OCID "
                f"({PRIVATE_ENDPOINT_OCID_PREFIX}...)",
            )
        )
    if subnet_id is not None and not str(subnet_id).startswith(SUBNET_OCID_PREFIX):
        problems.append(
            (subnet_field, f"{subnet_id!r} is not a subnet OCID ({SUBNET_OCID_PREFIX}...)")
        )
    if network_access_type is not None and network_access_type not in NETWORK_ACCESS_TYPES:
        problems.append(
            (
                access_field,
                f"{network_access_type!r} is not one of {', '.join(NETWORK_ACCESS_TYPES)}",
            )
        )
    elif network_access_type == "CUSTOM_NETWORKING" and subnet_id is None:
        problems.append(
            (subnet_field, "CUSTOM_NETWORKING needs the subnet to create the VNIC in (inferred)")
        )
    elif network_access_type not in (None, "CUSTOM_NETWORKING") and subnet_id is not None:
        problems.append(
            (
                access_field,
                f"{network_access_type} is managed networking: a subnet goes with "
                "CUSTOM_NETWORKING (inferred)",
            )
        )
    return problems


def private_endpoint_problem(endpoint: object | None, endpoint_id: str) -> str | None:
    """Why a private endpoint record cannot front a model deployment (None: it can).

    ``endpoint`` is the SDK's ``DataSciencePrivateEndpoint`` (None: not found). The
    resource type is documented; that it must be ACTIVE is *inferred* (OCI documents the
    states, not which of them a new deployment accepts).
    """
    if endpoint is None:
        return f"private endpoint {endpoint_id} not found"
    kind = getattr(endpoint, "data_science_resource_type", None)
    if kind != PRIVATE_ENDPOINT_RESOURCE_TYPE:
        return (
            f"private endpoint {endpoint_id} is for {kind}, not {PRIVATE_ENDPOINT_RESOURCE_TYPE} "
            "(dataScienceResourceType)"
        )
    state = getattr(endpoint, "lifecycle_state", None)
    if state != USABLE_PRIVATE_ENDPOINT_STATE:
        return f"private endpoint {endpoint_id} is {state}, not ACTIVE"
    return None
