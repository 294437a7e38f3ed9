"""Check a presigned S3 URL (SigV4 in the query) the way S3 does: the signature over the method, the path, the query
and the signed headers, and the expiry. moto checks neither, so without this a link whose key or query was changed,
or that expired an hour ago, still works locally and a client bug would only show on AWS.

Pure functions on a request's parts: the WSGI layer (devstack/strict_s3.py) calls `verify_presigned`, the unit tests
call it with URLs that botocore's own presigner produced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import urllib.parse
from dataclasses import dataclass, field
from collections.abc import Mapping

ALGORITHM = "AWS4-HMAC-SHA256"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_EXPIRES_SECONDS = 7 * 24 * 3600  # S3 refuses longer presigned links
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_UNRESERVED = "-_.~"  # SigV4 URI-encodes everything else


@dataclass(frozen=True)
class Refusal:
    """Why S3 would refuse the request: its HTTP status, its error code and message, and the extra elements its XML
    error body carries (StringToSign, Expires…)."""

    status: int
    code: str
    message: str
    details: dict[str, str] = field(default_factory=dict)


def is_presigned_v4(query: Mapping[str, str]) -> bool:
    return "X-Amz-Signature" in query or "X-Amz-Algorithm" in query


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """SigV4's URI encoding: every byte but the unreserved characters percent-encoded, in upper-case hex."""
    return urllib.parse.quote(text, safe=_UNRESERVED + ("/" if keep_slash else ""))


def canonical_uri(raw_path: str) -> str:
    """S3 signs the path once encoded (no normalisation, no double encoding): decode what the client sent and encode
    it again, so `%2F`-style spelling differences of the same key sign alike."""
    return uri_encode(urllib.parse.unquote(raw_path), keep_slash=True) or "/"


def canonical_query(raw_query: str) -> str:
    """Every parameter but the signature, each name and value encoded, sorted by name then value."""
    pairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    encoded = sorted((uri_encode(name), uri_encode(value)) for name, value in pairs if name != "X-Amz-Signature")
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical_header_value(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip())


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_request(
    method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], signed_header_names: list[str]
) -> str:
    """`headers` maps lower-case names to values, as the request carried them."""
    canonical_headers = "".join(
        f"{name}:{canonical_header_value(headers.get(name, ''))}\n" for name in signed_header_names
    )
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(raw_query),
            canonical_headers,
            ";".join(signed_header_names),
            UNSIGNED_PAYLOAD,
        ]
    )


def verify_presigned(
    method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], secrets: Mapping[str, str], now: dt.datetime
) -> Refusal | None:
    """None if S3 would accept this presigned request, else why not. `headers` maps lower-case names to values
    (`host` included); `secrets` maps the access keys this stack knows to their secret keys; `now` is UTC."""
    query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
    required = (
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    )
    missing = [name for name in required if name not in query]
    if missing:
        return Refusal(
            400,
            "AuthorizationQueryParametersError",
            f"Query-string authentication version 4 requires the {', '.join(missing)} parameters.",
        )
    if query["X-Amz-Algorithm"] != ALGORITHM:
        return Refusal(400, "AuthorizationQueryParametersError", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    credential = query["X-Amz-Credential"].split("/")
    if len(credential) != 5 or credential[4] != "aws4_request":
        return Refusal(
            400,
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter; the credential is mal-formed.",
        )
    access_key, date, region, service, _ = credential
    try:
        signed_at = dt.datetime.strptime(query["X-Amz-Date"], TIMESTAMP_FORMAT).replace(tzinfo=dt.UTC)
        expires_in = int(query["X-Amz-Expires"])
    except ValueError:
        return Refusal(
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Date must be in the ISO8601 Long Format and X-Amz-Expires a number of seconds.",
        )
    if not 0 <= expires_in <= MAX_EXPIRES_SECONDS:
        return Refusal(
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        )
    secret = secrets.get(access_key)
    if secret is None:
        return Refusal(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            {"AWSAccessKeyId": access_key},
        )
    signed_header_names = query["X-Amz-SignedHeaders"].lower().split(";")
    request_text = canonical_request(method, raw_path, raw_query, headers, signed_header_names)
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, query["X-Amz-Date"], scope, hashlib.sha256(request_text.encode()).hexdigest()]
    )
    expected = hmac.new(signing_key(secret, date, region, service), string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, query["X-Amz-Signature"].lower()):
        return Refusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            {
                "AWSAccessKeyId": access_key,
                "StringToSign": string_to_sign,
                "SignatureProvided": query["X-Amz-Signature"],
                "CanonicalRequest": request_text,
            },
        )
    expires_at = signed_at + dt.timedelta(seconds=expires_in)
    if now > expires_at:
        return Refusal(
            403,
            "AccessDenied",
            "Request has expired",
            {
                "X-Amz-Expires": str(expires_in),
                "Expires": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
    return None
