"""When to try a delivery again (issue 19): the Standard Webhooks schedule. The first attempt is
immediate; after each failure the next waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each with
jitter (so receivers coming back from an outage are not hit by every sender at once), at least
what a 429/503 ``Retry-After`` asked for. After the eighth failure the delivery has failed."""

import math
import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

# Waits before attempts 2..8 (attempt 1 is immediate).
RETRY_DELAYS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1  # +-10 %: the longest wait (11 h) stays under SQS's 12 h visibility limit
MAX_RETRY_AFTER = 86_400.0  # a Retry-After above a day waits a day
SQS_MAX_VISIBILITY = 43_200  # 12 h: one wait longer than this is spread over two receives


def delay_after(failed_attempts: int, rng: random.Random, retry_after: float | None = None) -> float | None:
    """Seconds to wait after the ``failed_attempts``-th failure, or None when that was the last."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[failed_attempts - 1]
    wait = base * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    return wait


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After``: delay-seconds or an HTTP date (RFC 9110 §10.2.3); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def visibility_for(wait: timedelta) -> int:
    """The SQS visibility timeout that hides a message for ``wait`` (or as long as SQS allows)."""
    return max(0, min(SQS_MAX_VISIBILITY, math.ceil(wait.total_seconds())))
