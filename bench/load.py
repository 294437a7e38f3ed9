"""A bounded load generator: `concurrency` keep-alive connections share at most `requests` GETs, sent for at most
`seconds`, then it stops.

    python -m bench.load '{"url": "http://127.0.0.1:8000", "paths": ["/recordings"], "requests": 400,
                           "seconds": 10, "concurrency": 4, "headers": {}}'

Prints one JSON line: requests per second, p50/p99 latency in ms, and the count of answers that were not 200.
It runs in its own process so that it does not share an interpreter (and its lock) with the server it measures.
"""

from __future__ import annotations

import http.client
import itertools
import json
import statistics
import sys
import threading
import time
import urllib.parse


def run(url: str, paths: list[str], requests: int, seconds: float, concurrency: int, headers: dict[str, str]) -> dict:
    target = urllib.parse.urlsplit(url)
    tickets = itertools.count()
    tickets_lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            while True:
                with tickets_lock:
                    ticket = next(tickets)
                if ticket >= requests or time.perf_counter() > deadline:
                    return
                path = paths[ticket % len(paths)]
                started = time.perf_counter()
                try:
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as error:
                    failures.append(f"{path}: {error!r}")
                    connection.close()  # a fresh connection for the next request
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status != 200:
                    failures.append(f"{path}: {response.status}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "failures": len(failures),
        "first_failures": failures[:3],
    }


def main() -> None:
    spec = json.loads(sys.argv[1])
    print(
        json.dumps(
            run(
                spec["url"],
                spec["paths"],
                spec["requests"],
                spec["seconds"],
                spec["concurrency"],
                spec.get("headers", {}),
            )
        )
    )


if __name__ == "__main__":
    main()
