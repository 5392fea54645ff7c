"""``python -m oci_tei_local [TEI flags]``: run the local TEI-compatible server."""

from __future__ import annotations

import sys

from oci_tei_local._cli import main

if __name__ == "__main__":
    sys.exit(main())
