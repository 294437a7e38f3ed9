"""The devstack's check of presigned URLs, against URLs that botocore's own presigner made (as the app makes them)."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import boto3
import pytest
from botocore.config import Config

from devstack.sigv4 import verify_presigned

ENDPOINT = "http://127.0.0.1:4566"
SECRETS = {"local": "local"}


def presign(operation: str, params: dict, expires_in: int = 900) -> str:
    s3 = boto3.session.Session().client(
        "s3",
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    return s3.generate_presigned_url(operation, Params=params, ExpiresIn=expires_in)


def check(url: str, method: str = "GET", headers: dict[str, str] | None = None, now: dt.datetime | None = None):
    parts = urllib.parse.urlsplit(url)
    sent = {"host": parts.netloc, **{name.lower(): value for name, value in (headers or {}).items()}}
    return verify_presigned(method, parts.path, parts.query, sent, SECRETS, now or dt.datetime.now(dt.UTC))


def test_a_link_as_botocore_presigned_it_is_accepted():
    url = presign(
        "get_object",
        {"Bucket": "audio", "Key": "mp3/a b+c/é.mp3", "ResponseContentDisposition": 'attachment; filename="a b.mp3"'},
    )

    assert check(url) is None


def test_a_link_for_another_key_is_refused_as_signature_does_not_match():
    url = presign("get_object", {"Bucket": "audio", "Key": "originals/one"})

    refusal = check(url.replace("originals/one", "originals/two"))

    assert (refusal.status, refusal.code) == (403, "SignatureDoesNotMatch")
    assert "originals/two" in refusal.details["CanonicalRequest"]


def test_a_link_with_a_changed_or_added_query_parameter_is_refused():
    url = presign("get_object", {"Bucket": "audio", "Key": "k", "ResponseContentType": "audio/mpeg"})

    assert check(url.replace("audio%2Fmpeg", "text%2Fhtml")).code == "SignatureDoesNotMatch"
    assert check(url + "&x-id=1").code == "SignatureDoesNotMatch"
    assert check(url.replace("X-Amz-Expires=900", "X-Amz-Expires=901")).code == "SignatureDoesNotMatch"


def test_the_method_is_signed():
    url = presign("get_object", {"Bucket": "audio", "Key": "k"})

    assert check(url, method="DELETE").code == "SignatureDoesNotMatch"


def test_an_expired_link_is_refused_as_access_denied_request_has_expired():
    url = presign("get_object", {"Bucket": "audio", "Key": "k"}, expires_in=60)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61)

    refusal = check(url, now=later)

    assert (refusal.status, refusal.code, refusal.message) == (403, "AccessDenied", "Request has expired")
    assert refusal.details["X-Amz-Expires"] == "60"


def test_an_upload_link_verifies_only_with_the_header_signed_into_it():
    url = presign("put_object", {"Bucket": "audio", "Key": "originals/x", "IfNoneMatch": "*"})

    assert check(url, "PUT", {"If-None-Match": "*", "Content-Type": "audio/wav", "Content-Length": "9"}) is None
    assert check(url, "PUT", {"Content-Type": "audio/wav"}).code == "SignatureDoesNotMatch"
    assert check(url, "PUT", {"If-None-Match": '"abc"'}).code == "SignatureDoesNotMatch"


def test_an_unknown_access_key_is_refused_and_an_over_long_expiry_is_malformed():
    url = presign("get_object", {"Bucket": "audio", "Key": "k"})

    assert check(url.replace("X-Amz-Credential=local", "X-Amz-Credential=other")).code == "InvalidAccessKeyId"
    week_and_a_second = presign("get_object", {"Bucket": "audio", "Key": "k"}, expires_in=604801)
    assert check(week_and_a_second).status == 400


@pytest.mark.parametrize("missing", ["X-Amz-Signature", "X-Amz-Date", "X-Amz-Credential"])
def test_a_link_missing_a_signing_parameter_is_a_400(missing):
    url = presign("get_object", {"Bucket": "audio", "Key": "k"})
    parts = urllib.parse.urlsplit(url)
    kept = "&".join(pair for pair in parts.query.split("&") if not pair.startswith(f"{missing}="))

    refusal = check(urllib.parse.urlunsplit(parts._replace(query=kept)))

    assert (refusal.status, refusal.code) == (400, "AuthorizationQueryParametersError")
