"""What a stranger can cost: counts of requests per client address in fixed windows, kept in DynamoDB (an item per
address and window in the users table, gone through its TTL), so every API instance sees the same count.

One UpdateItem per counted request (ADD, atomic): no read-modify-write race, no Scan. A fixed window lets a burst
of twice the limit straddle a boundary; for a bound on cost (not a fair-share scheduler) that is enough, and API
Gateway's stage throttling (infra/template.json) bounds the request rate as a whole.
"""

from __future__ import annotations

import time
from typing import Any
from collections.abc import Callable

from chalicelib.errors import TooManyRequests


class RateLimiter:
    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def hit(self, scope: str, client: str, limit: int, window_seconds: int) -> None:
        """Count one request of `scope` from `client`; TooManyRequests (with `retry_after`) once more than `limit`
        came in the current window."""
        now = self._clock()
        start = int(now // window_seconds) * window_seconds
        result = self._table.update_item(
            Key={"pk": f"rate#{scope}#{client[:64]}#{start}"},
            UpdateExpression="ADD #count :one SET expires_at = if_not_exists(expires_at, :expires)",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":one": 1, ":expires": start + 2 * window_seconds},
            ReturnValues="UPDATED_NEW",
        )
        if int(result["Attributes"]["count"]) > limit:
            retry_after = max(1, int(start + window_seconds - now + 0.999))
            raise TooManyRequests(
                f"too many {scope} from this address: at most {limit} in {window_seconds} "
                f"seconds; try again in {retry_after} seconds",
                retry_after=retry_after,
                limit=limit,
            )
