"""Background syncs: a worker thread applies syncs as soon as they are created, as Eloqua does.

With the `background_syncs` setting on, a new sync is queued here and its status polls only report
where it is: `pending` while queued, `active` while applied, then `success`/`warning`/`error`. One
worker per emulator applies the syncs one at a time in creation order. It holds the backend's
lock only to start a sync, to write each upload and to finish, and checks values in between
without it, so polls, uploads and control reads proceed while a sync applies (they see the
uploads written so far, as readers of a real Eloqua instance do).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from sandbox.eloqua.apply import Applier
from sandbox.eloqua.syncs import Outcome, Sync, SyncStatus
from sandbox.eloqua.uploads import paused_gc

if TYPE_CHECKING:
    from sandbox.eloqua.backend import EloquaBackend


class SyncWorker:
    """The queue of background syncs of one backend and the thread applying them."""

    def __init__(self, backend: EloquaBackend) -> None:
        """Serve `backend`; the thread starts with the first sync queued."""
        self.backend = backend
        self._queue: deque[tuple[Sync, int]] = deque()
        self._changed = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit(self, sync: Sync, generation: int) -> None:
        """Queue a sync created in the backend's `generation` (its state since the last reset)."""
        with self._changed:
            self._queue.append((sync, generation))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="sandbox-eloqua-syncs", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def clear(self) -> None:
        """Forget the queued syncs (a reset); one being applied is abandoned at its next step."""
        with self._changed:
            self._queue.clear()
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no sync is queued or being applied; False if `timeout` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._queue and not self._busy, timeout)

    def _serve(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._queue))
                sync, generation = self._queue.popleft()
                self._busy = True
            try:
                self._apply(sync, generation)
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def _apply(self, sync: Sync, generation: int) -> None:
        """Apply one sync; give up as soon as a reset has replaced the state it belongs to."""
        backend = self.backend
        with backend.lock:
            if backend.generation != generation:
                return
            now = time.time()
            sync.status, sync.started_at = SyncStatus.ACTIVE, now
            if sync.forced == "never":
                return
            prepared = backend.prepare(sync, now)
        if isinstance(prepared, Applier):
            with paused_gc(long_lived=True):
                for upload in sync.uploads:
                    batch = prepared.check(upload)
                    with backend.lock:
                        if backend.generation != generation:
                            return
                        prepared.write(upload, batch)
        with backend.lock:
            if backend.generation != generation:
                return
            outcome = prepared if isinstance(prepared, Outcome) else prepared.result(sync.uploads)
            backend.conclude(sync, outcome, time.time())
