"""The offsets ledger's planning rule (pure): contiguous ranges, gaps and mismatches named."""

from __future__ import annotations

import pytest

from retail_kpi.events.ledger import LedgerMismatchError, OffsetGapError, Range, next_ranges


def test_a_new_batch_starts_where_the_last_ended_and_new_partitions_at_their_low_mark():
    marks = {("t", 0): (0, 10), ("t", 1): (3, 7), ("t", 2): (0, 4)}
    ranges = next_ranges({("t", 0): 6, ("t", 2): 4}, marks)
    assert ranges == [Range("t", 0, 6, 10), Range("t", 1, 3, 7)]  # t/2: nothing new


def test_messages_expired_before_they_were_read_fail_naming_them():
    with pytest.raises(OffsetGapError, match=r"t/0 offsets 6\.\.8"):
        next_ranges({("t", 0): 6}, {("t", 0): (9, 12)})


def test_a_topic_behind_the_ledger_fails_instead_of_silently_reading_nothing():
    with pytest.raises(LedgerMismatchError, match="t/1 ends at offset 5, read up to 1544"):
        next_ranges({("t", 0): 2, ("t", 1): 1544}, {("t", 0): (0, 2), ("t", 1): (0, 5)})
