"""Instance and resource principals: an emulated IMDS, an X.509 federation endpoint and a CA.

Instance principals (``oci.auth.signers.InstancePrincipalsSecurityTokenSigner``) read the
region, a leaf certificate with its key and an intermediate certificate from IMDS
(``OCI_METADATA_BASE_URL`` → ``{emulator}/opc/v2``), then POST to the federation endpoint
(``federation_endpoint`` → ``{emulator}/v1/x509``) a request signed with the leaf key
(keyId ``<tenancy>/fed-x509/<SHA-1 of the leaf>``) carrying the leaf, the intermediates and a
fresh session public key; the answer ``{"token": ...}`` is a security token for that key.
The leaf's subject names the tenancy (``opc-tenant:``), as OCI's instance certificates do.

Resource principals v2.2 (``get_resource_principals_signer()``) need no endpoint: the
environment hands over a token (RPST) and its private key; :func:`write_resource_principal_env`
writes both to files so that ``refresh_security_token()`` re-reads them.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from oci_tei_emulator._errors import OCIError, invalid_parameter, not_authenticated
from oci_tei_emulator._keys import generate_private_key, private_key_pem

#: Environment variable names read by ``oci.auth.signers.get_resource_principals_signer``.
RP_VERSION = "OCI_RESOURCE_PRINCIPAL_VERSION"
RP_RPST = "OCI_RESOURCE_PRINCIPAL_RPST"
RP_PRIVATE_PEM = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"
RP_REGION = "OCI_RESOURCE_PRINCIPAL_REGION"
#: Read by ``InstancePrincipalsSecurityTokenSigner`` to find IMDS.
METADATA_BASE_URL = "OCI_METADATA_BASE_URL"


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _certificate(
    subject: x509.Name,
    public_key: rsa.RSAPublicKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    days: int,
) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def sha1_fingerprint(cert: x509.Certificate) -> str:
    """Colon-separated uppercase SHA-1 of a certificate, as the federation keyId carries it."""
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA1()))


@dataclass(frozen=True)
class InstanceIdentity:
    """The certificates IMDS serves to one emulated instance.

    Attributes:
        instance_id: the instance OCID (leaf CN).
        tenancy_id: the tenancy OCID (leaf subject ``opc-tenant:``).
        leaf_pem: the leaf certificate.
        leaf_key_pem: the leaf private key (unencrypted, as IMDS serves it).
        intermediate_pem: the intermediate certificate that signed the leaf.
    """

    instance_id: str
    tenancy_id: str
    leaf_pem: str
    leaf_key_pem: str
    intermediate_pem: str


class CertificateAuthority:
    """A root and an intermediate CA that sign instance certificates and check chains.

    Args:
        tenancy_id: tenancy named in the instance certificates.
        region: region of the instances.
    """

    def __init__(self, tenancy_id: str, region: str) -> None:
        self._tenancy_id = tenancy_id
        self._region = region

    # The CA is made on first use: its three RSA keys cost about a tenth of a second of
    # CPU, and only an instance-principal caller ever needs them.
    @functools.cached_property
    def _made(self) -> tuple[x509.Certificate, x509.Certificate, InstanceIdentity]:
        tenancy_id, region = self._tenancy_id, self._region
        root_key = generate_private_key()
        root_name = _name((NameOID.COMMON_NAME, "oci-tei emulator root CA"))
        root = _certificate(
            root_name, root_key.public_key(), root_name, root_key, ca=True, days=3650
        )
        inter_key = generate_private_key()
        inter_name = _name((NameOID.COMMON_NAME, "oci-tei emulator intermediate CA"))
        intermediate = _certificate(
            inter_name, inter_key.public_key(), root_name, root_key, ca=True, days=3650
        )
        leaf_key = generate_private_key()
        instance_id = f"ocid1.instance.oc1.{region}.emulator{hashlib.sha1(tenancy_id.encode()).hexdigest()[:20]}"
        subject = _name(
            (NameOID.COMMON_NAME, instance_id),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "opc-certtype:instance"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, f"opc-compartment:{tenancy_id}"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, f"opc-instance:{instance_id}"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, f"opc-tenant:{tenancy_id}"),
        )
        leaf = _certificate(subject, leaf_key.public_key(), inter_name, inter_key, ca=False, days=1)
        identity = InstanceIdentity(
            instance_id=instance_id,
            tenancy_id=tenancy_id,
            leaf_pem=_pem(leaf),
            leaf_key_pem=private_key_pem(leaf_key),
            intermediate_pem=_pem(intermediate),
        )
        return root, intermediate, identity

    @property
    def root(self) -> x509.Certificate:
        """The root CA certificate instance certificates chain to."""
        return self._made[0]

    @property
    def intermediate(self) -> x509.Certificate:
        """The intermediate CA certificate that signs the instance certificate."""
        return self._made[1]

    @property
    def identity(self) -> InstanceIdentity:
        """The emulated instance's certificate, key and intermediate (instance metadata)."""
        return self._made[2]

    def verify_chain(self, leaf: x509.Certificate, intermediates: list[x509.Certificate]) -> None:
        """Check that ``leaf`` chains through one of ``intermediates`` to this root.

        Raises:
            OCIError: 401 when the chain does not verify or a certificate is not current.
        """
        now = dt.datetime.now(dt.timezone.utc)
        for cert in (leaf, *intermediates):
            if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
                raise not_authenticated("A certificate in the chain is not currently valid.")
        for inter in intermediates:
            try:
                inter.verify_directly_issued_by(self.root)
                leaf.verify_directly_issued_by(inter)
            except (ValueError, TypeError, Exception):
                continue
            return
        raise not_authenticated("The certificate chain is not trusted.")


