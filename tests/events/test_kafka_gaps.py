"""The native Kafka consumer's gap check: a fetch that skips an offset is fetched again
(a benchmark run on Tansu handed the consumer a partition's messages with one missing,
and committing past it lost the event). The real consumer is exercised in test_kafka."""

from __future__ import annotations

from dataclasses import dataclass

from bazaar_platform.events.brokers.kafka import _first_gap


@dataclass
class _Fetched:
    """What ``_first_gap`` reads of a confluent-kafka message."""

    _topic: str
    _partition: int
    _offset: int

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset


def test_contiguous_offsets_have_no_gap():
    batch = [_Fetched("t", 0, 5), _Fetched("t", 1, 9), _Fetched("t", 0, 6)]
    assert _first_gap(batch, {("t", 0): 5, ("t", 1): 9}) is None


def test_a_skipped_offset_is_reported_with_the_missing_offset():
    batch = [_Fetched("t", 0, 5), _Fetched("t", 0, 7)]
    assert _first_gap(batch, {("t", 0): 5}) == ("t", 0, 6)
    assert _first_gap([_Fetched("t", 2, 4)], {("t", 2): 3}) == ("t", 2, 3)


def test_unknown_partitions_and_redeliveries_are_not_gaps():
    # A partition whose starting point is unknown is not judged; an offset below the
    # expected one is a redelivery after a seek, not a gap.
    assert _first_gap([_Fetched("t", 0, 40)], {}) is None
    assert _first_gap([_Fetched("t", 0, 2), _Fetched("t", 0, 3)], {("t", 0): 5}) is None
