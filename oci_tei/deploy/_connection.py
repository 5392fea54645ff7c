"""How the deploy commands reach OCI: an identity plus, optionally, a service endpoint.

The identity is the package's :class:`oci_tei._auth.AuthSpec` (no key material). oracle-ads
keeps its own global auth, so :meth:`Connection.configure_ads` hands the identity to
``ads.set_auth``; the oci SDK clients this module builds take the very signer ADS built,
so ADS calls and our own calls always act as the same principal. ``service_endpoint``
points every client at another control plane (the OCI emulator, on loopback).
"""

from __future__ import annotations

import argparse
import os
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from oci_tei._auth import AUTH_TYPES, AuthSpec, resolve_auth_type
from oci_tei._endpoint import is_loopback_host

__all__ = [
    "Connection",
    "add_connection_arguments",
    "connection_from_args",
    "service_endpoint_argument",
]


class _AdsAuth:
    """oracle-ads' ``default_signer()`` answer, rebuilt only when ADS's auth state changes.

    Each ``default_signer()`` call builds a new signer: it reads and validates the API key
    (about 40 ms of CPU for an RSA key) or, as a resource principal, fetches a new token. A
    deploy makes dozens of SDK clients, and they all sign as one identity, so the answer
    is kept as long as ``ads.set_auth`` has not been called with something else since.
    A session token is the exception: its signer never rereads the token file, and a
    long deploy must pick up an ``oci session refresh`` made meanwhile, as before.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, Any] | None = None
        self._auth: dict[str, Any] = {}

    def get(self) -> dict[str, Any]:
        from ads.common.auth import AuthState, default_signer

        with self._lock:
            state = dict(vars(AuthState()))
            if state.get("oci_iam_type") == "security_token":
                return default_signer()  # type: ignore[no-any-return]
            if state != self._state:
                self._auth = default_signer()
                self._state = state
            return self._auth

    # A copy or a pickle starts empty: a lock does not pickle, and the signer holds the key.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]


@dataclass(frozen=True)
class Connection:
    """Where and as whom deploy commands call OCI.

    Attributes:
        auth: The identity (``auth_type`` None selects automatically, as the client does).
        service_endpoint: Base URL for every OCI client instead of the region's endpoints.
    """

    auth: AuthSpec = field(default_factory=AuthSpec)
    service_endpoint: str | None = None
    _ads_auth: _AdsAuth = field(
        default_factory=_AdsAuth, init=False, repr=False, compare=False, hash=False
    )

    def ads_auth_type(self) -> str:
        """The auth type for ``ads.set_auth``: explicit, else the client's automatic choice."""
        resolved = resolve_auth_type(self.auth).auth_type
        assert resolved is not None
        return resolved

    def configure_ads(self) -> None:
        """Make oracle-ads (and :meth:`client`) use this identity and endpoint."""
        import ads

        kwargs: dict[str, Any] = {}
        if self.auth.config_file:
            kwargs["oci_config_location"] = os.path.expanduser(self.auth.config_file)
        if self.auth.profile:
            kwargs["profile"] = self.auth.profile
        if self.auth.signer_kwargs:
            kwargs["signer_kwargs"] = dict(self.auth.signer_kwargs)
        if self.service_endpoint:
            kwargs["client_kwargs"] = {"service_endpoint": self.service_endpoint}
        ads.set_auth(self.ads_auth_type(), **kwargs)

    def ads_auth(self) -> dict[str, Any]:
        """oracle-ads' ``default_signer()`` for its current auth: config, signer, client kwargs.

        One signer serves every client of this connection while ADS's auth is unchanged.
        """
        return self._ads_auth.get()

    def client(self, client_class: Any, *, region: str | None = None) -> Any:
        """An oci SDK client (e.g. ``oci.data_science.DataScienceClient``) as ADS would build it.

        Args:
            client_class: The SDK client class.
            region: Target region when no service endpoint is set (the spec's).
        """
        auth = self.ads_auth()
        client = client_class(auth["config"], signer=auth["signer"], **auth["client_kwargs"])
        if region and not self.service_endpoint:
            client.base_client.set_region(region)
        return client

    def configured_region(self) -> str | None:
        """The region the identity's config or signer names, if any."""
        auth = self.ads_auth()
        region = (auth.get("config") or {}).get("region")
        return region or getattr(auth.get("signer"), "region", None)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--auth``, ``--profile``, ``--config-file`` and ``--service-endpoint``."""
    group = parser.add_argument_group("OCI access")
    group.add_argument(
        "--auth",
        choices=AUTH_TYPES,
        default=None,
        help="identity: api_key, security_token, resource_principal or instance_principal "
        "(default: OCI_IAM_TYPE, resource principal inside OCI, else api_key)",
    )
    group.add_argument("--profile", default=None, help="profile in the OCI config file")
    group.add_argument("--config-file", default=None, help="OCI config file (~/.oci/config)")
    group.add_argument(
        "--service-endpoint",
        default=None,
        type=service_endpoint_argument,
        help="send every OCI call to this base URL (e.g. the oci-tei emulator)",
    )


def service_endpoint_argument(value: str) -> str:
    """``--service-endpoint``: an http(s) base URL; plain http only to loopback.

    Raises:
        argparse.ArgumentTypeError: Not such a URL (argparse reports it, exit status 2).
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"expected an http(s) URL such as http://127.0.0.1:8998, got {value!r}"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise argparse.ArgumentTypeError(
            f"refusing to send signed OCI calls over plain http to {parts.hostname}: use https "
            "(plain http is for loopback only, e.g. the oci-tei emulator)"
        )
    return value.rstrip("/")


def connection_from_args(args: argparse.Namespace) -> Connection:
    """The :class:`Connection` the parsed ``--auth``... arguments describe."""
    return Connection(
        auth=AuthSpec(args.auth, args.profile, args.config_file),
        service_endpoint=args.service_endpoint,
    )
