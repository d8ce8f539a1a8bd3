from __future__ import annotations

import pytest
from django_tenants.utils import schema_context


@pytest.fixture(params=["s3", "filesystem"])
def backend(request, settings, tmp_path):
    """The blob storage under test: S3 (the local SeaweedFS) or the filesystem."""
    if request.param == "filesystem":
        settings.STORAGES = {
            **settings.STORAGES,
            "blobs": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path / "blobs"), "allow_overwrite": True},
            },
        }
    return request.param


@pytest.fixture
def in_a(world, db):
    with schema_context(world.tenant_a.schema_name):
        yield world.tenant_a
