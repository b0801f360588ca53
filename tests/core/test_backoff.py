"""The one retry rule: doubling from the base, capped, and with jitter within the upper half."""

import random

from onboarding.core.backoff import backoff_seconds


def test_without_jitter_the_wait_doubles_per_attempt_up_to_the_cap():
    waits = [backoff_seconds(n, base=5, cap=60, jitter=False) for n in range(0, 7)]
    assert waits == [5, 5, 10, 20, 40, 60, 60]


def test_with_jitter_the_wait_lies_between_half_and_all_of_the_step():
    rng = random.Random(7)
    for attempts in range(1, 12):
        ceiling = min(300, 2 * 2 ** (attempts - 1))
        wait = backoff_seconds(attempts, base=2, cap=300, rng=rng)
        assert ceiling / 2 <= wait <= ceiling


def test_jitter_spreads_callers_that_failed_together():
    rng = random.Random(11)
    waits = {round(backoff_seconds(4, base=10, cap=600, rng=rng), 6) for _ in range(20)}
    assert len(waits) > 1
