"""OCI identities: which one signs, how it signs exact bytes, and how it refreshes.

``AuthSpec`` names an identity without holding key material: it is what pickles,
serializes and shows in ``repr``. ``RequestSigner`` builds the real ``oci`` signer from
it on first use (constructors do no I/O), signs the exact bytes a request carries, and
refreshes expired tokens when OCI answers 401 or ``NotAuthorizedOrNotFound``.

Automatic selection, when no auth is given, follows what OCI users already configured:
``OCI_IAM_TYPE`` (oracle-ads' variable), then oracle-ads' global ``ads.set_auth`` when the
program already imported ADS (we never import it ourselves: it costs seconds and pulls
pandas), then resource principal inside OCI notebooks and jobs
(``OCI_RESOURCE_PRINCIPAL_VERSION`` is set there), then the API key in ``~/.oci/config``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, replace
from typing import Any, Literal, cast, get_args
from urllib.parse import urlsplit

from oci_tei._errors import ConfigurationError

__all__ = [
    "AUTH_TYPES",
    "AuthSpec",
    "AuthType",
    "RequestSigner",
    "auth_from_arguments",
    "resolve_auth_type",
]

AuthType = Literal["api_key", "security_token", "resource_principal", "instance_principal"]
AUTH_TYPES: tuple[str, ...] = get_args(AuthType)

# oracle-ads' environment variables, honoured so one setting serves ADS and us.
_IAM_TYPE_ENV = "OCI_IAM_TYPE"
_CONFIG_LOCATION_ENV = "OCI_CONFIG_LOCATION"
_CONFIG_PROFILE_ENV = "OCI_CONFIG_PROFILE"
_RESOURCE_PRINCIPAL_ENV = "OCI_RESOURCE_PRINCIPAL_VERSION"


@dataclass(frozen=True)
class AuthSpec:
    """Which OCI identity signs requests. Holds no secret, so it is safe to pickle and log.

    Attributes:
        auth_type: One of ``AUTH_TYPES``; ``None`` selects automatically (module docstring).
        profile: Profile in the config file (``api_key``, ``security_token``).
        config_file: Path of the OCI config file (default ``~/.oci/config``).
        signer_kwargs: Extra keyword arguments for the SDK signer, e.g.
            ``federation_endpoint`` for instance principals.
    """

    auth_type: AuthType | None = None
    profile: str | None = None
    config_file: str | None = None
    signer_kwargs: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        """A one-line description for logs and error messages."""
        kind = self.auth_type or "automatic"
        if self.auth_type in ("api_key", "security_token"):
            return f"{kind} (profile {self.profile or 'DEFAULT'} in {self.config_file or '~/.oci/config'})"
        return kind


def auth_from_arguments(
    auth: object, *, profile: str | None = None, config_file: str | None = None
) -> tuple[AuthSpec, Any | None]:
    """Split a user's ``auth`` argument into a picklable spec and an explicit signer.

    Args:
        auth: ``None`` (automatic), an auth type name, an oracle-ads style dict
            ``{"signer": signer, ...}``, or an ``oci`` signer object.
        profile: Config-file profile for ``api_key``/``security_token``.
        config_file: Config-file path.

    Raises:
        ConfigurationError: An unknown auth type or an object that cannot sign.
    """
    if auth is None or isinstance(auth, str):
        if auth is not None and auth not in AUTH_TYPES:
            raise ConfigurationError(
                f"unknown auth {auth!r}: use one of {', '.join(AUTH_TYPES)}, an oci signer, "
                "or an oracle-ads auth dict {'signer': ...}"
            )
        return AuthSpec(cast("AuthType | None", auth), profile, config_file), None
    if isinstance(auth, Mapping):
        signer = auth.get("signer")
        if signer is None:
            raise ConfigurationError("an auth dict must hold a 'signer' (oracle-ads style)")
        return AuthSpec(None, profile, config_file), signer
    if callable(auth):
        return AuthSpec(None, profile, config_file), auth
    raise ConfigurationError(f"auth of type {type(auth).__name__} cannot sign requests")


class RequestSigner:
    """Signs requests with an OCI identity; builds the SDK signer lazily; thread-safe.

    ``generation`` counts refreshes so that, when many concurrent requests fail with the
    same expired token, only the first one refreshes and the others just re-sign.
    """

    def __init__(self, spec: AuthSpec, signer: Any | None = None) -> None:
        self._spec = spec
        self._signer = signer
        self._explicit = signer is not None
        self._lock = threading.Lock()
        self.generation = 0

    def __repr__(self) -> str:
        source = "explicit signer" if self._explicit else self._spec.describe()
        return f"RequestSigner({source})"

    @property
    def spec(self) -> AuthSpec:
        """The identity, as configured (before automatic resolution)."""
        return self._spec

    def ensure_signer(self) -> Any:
        """Build the SDK signer if not built yet (may read files or call IMDS)."""
        signer = self._signer
        if signer is None:
            with self._lock:
                if self._signer is None:
                    self._spec, self._signer = _build_signer(self._spec)
                signer = self._signer
        return signer

    @property
    def may_block(self) -> bool:
        """Whether signing may do network I/O, so async callers sign off the event loop.

        Building the signer may (IMDS, token files); so may every token signer: resource
        and instance principals fetch a new token inside ``sign`` when theirs nears expiry
        (``X509FederationClientBasedSecurityTokenSigner.__call__`` in the oci SDK). Only
        an API-key signer and a session-token signer sign from memory.
        """
        signer = self._signer
        if signer is None:
            return True
        import oci

        return type(signer) not in (oci.signer.Signer, oci.auth.signers.SecurityTokenSigner)

    def sign(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        """Return ``headers`` plus OCI's signature headers for exactly these bytes.

        May do network I/O (see :attr:`may_block`).
        """
        signer = self.ensure_signer()
        request = _SigningRequest(method, url, headers, body)
        signer(request)
        return dict(request.headers.items())

    def refresh(self, failed_generation: int) -> bool:
        """Refresh the identity's token after an authentication failure.

        Args:
            failed_generation: ``generation`` when the failing request was signed.

        Returns:
            True when a re-signed request may now succeed (refreshed now or by another
            thread meanwhile); False when this identity cannot refresh (API keys).
        """
        with self._lock:
            if self.generation != failed_generation:
                return True
            refreshed = self._refresh_locked()
            if refreshed:
                self.generation += 1
            return refreshed

    def _refresh_locked(self) -> bool:
        signer = self._signer
        if signer is None:
            return False
        if hasattr(signer, "refresh_security_token"):
            signer.refresh_security_token()
            return True
        if self._spec.auth_type == "security_token":
            # Session tokens refresh on disk (`oci session refresh`): read them again.
            self._spec, self._signer = _build_signer(self._spec)
            return True
        return False

    def portable_spec(self) -> AuthSpec:
        """The identity another process rebuilds this signer from (no key material).

        Raises:
            TypeError: An explicit key-based signer, whose key cannot travel.
        """
        return _rebuildable_spec(self._spec, self._signer, self._explicit)

    def __getstate__(self) -> dict[str, Any]:
        # Only the identity travels (e.g. to LlamaIndex worker processes); each process
        # builds its own signer from it, so no key material is ever pickled.
        return {"spec": self.portable_spec()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._spec = state["spec"]
        self._signer = None
        self._explicit = False
        self._lock = threading.Lock()
        self.generation = 0


class _SigningRequest:
    """The request an ``oci`` signer signs: the attributes it reads, nothing else.

    oci's signers take a ``requests.PreparedRequest`` and read ``method``, ``url``,
    ``path_url``, ``body`` and a case-insensitive, mutable ``headers`` (``oci/signer.py``:
    ``inject_missing_headers``, ``AbstractBaseSigner.do_request_sign``). This is that shape
    over a small case-insensitive mapping, so signing needs neither ``requests`` (not a dependency of
    ours; the SDK only vendors a private copy) nor a second request model. Like
    ``requests`` does when it prepares a body, it states ``content-length``, which the
    body signature covers.
    """

    def __init__(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> None:
        self.method = method.upper()
        self.url = url
        self.body = body
        self.headers = _Headers(headers)
        if body or self.method in ("POST", "PUT", "PATCH"):
            self.headers.setdefault("content-length", str(len(body)))
        parts = urlsplit(url)
        self.path_url = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class _Headers(MutableMapping[str, str]):
    """Case-insensitive, mutable headers, listed in lower case as ``httpx.Headers`` lists them.

    All the signer needs, without building an ``httpx.Headers`` per request.
    """

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._items = {name.lower(): value for name, value in headers.items()}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __setitem__(self, name: str, value: str) -> None:
        self._items[name.lower()] = value

    def __delitem__(self, name: str) -> None:
        del self._items[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def _rebuildable_spec(spec: AuthSpec, signer: Any | None, explicit: bool) -> AuthSpec:
    if not explicit:
        return spec
    principal = _principal_of(signer)
    if principal is None:
        raise TypeError(
            f"cannot pickle an explicit {type(signer).__name__}: its key cannot travel to "
            "another process. Pass auth='api_key' (with profile/config_file), "
            "'security_token', 'resource_principal' or 'instance_principal' instead."
        )
    return replace(spec, auth_type=principal)


def _principal_of(signer: Any) -> AuthType | None:
    """The auth type that rebuilds an equivalent signer in another process, if any."""
    names = {cls.__name__ for cls in type(signer).__mro__}
    if names & {"EphemeralResourcePrincipalSigner", "ResourcePrincipalsFederationSigner"}:
        return "resource_principal"
    if "InstancePrincipalsSecurityTokenSigner" in names:
        return "instance_principal"
    return None


def resolve_auth_type(spec: AuthSpec) -> AuthSpec:
    """Apply the automatic selection documented in the module docstring (no I/O).

    oracle-ads' global ``set_auth`` is not consulted here: only :class:`RequestSigner`
    does, when it builds a signer in a program that already imported ADS.
    """
    if spec.auth_type is not None:
        return spec
    from_env = os.environ.get(_IAM_TYPE_ENV)
    if from_env:
        if from_env not in AUTH_TYPES:
            raise ConfigurationError(
                f"{_IAM_TYPE_ENV}={from_env!r} is not one of {', '.join(AUTH_TYPES)}"
            )
        return replace(spec, auth_type=cast("AuthType", from_env))
    if os.environ.get(_RESOURCE_PRINCIPAL_ENV):
        return replace(spec, auth_type="resource_principal")
    return replace(spec, auth_type="api_key")


def _ads_global_signer(spec: AuthSpec) -> tuple[AuthSpec, Any] | None:
    """oracle-ads' ``set_auth`` signer, only if the program already imported ADS."""
    if spec.auth_type is not None or "ads" not in sys.modules or os.environ.get(_IAM_TYPE_ENV):
        return None
    from ads.common.auth import AuthState, default_signer

    state = AuthState()
    auth_type = state.oci_iam_type if state.oci_iam_type in AUTH_TYPES else None
    resolved = AuthSpec(
        cast("AuthType | None", auth_type),
        spec.profile or state.oci_key_profile,
        spec.config_file or state.oci_config_path,
        spec.signer_kwargs,
    )
    return resolved, default_signer()["signer"]


