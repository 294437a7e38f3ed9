"""The delivery rules on plain values: the retry schedule (first retry within 30 s, about a day in all, then failed),
long waits as several queue hops, and the target checked again at every delivery (a name that now resolves to a
private address is refused and never connected to)."""

from __future__ import annotations

import pytest

from chalicelib.errors import Invalid
from chalicelib.hook_targets import Refused, check_hook_url, forbidden, parse_target, vetted_address
from chalicelib.webhook_delivery import RETRY_SCHEDULE, Deliverer
from chalicelib.webhook_signing import signature

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HOOK = {"url": "https://hooks.example.com/in", "events": ["recording.ready"], "secret": SECRET, "created_at": "t"}


class Hooks:
    def __init__(self) -> None:
        self.log: dict[str, dict] = {}

    def hooks(self, user_id: int) -> dict:
        return {"h1": HOOK} if user_id == 7 else {}

    def record(self, user_id, hook_id, message_id, entry) -> None:
        self.log[message_id] = entry


class Queue:
    def __init__(self) -> None:
        self.sent: list[tuple[dict, int]] = []

    def send(self, message: dict, delay: int = 0) -> None:
        self.sent.append((message, delay))


def message(**changes) -> dict:
    return {
        "user": 7,
        "hook": "h1",
        "id": "msg_1",
        "type": "recording.ready",
        "recording": "r1",
        "created_at": "2030-01-01T00:00:00Z",
        "body": '{"type":"recording.ready"}',
        "attempt": 0,
        "not_before": 0,
        **changes,
    }


def deliverer(statuses, addresses=("93.184.216.34",), now=1_900_000_000.0):
    calls = []

    def sender(target, address, headers, body, timeout):
        calls.append((target, address, headers))
        status = statuses.pop(0)
        if isinstance(status, Exception):
            raise status
        return status

    clock = [now]
    made = Deliverer(
        Hooks(),
        Queue(),
        allow_loopback=False,
        timeout=5,
        clock=lambda: clock[0],
        resolver=lambda host, port: list(addresses),
        sender=sender,
    )
    return made, calls, clock


def test_the_schedule_retries_first_within_30_seconds_and_for_about_a_day():
    assert RETRY_SCHEDULE[0] <= 30
    assert 20 * 3600 <= sum(RETRY_SCHEDULE) <= 36 * 3600


def test_a_failure_is_retried_with_backoff_until_the_schedule_ends():
    made, calls, clock = deliverer([500] * (len(RETRY_SCHEDULE) + 1))
    current = message()
    for attempt, wait in enumerate(RETRY_SCHEDULE, start=1):
        assert made.deliver(current) == "pending"
        current, delay = made.queue.sent[-1]
        assert current["attempt"] == attempt and current["not_before"] == clock[0] + wait and delay == min(900, wait)
        clock[0] = current["not_before"]
    assert made.deliver(current) == "failed"
    assert made.hooks.log["msg_1"]["attempts"] == len(RETRY_SCHEDULE) + 1
    assert len(calls) == len(RETRY_SCHEDULE) + 1


def test_a_long_wait_is_several_hops_and_sends_nothing_early():
    made, calls, clock = deliverer([200])
    waiting = message(attempt=3, not_before=clock[0] + 2000)

    assert made.deliver(waiting) == "waiting" and calls == []
    assert made.queue.sent == [(waiting, 900)]
    clock[0] += 2000
    assert made.deliver(waiting) == "delivered" and made.hooks.log["msg_1"]["attempts"] == 4


def test_a_timeout_and_a_refused_connection_are_retried():
    made, _, _ = deliverer([TimeoutError(), ConnectionRefusedError(111, "refused")])

    assert made.deliver(message()) == "pending" and made.hooks.log["msg_1"]["last_error"] == "timeout"
    assert made.deliver(message()) == "pending" and "refused" in made.hooks.log["msg_1"]["last_error"]


def test_each_delivery_connects_to_the_checked_address_and_is_signed():
    made, calls, clock = deliverer([204])

    assert made.deliver(message()) == "delivered"
    [(target, address, headers)] = calls
    assert (target.host, target.port, target.path, address) == ("hooks.example.com", 443, "/in", "93.184.216.34")
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == str(int(clock[0]))
    assert headers["webhook-signature"] == signature(SECRET, "msg_1", int(clock[0]), message()["body"])


@pytest.mark.parametrize("addresses", [["127.0.0.1"], ["93.184.216.34", "10.0.0.1"], ["169.254.169.254"], []])
def test_a_host_that_now_resolves_to_a_private_address_is_refused_at_delivery(addresses):
    made, calls, _ = deliverer([200], addresses=addresses)

    assert made.deliver(message()) == "pending" and calls == []
    assert made.hooks.log["msg_1"]["last_error"].startswith("refused")


def test_a_message_for_a_deleted_hook_is_dropped():
    made, calls, _ = deliverer([200])

    assert made.deliver(message(user=8)) == "dropped" and calls == [] and made.queue.sent == []


def test_the_local_stack_allows_http_to_loopback_only():
    local = parse_target("http://127.0.0.1:8080/x", allow_loopback=True)
    assert vetted_address(local, True, lambda host, port: ["127.0.0.1"]) == "127.0.0.1"
    with pytest.raises(Refused):
        vetted_address(parse_target("http://example.com/", True), True, lambda host, port: ["93.184.216.34"])
    with pytest.raises(Refused):
        vetted_address(local, True, lambda host, port: ["192.168.0.1"])
    with pytest.raises(Invalid):
        parse_target("http://127.0.0.1:8080/x", allow_loopback=False)
    assert forbidden("127.0.0.1") and not forbidden("127.0.0.1", allow_loopback=True)


def test_registration_checks_what_the_name_resolves_to():
    assert check_hook_url("https://ok.example/", False, lambda host, port: ["93.184.216.34"]) == "https://ok.example/"
    with pytest.raises(Invalid):
        check_hook_url("https://rebind.example/", False, lambda host, port: ["127.0.0.1"])
