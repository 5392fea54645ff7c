"""Object Storage bucket names (data only).

Source: the SDK's ``CreateBucketDetails.name`` docstring ("Valid characters are uppercase
or lowercase letters, numbers, hyphens, underscores, and periods.") and OCI's "Managing
Buckets" page (:data:`~oci_tei.contract._sources.BUCKET_NAME_DOC`). No length limit is
stated there, so none is enforced.
"""

from __future__ import annotations

import re

from oci_tei.contract._sources import BUCKET_NAME_DOC

__all__ = ["BUCKET_NAME_PATTERN", "SOURCE"]

SOURCE = BUCKET_NAME_DOC
#: A bucket name: ASCII letters, digits, '-', '_' and '.', at least one.
BUCKET_NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
