"""The :class:`Emulator`: one aiohttp application on one loopback port, in its own thread."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from oci_tei_emulator import _artifacts as artifacts
from oci_tei_emulator import _authorize as authorize
from oci_tei_emulator import _datascience as datascience
from oci_tei_emulator import _gateway as gateway
from oci_tei_emulator import _iam_api as iam_api
from oci_tei_emulator import _identity as identity
from oci_tei_emulator import _limits_api as limits_api
from oci_tei_emulator import _log_search as log_search
from oci_tei_emulator import _logging_api as logging_api
from oci_tei_emulator import _monitoring as monitoring
from oci_tei_emulator import _objectstorage as objectstorage
from oci_tei_emulator import _ocir as ocir
from oci_tei_emulator import _private_endpoints as private_endpoints
from oci_tei_emulator import _resource_search as resource_search
from oci_tei_emulator import _tenancy as tenancy
from oci_tei_emulator._config import EmulatorConfig
from oci_tei_emulator._containers import ContainerManager
from oci_tei_emulator._context import (
    EmulatorContext,
    logger,
    new_ocid,
    oci_middleware,
    region_key,
)
from oci_tei_emulator._keys import (
    default_profile_public_key,
    fingerprint,
    generate_private_key,
    load_public_key,
    private_key_pem,
)
from oci_tei_emulator._principals import (
    METADATA_BASE_URL,
    RP_RPST,
    CertificateAuthority,
    write_resource_principal_env,
)
from oci_tei_emulator._registry import RegistryServer
from oci_tei_emulator._signature import SignatureVerifier
from oci_tei_emulator._tokens import TokenIssuer
from oci_tei_emulator._unknown import CATCH_ALL, unknown_path
from oci_tei_local import Backend
from oci_tei_local._app_thread import AppThread

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 60.0


def _trusted_keys(config: EmulatorConfig) -> list[rsa.RSAPublicKey]:
    keys = [load_public_key(source) for source in config.trusted_public_keys]
    if not keys and config.trust_default_profile:
        try:
            keys.append(default_profile_public_key(config.oci_config_file))
        except ValueError as exc:
            logger.warning("trusting no API key: %s", exc)
    return keys


class Emulator:
    """OCI Object Storage, Data Science and Model Deployment on one loopback port.

    Instances share nothing; several may run at once. Use as a context manager, or call
    :meth:`start` and :meth:`stop`.

    Args:
        config: settings; OCI's defaults when None.
        shared_backends: for the in-process container runner, embedding backends already
            loaded, by the model directory they were loaded from; a deployment whose model
            files equal one of these directories reuses its backend instead of loading.

    Example:
        >>> with Emulator(EmulatorConfig(trusted_public_keys=["~/.oci/key.pem"])) as emu:
        ...     client = oci.object_storage.ObjectStorageClient(config, service_endpoint=emu.url)
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        shared_backends: Mapping[Path, Backend] | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self._own_dir = self.config.data_dir is None
        data_dir = self.config.data_dir or Path(tempfile.mkdtemp(prefix="oci-tei-emulator-"))
        issuer = TokenIssuer(self.config.token_expiry_windows)
        self._ctx = EmulatorContext(
            config=self.config,
            verifier=SignatureVerifier(
                _trusted_keys(self.config), issuer, self.config.clock_skew_s
            ),
            issuer=issuer,
            ca=CertificateAuthority(self.config.tenancy_id, self.config.region),
            data_dir=data_dir,
        )
        self.containers = ContainerManager(
            self.config.container_runner,
            data_dir / "containers",
            shared_backends or {},
            self.config.container_start_timeout_s,
        )
        self._thread = AppThread("oci-tei-emulator")
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._rp_keys: dict[Path, rsa.RSAPrivateKey] = {}
        #: Compartments, IAM, OCIR images, limits and logs (strict or open, see ``.tenancy``).
        self.tenancy = tenancy.TenancyState(self.config)
        #: OCIR repositories, the token service's key, and the registry when attached.
        self.ocir = ocir.OcirState(_region_key(self.config.region), self.config.namespace)

    def __repr__(self) -> str:
        return f"Emulator(url={self._url!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[oci_middleware, authorize.authorize_middleware],
            client_max_size=64 * 1024**2,
        )
        app[gateway.CONTEXT] = self._ctx
        identity.add_routes(app)
        app[tenancy.TENANCY] = self.tenancy
        iam_api.add_routes(app)
        ocir.add_routes(app, self.ocir)
        artifacts.add_routes(app)
        limits_api.add_routes(app)
        logging_api.add_routes(app)
        log_search.add_routes(app)
        resource_search.add_routes(app)
        objectstorage.add_routes(app)
        datascience.add_routes(app, self.containers)
        private_endpoints.add_routes(app)
        monitoring.add_routes(app, self._ctx)
        gateway.add_routes(app)
        app.router.add_route("*", CATCH_ALL, unknown_path)
        return app

    async def _serve(self) -> str:
        self._ctx.http = aiohttp.ClientSession(auto_decompress=False)
        self._runner = web.AppRunner(self._build_app(), access_log=None)
        try:
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.config.host, self.config.port)
            await site.start()
        except BaseException:
            await self._shutdown()
            raise
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    def start(self) -> Emulator:
        """Start serving in a background thread; returns once the port accepts requests.

        Raises:
            RuntimeError: already started.
            OSError: the port cannot be bound.
            TimeoutError: not serving within 60 s.
        """
        if self._thread.running:
            raise RuntimeError("emulator already started")
        self._url = self._thread.start(self._serve, _START_TIMEOUT_S)
        self._ctx.base_url = self._url
        if self.config.ocir_registry:
            try:
                self.attach_registry()
            except BaseException:
                self.stop()
                raise
        logger.info("OCI emulator serving on %s", self._url)
        return self

    def attach_registry(self) -> RegistryServer:
        """Start a ``docker-registry`` as this region's OCIR (token realm: this emulator).

        Raises:
            FileNotFoundError: ``docker-registry`` is not installed.
        """
        if self.ocir.server is None:
            server = RegistryServer(self.ocir.authority, ocir.realm_of(self.url), name="ocir")
            self.ocir.server = server.start()
        return self.ocir.server

    @property
    def ocir_host(self) -> str:
        """This region's OCIR host as images name it (``iad.ocir.io``)."""
        return f"{_region_key(self.config.region)}.ocir.io"

    @property
    def ocir_endpoints(self) -> dict[str, str]:
        """``{ocir_host: registry URL}`` (``OCI_TEI_REGISTRY_ENDPOINTS``); empty if none."""
        server = self.ocir.server
        return {self.ocir_host: server.url} if server is not None else {}

    async def _shutdown(self) -> None:
        await self.containers.stop_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._ctx.http is not None:
            await self._ctx.http.close()

    def stop(self) -> None:
        """Stop serving, stop every container and remove the emulator's temp data."""
        if not self._thread.running:
            return
        try:
            if self.ocir.server is not None:
                self.ocir.server.stop()
                self.ocir.server = None
            self._thread.stop(self._shutdown, _STOP_TIMEOUT_S)
        finally:
            self._url = None
            if self._own_dir:
                shutil.rmtree(self._ctx.data_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- where it is -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the ``service_endpoint`` for every OCI client."""
        if self._url is None:
            raise RuntimeError("emulator not started")
        return self._url

    @property
    def instance_metadata_url(self) -> str:
        """The IMDS base URL for ``OCI_METADATA_BASE_URL`` (instance principals)."""
        return f"{self.url}{identity.IMDS_PREFIX}"

    @property
    def federation_endpoint(self) -> str:
        """The ``federation_endpoint`` for ``InstancePrincipalsSecurityTokenSigner``."""
        return f"{self.url}{identity.FEDERATION_PATH}"

    @property
    def namespace(self) -> str:
        """The Object Storage namespace."""
        return self.config.namespace

    @property
    def data_dir(self) -> Path:
        """Where objects and deployed models are stored."""
        return self._ctx.data_dir

    @property
    def fault_counts(self) -> dict[str, int]:
        """How many predict calls drew each fault so far (``none`` included)."""
        return dict(self._ctx.faults.counts)

    @property
    def predict_bytes(self) -> int:
        """Request and response body bytes the predict gateway carried so far."""
        return self._ctx.shaper.bytes_total

    @property
    def trusted_fingerprints(self) -> list[str]:
        """Fingerprints of the API keys this emulator trusts."""
        return self._ctx.verifier.trusted_fingerprints

    def predict_url(self, ocid: str) -> str:
        """The predict URL of a deployment on this emulator."""
        return f"{self.url}/{ocid}/predict"

    # -- trust and tokens --------------------------------------------------------------------

    def trust_public_key(self, key: str | Path | rsa.RSAPublicKey) -> str:
        """Trust one more API key (PEM text, PEM path or key); returns its fingerprint."""
        public = key if isinstance(key, rsa.RSAPublicKey) else load_public_key(key)
        return self._ctx.verifier.trust(public)

    def issue_security_token(
        self,
        public_key: rsa.RSAPublicKey | str | Path,
        ttl_s: float = 3600.0,
        *,
        subject: str = "ocid1.user.oc1..aaaaaaaaemulatoruser",
        principal_type: str = "user",
        tenancy: str | None = None,
    ) -> str:
        """Issue a session token accepted as ``ST$<token>`` for requests signed by the key.

        Args:
            public_key: the key (or PEM) whose private half will sign requests.
            ttl_s: lifetime in seconds.
            subject: the principal OCID in ``sub``.
            principal_type: ``user``, ``instance`` or ``resource``.
            tenancy: tenancy OCID; the emulator's when None.

        Returns:
            The JWT, as ``oci session authenticate`` writes it to ``security_token_file``.
        """
        public = (
            public_key if isinstance(public_key, rsa.RSAPublicKey) else load_public_key(public_key)
        )
        return self._ctx.issuer.issue(
            public,
            subject=subject,
            tenancy=tenancy or self.config.tenancy_id,
            principal_type=principal_type,
            ttl_s=ttl_s,
            extra_claims={"res_compartment": tenancy or self.config.tenancy_id},
        )

    def expire_tokens(self) -> None:
        """Report every token issued until now as expired from now on; new ones work."""
        self._ctx.issuer.expire_all()

    # -- principal environments --------------------------------------------------------------

    def write_api_key_config(self, directory: str | Path, *, profile: str = "DEFAULT") -> Path:
        """Make a throwaway API key, trust it, and write an OCI config file that uses it.

        The file appears atomically, complete, so a script may wait for it to exist.

        Returns:
            The config file (``oci.config.from_file(path)`` signs with the new key).
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        key = generate_private_key()
        key_file = directory / "emulator_key.pem"
        key_file.write_text(private_key_pem(key))
        key_file.chmod(0o600)
        self.trust_public_key(key.public_key())
        config = directory / "config"
        partial = directory / ".config.partial"
        partial.write_text(
            f"[{profile}]\n"
            "user=ocid1.user.oc1..aaaaaaaaemulatoruser\n"
            f"fingerprint={fingerprint(key.public_key())}\n"
            f"tenancy={self.config.tenancy_id}\n"
            f"region={self.config.region}\n"
            f"key_file={key_file.resolve()}\n"
        )
        partial.chmod(0o600)
        partial.replace(config)
        return config

    def session_token_config(
        self, directory: str | Path, *, ttl_s: float = 3600.0, profile: str = "DEFAULT"
    ) -> Path:
        """Write a security-token profile (as ``oci session authenticate`` does).

        Returns:
            The config file; ``oci.config.from_file(path)`` yields ``security_token_file``
            and ``key_file`` for ``oci.auth.signers.SecurityTokenSigner``.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        key = generate_private_key()
        key_file = directory / "session_key.pem"
        key_file.write_text(private_key_pem(key))
        key_file.chmod(0o600)
        token_file = directory / "security_token"
        token_file.write_text(self.issue_security_token(key.public_key(), ttl_s))
        config = directory / "config"
        config.write_text(
            f"[{profile}]\n"
            f"tenancy={self.config.tenancy_id}\n"
            f"fingerprint={fingerprint(key.public_key())}\n"
            f"key_file={key_file}\n"
            f"security_token_file={token_file}\n"
            f"region={self.config.region}\n"
        )
        return config

    def resource_principal_env(
        self, directory: str | Path, *, ttl_s: float = 3600.0
    ) -> dict[str, str]:
        """Write a resource principal v2.2 token and key; return the environment to set.

        ``oci.auth.signers.get_resource_principals_signer()`` then works against this
        emulator; :meth:`refresh_resource_principal_token` rotates the token in place.
        """
        directory = Path(directory).resolve()
        key = generate_private_key()
        self._rp_keys[directory] = key
        return write_resource_principal_env(
            directory, self._rp_token(key, ttl_s), key, self.config.region
        )

    def refresh_resource_principal_token(
        self, directory: str | Path, *, ttl_s: float = 3600.0
    ) -> None:
        """Write a new RPST where :meth:`resource_principal_env` wrote the first one."""
        directory = Path(directory).resolve()
        key = self._rp_keys.get(directory)
        if key is None:
            raise ValueError(f"no resource principal environment was written to {directory}")
        Path(write_resource_principal_env(
            directory, self._rp_token(key, ttl_s), key, self.config.region
        )[RP_RPST])  # fmt: skip

    def _rp_token(self, key: rsa.RSAPrivateKey, ttl_s: float) -> str:
        return self.issue_security_token(
            key.public_key(),
            ttl_s,
            subject=new_ocid("datasciencenotebooksession", self.config.region),
            principal_type="resource",
        )

    def instance_principal_env(self) -> dict[str, str]:
        """The environment that points instance principals at this emulator's IMDS.

        Pass :attr:`federation_endpoint` to ``InstancePrincipalsSecurityTokenSigner`` too.
        """
        return {METADATA_BASE_URL: self.instance_metadata_url}

    # -- predict targets ---------------------------------------------------------------------

    def register_deployment(
        self,
        container_url: str,
        predict_endpoint: str | None = "/v1/embeddings",
        *,
        ocid: str | None = None,
        compartment_id: str = "",
    ) -> str:
        """Make ``/{ocid}/predict`` forward to an already running TEI-compatible server.

        Args:
            container_url: base URL of the server, e.g. ``http://127.0.0.1:8080``.
            predict_endpoint: as ``MODEL_DEPLOY_PREDICT_ENDPOINT``; None means ``/predict``.
            ocid: the deployment OCID to use; a fresh one when None.
            compartment_id: the deployment's compartment: a strict tenancy authorizes its
                predict calls there (empty: in the tenancy).

        Returns:
            The deployment OCID.
        """
        ocid = ocid or new_ocid("datasciencemodeldeployment", self.config.region)
        with self._ctx.lock:
            self._ctx.targets[ocid] = self._ctx.target(
                ocid, container_url, predict_endpoint, compartment_id=compartment_id
            )
        return ocid

    def bandwidth_mbps(self, ocid: str) -> float:
        """The bandwidth the predict gateway throttles a deployment at (0: unthrottled)."""
        with self._ctx.lock:
            return self._ctx.targets[ocid].shaper.mbps

    def unregister_deployment(self, ocid: str) -> None:
        """Forget a predict target (its calls then get 404)."""
        with self._ctx.lock:
            self._ctx.targets.pop(ocid, None)

    def set_deployment_health(self, ocid: str, healthy: bool) -> None:
        """Mark a registered target unhealthy (503) or healthy again."""
        with self._ctx.lock:
            self._ctx.targets[ocid].active = healthy


def _region_key(region: str) -> str:
    """``us-ashburn-1`` -> ``iad`` (the SDK's table), as OCIR hosts name regions."""
    return region_key(region)


__all__ = ["Emulator"]
