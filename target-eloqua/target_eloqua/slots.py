"""A stream's two import definitions: one stages rows while the other's sync runs in Eloqua.

Eloqua allows one pending or active sync per import definition and advises against uploading
into a definition whose sync is not finished (eloqua-api.md §3.3), so a stream keeps two
definitions and alternates them. At most one sync of a stream is in flight at a time: the
next one is started only after it reached a terminal status and its rejects were accounted
for, so a row that is in both syncs ends with the later value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from target_eloqua.bulk import Sync
from target_eloqua.encode import Spill


@dataclass
class Slot:
    """One import definition and what is staged on it for its next sync.

    Attributes:
        uri: the definition's `uri` (None until the first upload creates it).
        spill: the bodies POSTed for its next or running sync, kept until that sync is
            terminal so they can be staged again after an unknown outcome.
        posted_ids: hashes of the identifiers POSTed for its next sync.
        bytes: bytes POSTed for its next sync.
        posts: data POSTs for its next sync.
        rows: rows POSTed for its next sync.
    """

    uri: str | None = None
    spill: Spill = field(default_factory=Spill)
    posted_ids: set[int] = field(default_factory=set)
    bytes: int = 0
    posts: int = 0
    rows: int = 0

    def reset(self) -> None:
        """Forget the staged sync (it is terminal and accounted, or it was never started)."""
        self.posted_ids = set()
        self.spill.reset()
        self.bytes = self.posts = self.rows = 0


@dataclass(frozen=True)
class InFlight:
    """A sync started and not yet seen terminal.

    Attributes:
        slot: the slot whose staged rows it syncs.
        sync: the sync as Eloqua created it.
        rows: the rows it carries.
    """

    slot: Slot
    sync: Sync
    rows: int


class SlotPair:
    """The two slots of a stream, which one stages, and the sync in flight, if any."""

    def __init__(self) -> None:
        """Start with the first slot staging and nothing in flight."""
        self.slots = (Slot(), Slot())
        self._staging = 0
        #: The slot new rows are POSTed to (never the one whose sync is in flight). A plain
        #: attribute rather than a property: it is read for every record.
        self.staging = self.slots[0]
        self.in_flight: InFlight | None = None
        # The first failure of an in-flight sync: raised again by every later settle, so
        # no drain can ever return (and let a STATE out) after it.
        self.failure: BaseException | None = None

    @property
    def uris(self) -> list[str]:
        """The definitions that exist."""
        return [slot.uri for slot in self.slots if slot.uri is not None]

    @property
    def rows_in_flight(self) -> int:
        """Rows of the sync in flight (0 when none)."""
        return self.in_flight.rows if self.in_flight is not None else 0

    def launched(self, sync: Sync) -> None:
        """Record the staging slot's sync as in flight and stage on the other slot from now.

        Args:
            sync: the sync just created on the staging slot's definition.

        Raises:
            RuntimeError: another sync is still in flight (a bug: settle it first).
        """
        if self.in_flight is not None:
            raise RuntimeError("a sync was started while another of the stream was in flight")
        slot = self.staging
        self.in_flight = InFlight(slot, sync, slot.rows)
        # A repeat of one of its identifiers is fine in the next sync, which starts only
        # after this one is terminal: memory keeps one sync's identifiers, not two.
        slot.posted_ids = set()
        self._staging = 1 - self._staging
        self.staging = self.slots[self._staging]

    def settle(self, finish: Callable[[InFlight], None]) -> None:
        """Wait for the sync in flight through `finish`; its slot is then free to stage again.

        Args:
            finish: waits for the sync to be terminal and accounts for it; raises on failure.
        """
        if self.failure is not None:
            raise self.failure
        flight = self.in_flight
        if flight is None:
            return
        try:
            finish(flight)
        except BaseException as exc:
            self.failure = exc
            raise
        self.in_flight = None
        flight.slot.reset()

    def close(self) -> None:
        """Delete both spill files."""
        for slot in self.slots:
            slot.spill.close()
