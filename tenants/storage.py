"""S3 operations on a whole institution's prefix (``tenants/<uuid>/``): list, delete, copy.

Single-instance blobs live under the prefix (content-library issue); export,
import and purge treat everything under it as the institution's.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import IO

import boto3
from botocore.config import Config
from django.conf import settings


def make_s3_client(*, attempts: int = 5, timeout: float | None = None):
    """A boto3 S3 client for the configured endpoint, bucket region and credentials."""
    timeouts = {"connect_timeout": timeout, "read_timeout": timeout} if timeout else {}
    return boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL or None,
        region_name=settings.S3_REGION,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY or None,
        config=Config(
            retries={"max_attempts": attempts, "mode": "standard"},
            s3={"addressing_style": "path"} if settings.S3_ENDPOINT_URL else None,
            **timeouts,
        ),
    )


@cache
def s3_client():
    return make_s3_client()


def tenant_prefix(tenant_uuid) -> str:
    return f"tenants/{tenant_uuid}/"


def storage_list_prefix(prefix: str) -> Iterator[dict]:
    """Every object under ``prefix``: dicts with Key and Size."""
    paginator = s3_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.S3_BUCKET, Prefix=prefix):
        yield from page.get("Contents", [])


def storage_delete_prefix(prefix: str) -> int:
    """Delete every object under ``prefix``; returns how many. Idempotent."""
    if not prefix.startswith("tenants/") or prefix.count("/") < 2:
        raise ValueError(f"refusing to delete outside one institution's prefix: {prefix!r}")
    client = s3_client()
    deleted = 0
    batch: list[dict] = []
    for obj in storage_list_prefix(prefix):
        batch.append({"Key": obj["Key"]})
        if len(batch) == 1000:
            client.delete_objects(Bucket=settings.S3_BUCKET, Delete={"Objects": batch})
            deleted += len(batch)
            batch = []
    if batch:
        client.delete_objects(Bucket=settings.S3_BUCKET, Delete={"Objects": batch})
        deleted += len(batch)
    return deleted


def storage_download(key: str, out: IO[bytes]) -> None:
    s3_client().download_fileobj(settings.S3_BUCKET, key, out)


def storage_upload(key: str, body: IO[bytes]) -> None:
    s3_client().upload_fileobj(body, settings.S3_BUCKET, key)