def tenancy_of(cert: x509.Certificate) -> str | None:
    """The tenancy OCID named in a certificate subject (``opc-tenant:``/``opc-identity:``)."""
    for attribute in cert.subject:
        value = attribute.value
        if isinstance(value, bytes):
            continue
        for prefix in ("opc-tenant:", "opc-identity:"):
            if value.startswith(prefix):
                return value[len(prefix) :]
    return None


@dataclass(frozen=True)
class FederationRequest:
    """A parsed ``POST /v1/x509`` body.

    Attributes:
        leaf: the instance certificate.
        intermediates: the intermediate certificates sent with it.
        session_key: the public key the token will be bound to.
    """

    leaf: x509.Certificate
    intermediates: list[x509.Certificate]
    session_key: rsa.RSAPublicKey


def _der_b64(text: object, what: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise invalid_parameter(f"{what} must be a non-empty base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise invalid_parameter(f"{what} is not base64") from None


def parse_federation_request(body: bytes) -> FederationRequest:
    """Parse the X.509 federation request the SDK's ``X509FederationClient`` sends.

    Raises:
        OCIError: 400 for a malformed body.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise invalid_parameter("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    try:
        leaf = x509.load_der_x509_certificate(_der_b64(data.get("certificate"), "certificate"))
        intermediates = [
            x509.load_der_x509_certificate(_der_b64(c, "intermediateCertificates[]"))
            for c in data.get("intermediateCertificates") or []
        ]
        key = serialization.load_der_public_key(_der_b64(data.get("publicKey"), "publicKey"))
    except ValueError as exc:
        if isinstance(exc, OCIError):
            raise
        raise invalid_parameter(f"Malformed certificate or key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise invalid_parameter("publicKey must be an RSA key.")
    return FederationRequest(leaf=leaf, intermediates=intermediates, session_key=key)


def write_resource_principal_env(
    directory: Path, token: str, private_key: rsa.RSAPrivateKey, region: str
) -> dict[str, str]:
    """Write an RPST and its key to ``directory``; return the v2.2 environment naming them.

    Absolute paths (not inline values) make the SDK re-read the files on
    ``refresh_security_token()``, so a new token written to the same file is picked up.
    """
    directory.mkdir(parents=True, exist_ok=True)
    rpst = directory / "rpst"
    pem = directory / "rp_private.pem"
    pem.write_text(private_key_pem(private_key))
    pem.chmod(0o600)
    rpst.write_text(token)
    return {
        RP_VERSION: "2.2",
        RP_RPST: str(rpst.resolve()),
        RP_PRIVATE_PEM: str(pem.resolve()),
        RP_REGION: region,
    }


__all__ = [
    "METADATA_BASE_URL",
    "RP_PRIVATE_PEM",
    "RP_REGION",
    "RP_RPST",
    "RP_VERSION",
    "CertificateAuthority",
    "FederationRequest",
    "InstanceIdentity",
    "OCIError",
    "parse_federation_request",
    "sha1_fingerprint",
    "tenancy_of",
    "write_resource_principal_env",
]
