"""Data POSTs on a worker thread, one at a time, so the next chunk is encoded meanwhile.

A data POST of ~20 MB takes Eloqua a while to receive and parse; done in line, the target reads
no input meanwhile and the tap upstream stalls on a full pipe. Here the POST runs on a worker
thread (sending and waiting release the GIL) while the main thread goes on converting and
encoding rows into the next chunk. At most one POST is outstanding: the next one, and anything
that depends on what is staged (starting a sync, re-staging, deleting a definition), first
waits for it and re-raises its failure in the main thread, so ordering and the state rules are
the same as with in-line POSTs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

LOGGER = logging.getLogger("target_eloqua.uploads")


class BackgroundUploads:
    """Runs one stream's uploads on a single worker thread, at most one outstanding."""

    def __init__(self, stream: str) -> None:
        """Create the worker lazily, on the first upload.

        Args:
            stream: the stream name (names the thread).
        """
        self._stream = stream
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    @property
    def outstanding(self) -> bool:
        """Whether an upload was handed over and its outcome not yet collected."""
        return self._pending is not None

    def submit(self, upload: Callable[[], None]) -> None:
        """Wait for the previous upload (raising its failure), then start this one.

        Args:
            upload: performs the POST and records it (runs on the worker thread).
        """
        self.wait()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"upload-{self._stream}"
            )
        self._pending = self._executor.submit(upload)

    def wait(self) -> None:
        """Return once no upload is outstanding; re-raise a failed upload's exception."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for an outstanding upload (its failure only logged) and stop the worker.

        Called on the way out, also after a failure, before the definitions are deleted:
        no POST may reach a definition after its deletion.
        """
        try:
            self.wait()
        except Exception as exc:  # the run is ending: the first failure was already raised
            LOGGER.warning("Stream '%s': an upload failed while closing: %s", self._stream, exc)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
