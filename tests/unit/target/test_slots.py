"""The two import definitions of a stream: alternation, one sync in flight, sticky failures."""

from __future__ import annotations

import pytest
from target_eloqua.bulk import Sync
from target_eloqua.slots import InFlight, SlotPair


def _sync(number: int) -> Sync:
    return Sync(uri=f"/syncs/{number}", status=None, raw_status="pending")


def test_a_launch_moves_staging_to_the_other_slot_and_frees_it_when_settled():
    pair = SlotPair()
    first = pair.staging
    first.uri, first.rows, first.posts = "/customObjects/1/imports/1", 3, 1
    first.posted_ids.add(hash("A"))
    pair.launched(_sync(1))
    assert pair.staging is not first
    assert pair.rows_in_flight == 3
    assert first.posted_ids == set()  # one sync's identifiers in memory, not two
    seen: list[InFlight] = []
    pair.settle(seen.append)
    assert [f.sync.uri for f in seen] == ["/syncs/1"]
    assert pair.in_flight is None
    assert (first.rows, first.posts) == (0, 0)
    assert first.uri == "/customObjects/1/imports/1"  # kept for the next alternation
    pair.settle(seen.append)  # nothing in flight: nothing to wait for
    assert len(seen) == 1


def test_a_second_sync_cannot_start_while_one_is_in_flight():
    pair = SlotPair()
    pair.launched(_sync(1))
    with pytest.raises(RuntimeError):
        pair.launched(_sync(2))


def test_a_failed_sync_in_flight_fails_every_later_settle():
    pair = SlotPair()
    pair.staging.rows = 2
    pair.launched(_sync(1))

    def fail(flight: InFlight) -> None:
        raise ValueError(flight.sync.uri)

    with pytest.raises(ValueError, match="/syncs/1"):
        pair.settle(fail)
    assert pair.rows_in_flight == 2  # never acknowledged
    with pytest.raises(ValueError, match="/syncs/1"):
        pair.settle(lambda flight: None)
