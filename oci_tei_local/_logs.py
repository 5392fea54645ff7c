"""Server logging as TEI prints it: text lines, or JSON lines with ``--json-output``.

Like TEI, logs go to stdout and ``LOG_LEVEL`` picks the level (default ``info``).
"""

from __future__ import annotations

__all__ = ["JsonFormatter", "configure_logging"]

import datetime
import json
import logging
import os
import sys
from typing import Final, TextIO

_LEVELS: Final = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
_HANDLER_NAME: Final = "oci-tei-serve"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the fields of TEI's flattened JSON events."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a JSON line."""
        stamp = datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc)
        event = {
            "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": "WARN" if record.levelname == "WARNING" else record.levelname,
            "message": record.getMessage(),
            "target": record.name,
            "filename": record.pathname,
            "line_number": record.lineno,
        }
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def configure_logging(*, json_output: bool, stream: TextIO | None = None) -> None:
    """Send the server's, ``oci_tei``'s and ``aiohttp``'s logs to stdout in TEI's format.

    Args:
        json_output: JSON lines instead of text.
        stream: Where to write (stdout by default).
    """
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.set_name(_HANDLER_NAME)
    if json_output:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)5s %(name)s: %(message)s"))
    level = _LEVELS.get(os.environ.get("LOG_LEVEL", "info").lower(), logging.INFO)
    for name in ("oci_tei_local", "oci_tei", "aiohttp"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
