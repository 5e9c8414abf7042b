"""The one backoff rule: the pause after a run of failures, doubling up to a cap."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """`first` seconds after the first failure, twice as long after each further one, never
    more than `cap`; with `jitter` (0–1), shortened by up to that fraction at random, so
    that many waiting for the same thing do not all come back at the same moment."""

    first: float
    cap: float
    jitter: float = 0.0

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `failures`-th failure in a row (1, 2, …)."""
        base = min(self.cap, self.first * 2.0 ** (max(1, failures) - 1))
        if not self.jitter:
            return base
        return base * (1 - self.jitter * (rng or random).random())


# a platform's send that failed (the outbox row waits this long, in the database)
SEND = Backoff(first=2.0, cap=300.0, jitter=0.25)
# the database refused to store an incoming message, or a poll for updates failed
INTAKE_CAP = 30.0
