"""The one place that creates boto3 clients.

Clients are made on first use and cached per (service, region, endpoint): moto, the local stack's endpoint and real
AWS differ only by settings. boto3 itself is imported here, lazily, so that importing the API costs nothing until a
request needs AWS.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from chalicelib.config import settings

Service = Literal["s3", "dynamodb", "sqs"]  # the services the app uses


@functools.cache
def _client(service: Service, region: str, endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {"retries": {"mode": "standard"}}
    if service == "s3":
        # SigV4 for presigned links (boto3 would presign SigV2 otherwise). Path-style addressing only where the
        # endpoint is an address of our own (the local moto server), which has no per-bucket host names.
        options["signature_version"] = "s3v4"
        options["s3"] = {"addressing_style": "path" if endpoint_url else "virtual"}
    return boto3.session.Session().client(
        service, region_name=region, endpoint_url=endpoint_url, config=Config(**options)
    )


def client(service: Service) -> Any:
    current = settings()
    return _client(service, current.region, current.endpoint_url)


def s3() -> Any:
    return client("s3")


def dynamodb() -> Any:
    return client("dynamodb")


@functools.cache
def _dynamodb_resource(region: str, endpoint_url: str | None) -> Any:
    import boto3

    return boto3.session.Session().resource("dynamodb", region_name=region, endpoint_url=endpoint_url)


def table(name: str) -> Any:
    """A DynamoDB Table (the resource API: native Python values in and out, Decimal for numbers)."""
    current = settings()
    return _dynamodb_resource(current.region, current.endpoint_url).Table(name)


def sqs() -> Any:
    return client("sqs")


def reset() -> None:
    """Forget cached clients (tests that swap endpoints or credentials)."""
    _client.cache_clear()
    _dynamodb_resource.cache_clear()
