"""Bulk-insert pipeline: the next batch is encoded while the current one is written, one write
in flight at a time, in order, and no failure leaves work running behind it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from dab.storage.pipeline import pipelined

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(self) -> None:
        self.written: list[list[int]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def write(self, values: list[int]) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.written.append(values)
        self.in_flight -= 1


def _double(batch: list[int]) -> list[int]:
    return [2 * x for x in batch]


async def test_writes_every_encoded_batch_in_order_one_at_a_time() -> None:
    recorder = Recorder()
    await pipelined([[1, 2], [3], [4, 5, 6], []], _double, recorder.write)
    assert recorder.written == [[2, 4], [6], [8, 10, 12], []]
    assert recorder.most_in_flight == 1


async def test_no_batches_no_writes() -> None:
    recorder = Recorder()
    await pipelined([], _double, recorder.write)
    assert recorder.written == []


async def test_the_next_batch_is_encoded_while_a_write_is_pending() -> None:
    # The first write waits until the second batch's encode has started: a plain loop would
    # never start it, and the wait would time out.
    second_encode_started = threading.Event()

    def encode(batch: list[int]) -> list[int]:
        if batch == [2]:
            second_encode_started.set()
        return batch

    written: list[list[int]] = []

    async def write(values: list[int]) -> None:
        if values == [1]:
            assert await asyncio.to_thread(second_encode_started.wait, 5), "no overlap"
        written.append(values)

    await pipelined([[1], [2], [3]], encode, write)
    assert written == [[1], [2], [3]]


async def test_an_encode_failure_is_raised_after_the_pending_write_ends() -> None:
    recorder = Recorder()

    def encode(batch: list[int]) -> list[int]:
        if batch == [3]:
            raise ValueError("bad row")
        return batch

    with pytest.raises(ValueError, match="bad row"):
        await pipelined([[1], [2], [3], [4]], encode, recorder.write)
    assert recorder.in_flight == 0  # the write of [2], pending while [3] was encoded, ended
    assert recorder.written == [[1], [2]]


async def test_a_write_failure_waits_for_the_encode_and_stops() -> None:
    encoded: list[list[int]] = []
    finished = threading.Event()

    def encode(batch: list[int]) -> list[int]:
        encoded.append(batch)
        if batch == [2]:
            threading.Event().wait(0.05)
            finished.set()
        return batch

    async def write(values: list[int]) -> None:
        raise RuntimeError(f"write {values} failed")

    with pytest.raises(RuntimeError, match=r"write \[1\] failed"):
        await pipelined([[1], [2], [3]], encode, write)
    assert finished.is_set()  # the encode of [2] ended before the failure was raised
    assert encoded == [[1], [2]]
