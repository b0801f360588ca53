"""How long to wait before trying again: one rule for tasks, outbox deliveries and payments."""

import random


def backoff_seconds(
    attempts: int,
    *,
    base: float,
    cap: float,
    jitter: bool = True,
    rng: random.Random | None = None,
) -> float:
    """The wait after the `attempts`-th failure: `base` doubling per attempt, capped at `cap`.

    With `jitter` ("equal jitter"), half the step is kept so the wait always grows, and the other
    half is random, so callers that failed together (an outage) do not all retry at once.
    """
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    if not jitter:
        return ceiling
    rng = rng or random.Random()  # noqa: S311 (spreading retries, not security)
    return ceiling / 2 + rng.uniform(0, ceiling / 2)
