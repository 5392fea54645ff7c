"""``oci-tei embed`` with one moment made to last, so that a test can Ctrl-C it right there.

    python -m tests.corpus.interrupt_probe MOMENT MARKER AT embed ARGS...

The command is the real one; the probe only slows one call down (fault injection, in the
child process: no real part can be told to stall at a chosen input). Once the moment is
reached it creates ``MARKER``, then lasts until Ctrl-C (at most 60 s):

* ``counting``: the input's records are being counted (nothing sent yet);
* ``reading``: input ``AT`` is being read (a reader stalled, as a pipe whose writer paused);
* ``queued``: request number ``AT`` waits for its turn (nothing of it sent yet);
* ``writing``: the row group that reaches input ``AT`` is being written (a slow disk);
* ``bystander``: nothing is slowed; once ``MARKER`` exists (the test creates it), SIGINT
  is handled by another thread than the main one, as when the kernel hands Ctrl-C to
  whichever thread does not block it (a progress bar's monitor, say).
"""

from __future__ import annotations

import itertools
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MOMENTS = ("counting", "reading", "queued", "writing", "bystander")


def _reached(marker: Path) -> None:
    marker.touch()


def install(moment: str, marker: Path, at: int) -> None:
    """Patch the one call ``moment`` names."""
    from oci_tei.corpus import _cli as corpus_cli

    if moment == "counting":
        count_records = corpus_cli.count_records

        def counting(*args: Any, **kwargs: Any) -> int | None:
            total = count_records(*args, **kwargs)
            _reached(marker)
            time.sleep(60)  # the main thread: Ctrl-C ends it
            return total

        corpus_cli.count_records = counting
    elif moment == "reading":
        read_records = corpus_cli.read_records

        def reading(*args: Any, **kwargs: Any) -> Iterator[Any]:
            for index, record in enumerate(read_records(*args, **kwargs)):
                if index == at:
                    _reached(marker)
                    time.sleep(60)
                yield record

        corpus_cli.read_records = reading
    elif moment == "queued":
        from oci_tei._rate_limit import RequestRateLimiter

        wait = RequestRateLimiter.wait
        turns = itertools.count()

        def queued(self: RequestRateLimiter, abandon: threading.Event | None = None) -> None:
            if next(turns) == at:
                _reached(marker)
                assert abandon is not None
                abandon.wait(60)  # a worker thread: the call's end (Ctrl-C) ends it
                return
            wait(self, abandon)

        RequestRateLimiter.wait = queued  # type: ignore[method-assign]
    elif moment == "writing":
        from oci_tei.corpus._store import PartialOutput

        add = PartialOutput.add

        def writing(self: PartialOutput, *, records: int, **part: Any) -> None:
            if self.manifest.records < at <= self.manifest.records + records:
                _reached(marker)
                time.sleep(1.5)  # the writer thread: a slow disk, which Ctrl-C cannot stop
            add(self, records=records, **part)

        PartialOutput.add = writing  # type: ignore[method-assign]
    elif moment == "bystander":

        def bystander() -> None:
            while not marker.exists():
                time.sleep(0.02)
            # Delivered to this thread: its C handler runs here and only flags the main
            # thread, which sees it when it next runs Python code.
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)

        threading.Thread(target=bystander, daemon=True).start()
    else:
        raise SystemExit(f"unknown moment {moment!r}; one of {MOMENTS}")


def main() -> None:
    moment, marker, at, *argv = sys.argv[1:]
    install(moment, Path(marker), int(at))
    from oci_tei._cli import main as cli

    sys.exit(cli(argv))


if __name__ == "__main__":
    main()
