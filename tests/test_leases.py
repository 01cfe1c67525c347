"""One per-host ceiling for a whole run split among crawl processes (crawler/leases.py)."""

from __future__ import annotations

import random
from pathlib import Path

from crawler.leases import HostLeases, clear_process, create_table

HOST = "drive.example.gt"


def _pair(tmp_path: Path, ceiling: int = 2) -> tuple[Path, HostLeases, HostLeases]:
    path = tmp_path / "run.leases"
    create_table(path, 2)
    return path, HostLeases(path, 0, 2, ceiling), HostLeases(path, 1, 2, ceiling)


def test_a_lone_process_gets_the_whole_ceiling_and_a_second_waits(tmp_path: Path) -> None:
    _, a, b = _pair(tmp_path)
    assert a.adjust(HOST, in_flight=0, waiting=30) == 2
    assert b.adjust(HOST, in_flight=0, waiting=30) == 0  # no room: a holds both slots
    # a keeps what is in flight, and gives back down to its fair share as its requests end
    assert a.adjust(HOST, in_flight=2, waiting=28) == 2
    assert a.adjust(HOST, in_flight=1, waiting=28) == 1
    assert b.adjust(HOST, in_flight=0, waiting=30) == 1
    # when b has nothing left, a takes the whole ceiling again
    assert b.adjust(HOST, in_flight=0, waiting=0) == 0
    assert a.adjust(HOST, in_flight=1, waiting=27) == 2


def test_other_hosts_are_not_affected(tmp_path: Path) -> None:
    _, a, b = _pair(tmp_path)
    assert a.adjust(HOST, 0, 10) == 2
    other = next(f"h{i}.gt" for i in range(1000) if HostLeases.bucket(f"h{i}.gt") != HostLeases.bucket(HOST))
    assert b.adjust(other, 0, 10) == 2


def test_an_ended_process_gives_everything_back(tmp_path: Path) -> None:
    path, a, b = _pair(tmp_path)
    assert a.adjust(HOST, 0, 10) == 2
    clear_process(path, 2, 0)  # a died without closing
    assert b.adjust(HOST, 0, 10) == 2
    b.close()
    c = HostLeases(path, 1, 2, 2)
    assert a.adjust(HOST, 0, 10) == 2 and c.adjust(HOST, 0, 10) == 0


def test_random_traffic_never_exceeds_the_ceiling(tmp_path: Path) -> None:
    path = tmp_path / "run.leases"
    create_table(path, 3)
    procs = [HostLeases(path, i, 3, 3) for i in range(3)]
    flight = [0, 0, 0]
    queue = [0, 0, 0]
    held = [0, 0, 0]
    rnd = random.Random(7)
    served = 0
    for _ in range(5000):
        i = rnd.randrange(3)
        action = rnd.random()
        if action < 0.3:
            queue[i] += rnd.randint(1, 4)
        elif action < 0.6 and flight[i]:
            flight[i] -= 1
            served += 1
        held[i] = procs[i].adjust(HOST, flight[i], queue[i])
        start = min(queue[i], held[i] - flight[i])  # what Scrapy's slot starts with its concurrency
        flight[i] += max(0, start)
        queue[i] -= max(0, start)
        assert sum(flight) <= 3 and sum(held) <= 3
        assert all(f <= h for f, h in zip(flight, held, strict=True))
    assert served > 1000  # and the host was used, not starved
