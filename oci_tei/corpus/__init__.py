"""``oci-tei embed``: embed a corpus file into Parquet or ``.npy``, resumably.

* :mod:`oci_tei.corpus._readers` — JSON Lines, Parquet, CSV, plain text, standard input.
* :mod:`oci_tei.corpus._store` — the partial output: row groups written as they complete,
  a manifest recording them, and the final file made by one atomic rename.
* :mod:`oci_tei.corpus._cli` — the command.

Parquet needs pyarrow (``pip install "oci-tei[corpus]"``); ``.npy`` output and JSON
Lines, CSV and text input need nothing beyond the core.
"""
