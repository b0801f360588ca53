"""`manage.py risk_consume` as real processes killed with SIGKILL: no risk event is lost (at
least once), and the handled marker keeps an event from being handled again once a consumer has
marked it (docs/events.md, "Delivery guarantees")."""

import random
from collections import Counter

import pytest
import redis
from django.conf import settings

from tests.risk.consumers import GROUP, printed_ids, publish_events, replay_event
from tests.waiting import wait_until

TOTAL = 1000
KILLS = 10
CONSUMERS = 3
REPLAYS_PER_ROUND = 5


def pending(client) -> dict:
    """XPENDING's summary for the group; nothing pending before a consumer has made the group."""
    try:
        return client.xpending(settings.RISK_STREAM, GROUP)
    except redis.ResponseError as error:
        if "NOGROUP" not in str(error):
            raise
        return {"pending": 0, "consumers": []}


def group_consumers(client) -> set[str]:
    try:
        return {c["name"] for c in client.xinfo_consumers(settings.RISK_STREAM, GROUP)}
    except redis.ResponseError as error:
        if "NOGROUP" not in str(error) and "no such key" not in str(error):
            raise
        return set()


def handled_markers(client, event_ids: list[str]) -> dict[str, str]:
    """Event id -> the consumer that marked it handled (the documented marker key)."""
    keys = [f"{settings.RISK_STREAM}:handled:{GROUP}:{event_id}" for event_id in event_ids]
    values = client.mget(keys) if keys else []
    return {event_id: value for event_id, value in zip(event_ids, values, strict=True) if value}


def test_a_consumer_killed_after_reading_100_entries_gets_them_again_when_restarted(
    private_redis, risk_consumers
):
    client = private_redis.client()
    ids = publish_events(client, 100)
    last_entry_id = client.xrevrange(settings.RISK_STREAM, count=1)[0][0]

    # Its output is a small pipe nobody reads: it stops mid-batch, as a slow handler would.
    first = risk_consumers.start("reporting-1", pipe=True)
    wait_until(
        lambda: any(
            group["name"] == GROUP and group["last-delivered-id"] == last_entry_id
            for group in client.xinfo_groups(settings.RISK_STREAM)
        ),
        timeout=60,
        what="the consumer to read all 100 entries",
    )
    first.kill()
    before = printed_ids(first.lines())
    assert len(before) < 100, "the consumer handled every entry before it could be killed"

    restarted = risk_consumers.start("reporting-1")
    wait_until(
        lambda: pending(client)["pending"] == 0,
        timeout=30,
        what="the restarted consumer to handle the entries left pending (XPENDING 0)",
    )
    after = printed_ids(restarted.lines())
    assert set(before) | set(after) == set(ids)
    # At most the one entry handled but not yet marked when the kill came is handled twice.
    assert len(before) + len(after) <= len(ids) + 1
    assert set(handled_markers(client, ids)) == set(ids)


def test_sigterm_stops_a_waiting_consumer_cleanly(private_redis, risk_consumers):
    client = private_redis.client()
    consumer = risk_consumers.start("reporting-1")
    wait_until(
        lambda: "reporting-1" in group_consumers(client),
        timeout=60,
        what="the consumer to join its group",
    )
    assert consumer.stop() == 0


def all_lines(processes) -> int:
    return sum(process.output().count(b"\n") for process in processes)


def kill_at_a_random_point(rng, client, consumers, running, *, handled_by_now: int):
    """SIGKILL one running consumer: either one that holds entries it read and has not
    acknowledged, or any one once `handled_by_now` events have been printed."""
    if rng.random() < 0.5:

        def victim():
            owners = {c["name"] for c in pending(client)["consumers"] if int(c["pending"])}
            holders = [process for process in running if process.name in owners]
            if holders:
                return rng.choice(holders)
            if all_lines(consumers.started) >= handled_by_now:
                return rng.choice(running)  # the entries went by unseen: anyone
            return None

    else:

        def victim():
            return all_lines(consumers.started) >= handled_by_now and rng.choice(running)

    process = wait_until(victim, timeout=60, interval=0.001, what="a point to kill a consumer")
    process.kill()
    running.remove(process)
    return process


@pytest.mark.slow
def test_consumers_killed_at_random_points_handle_every_event_and_none_again_once_marked(
    private_redis, risk_consumers
):
    seed = random.randrange(1 << 30)
    print(f"\nrandom seed {seed}")
    rng = random.Random(seed)
    client = private_redis.client()
    names = iter(f"reporting-{n}" for n in range(1, 1000))
    running = [risk_consumers.start(next(names)) for _ in range(CONSUMERS)]
    rounds = sorted(rng.sample(range(20, TOTAL - 20), KILLS))
    sizes = [b - a for a, b in zip([0, *rounds], [*rounds, TOTAL], strict=True)]
    published: list[str] = []
    replayed = 0

    for kills, size in enumerate(sizes):
        lines_before = all_lines(risk_consumers.started)
        # Another producer replays events already handled: the marker must drop them.
        marked = list(handled_markers(client, published))
        for event_id in rng.sample(marked, min(REPLAYS_PER_ROUND, len(marked))):
            replay_event(client, event_id)
            replayed += 1
        published += publish_events(client, size)
        if kills == KILLS:
            break
        victim = kill_at_a_random_point(
            rng, client, risk_consumers, running, handled_by_now=lines_before + rng.randint(0, size)
        )
        # Restarted under its own name it re-reads its pending entries; under a new name they
        # wait until another consumer claims them after RISK_STREAM_CLAIM_IDLE_SECONDS.
        name = victim.name if rng.random() < 0.5 else next(names)
        running.append(risk_consumers.start(name))

    wait_until(
        lambda: (
            len(handled_markers(client, published)) == TOTAL and pending(client)["pending"] == 0
        ),
        timeout=60,
        what="every event marked handled and nothing left pending",
    )
    risk_consumers.stop_all()

    per_process = [(process, printed_ids(process.lines())) for process in risk_consumers.started]
    printed = Counter(event_id for _process, ids in per_process for event_id in ids)
    duplicates = {event_id: n for event_id, n in printed.items() if n > 1}
    print(
        f"{TOTAL} events (+{replayed} replayed entries), {KILLS} SIGKILLs, "
        f"{len(risk_consumers.started)} consumer processes, {sum(printed.values())} handlings, "
        f"{len(duplicates)} handled twice"
    )
    assert set(printed) == set(published)  # every event handled at least once
    markers = handled_markers(client, published)
    for _process, ids in per_process:  # each marker names a consumer that handled the event
        for event_id in ids:
            assert markers[event_id] in {p.name for p, i in per_process if event_id in i}
    # An event is handled again only when a SIGKILL came between handling it and marking it:
    # its first handling is then the last line of a killed consumer. Once marked, never again.
    cut_short = {ids[-1] for process, ids in per_process if process.killed and ids}
    assert set(duplicates) <= cut_short
    assert all(n == 2 for n in duplicates.values())
    assert sum(n - 1 for n in duplicates.values()) <= KILLS
