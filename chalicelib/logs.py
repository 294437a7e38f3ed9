"""One structured (JSON) log line per API request and per conversion, at INFO, under the `cloudsound` logger.

On Lambda the runtime's root handler prints them to CloudWatch (where Logs Insights can query the fields); locally
`configure()` gives the root logger a plain handler when it has none.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger("cloudsound")


def configure() -> None:
    logger.setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(message)s")


def event(kind: str, level: str = "info", **fields: Any) -> None:
    logger.log(
        logging.getLevelName(level.upper()), json.dumps({"event": kind, **fields}, default=str, separators=(",", ":"))
    )
