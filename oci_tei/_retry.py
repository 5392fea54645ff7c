"""When to try a failed request again, and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy"]

# 429: OCI's bandwidth/requests-per-second limits and TEI's "Model is overloaded".
# 5xx: gateway hiccups and container restarts. Never 4xx input errors: resending the
# same bytes cannot succeed, and TEI's 424 is a backend failure on these very inputs.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring Retry-After, under a deadline.

    Attributes:
        max_retries: Retries after the first attempt; 0 disables retrying.
        deadline: Seconds one batch may spend across all its attempts and waits.
        backoff_base: First backoff ceiling in seconds; doubles per retry.
        backoff_max: Largest backoff ceiling in seconds.
    """

    max_retries: int = 5
    deadline: float = 300.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, retry_number: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry_number`` (1-based).

        A server's Retry-After wins: it knows when capacity frees up. Otherwise full
        jitter spreads concurrent clients so they do not retry in lockstep.
        """
        if retry_after is not None:
            return retry_after
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (retry_number - 1))
        return self.rng.uniform(0, ceiling)

    def allows(self, retry_number: int, elapsed: float, wait: float) -> bool:
        """Whether retry ``retry_number`` after ``wait`` more seconds is still allowed."""
        return retry_number <= self.max_retries and elapsed + wait <= self.deadline
