"""Every error a store, a service or the edge can raise has its status, from the one table at the HTTP edge."""

from __future__ import annotations

import pytest

from chalicelib import errors
from chalicelib.api import http


def every_error_class(base: type = errors.CloudSoundError) -> set[type]:
    found = set()
    for subclass in base.__subclasses__():
        found |= {subclass} | every_error_class(subclass)
    return found


@pytest.mark.parametrize(
    "error_class, status",
    [
        (http.BadRequest, 400),
        (errors.InvalidParameter, 400),
        (errors.Unauthenticated, 401),
        (errors.NotOwner, 403),
        (errors.NotFound, 404),
        (errors.RecordingGone, 404),
        (errors.Conflict, 409),
        (errors.NotReady, 409),
        (http.LengthRequired, 411),
        (errors.TooLarge, 413),
        (errors.NotAudio, 415),
        (errors.Invalid, 422),
    ],
)
def test_each_error_maps_to_its_status(error_class, status):
    assert http.status_of(error_class("message")) == status


def test_no_error_class_is_left_without_a_status():
    classes = every_error_class()

    assert {errors.RecordingGone, http.BadRequest} <= classes
    for error_class in classes:
        assert 400 <= http.status_of(error_class("message")) < 500


def test_a_not_ready_answer_says_where_the_recording_is_and_when_to_ask_again():
    response = http.error_response(errors.NotReady("converting", status="processing", retry_after=3))

    assert response.status_code == 409 and response.headers["Retry-After"] == "3"
    assert response.body["status"] == "processing" and response.body["error"]["code"] == "not_ready"