def _config(spec: AuthSpec) -> dict[str, Any]:
    import oci

    path = spec.config_file or os.environ.get(_CONFIG_LOCATION_ENV) or oci.config.DEFAULT_LOCATION
    profile = spec.profile or os.environ.get(_CONFIG_PROFILE_ENV) or "DEFAULT"
    try:
        config = oci.config.from_file(os.path.expanduser(path), profile)
    except (oci.exceptions.ConfigFileNotFound, oci.exceptions.ProfileNotFound) as exc:
        raise ConfigurationError(f"cannot read OCI config {path} [{profile}]: {exc}") from None
    except oci.exceptions.InvalidConfig as exc:
        raise ConfigurationError(f"invalid OCI config {path} [{profile}]: {exc}") from None
    return cast("dict[str, Any]", config)


def _build_signer(spec: AuthSpec) -> tuple[AuthSpec, Any]:
    """Build the SDK signer for a spec; returns the resolved spec with it."""
    ads_signer = _ads_global_signer(spec)
    if ads_signer is not None:
        return ads_signer
    spec = resolve_auth_type(spec)
    import oci

    kwargs = dict(spec.signer_kwargs)
    if spec.auth_type == "api_key":
        config = _config(spec)
        return spec, oci.signer.Signer.from_config(config)
    if spec.auth_type == "security_token":
        config = _config(spec)
        token_file = config.get("security_token_file")
        if not token_file:
            raise ConfigurationError(
                f"profile {spec.profile or 'DEFAULT'} has no security_token_file: run "
                "`oci session authenticate` or use auth='api_key'"
            )
        with open(os.path.expanduser(token_file), encoding="utf-8") as handle:
            token = handle.read().strip()
        key = oci.signer.load_private_key_from_file(config["key_file"], config.get("pass_phrase"))
        return spec, oci.auth.signers.SecurityTokenSigner(token, key)
    if spec.auth_type == "resource_principal":
        return spec, oci.auth.signers.get_resource_principals_signer()
    return spec, oci.auth.signers.InstancePrincipalsSecurityTokenSigner(**kwargs)
