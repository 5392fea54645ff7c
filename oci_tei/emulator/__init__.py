"""An OCI Model Deployment emulator on loopback, for the real ``oci`` SDK and oracle-ads.

One :class:`Emulator` serves, on one port, Object Storage (``/n/...``), Data Science and
its work requests (``/20190101/...``), the Model Deployment predict gateway
(``/{ocid}/predict``) and what instance principals need (IMDS under ``/opc/v2``, federation
at ``/v1/x509``). Every request must carry a valid OCI request signature.
"""

from __future__ import annotations

from oci_tei.emulator.config import EmulatorConfig, FaultConfig, TokenExpiryWindow
from oci_tei.emulator.emulator import Emulator

__all__ = ["Emulator", "EmulatorConfig", "FaultConfig", "TokenExpiryWindow"]
