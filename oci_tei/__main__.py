"""``python -m oci_tei``: the ``oci-tei`` command."""

import sys

from oci_tei._cli import main

sys.exit(main())
