"""Production settings: secure, complete, and refusing to start without their secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_int

ROOT = Path(__file__).resolve().parents[3]

PRODUCTION = {
    "OAE_ENV": "production",
    "SECRET_KEY": "x" * 30 + "-a-long-random-production-secret-0123456789",
    "S3_BUCKET": "oae-production-blobs",
    "DATABASE_URL": "postgres://oae:pw@db.internal:5432/oae?sslmode=require",
    "REDIS_URL": "rediss://cache.internal:6379/0",
    "PLATFORM_DOMAIN": "oae.example.org",
    "FIELD_ENCRYPTION_KEYS": "1VgU0kRtmTmjpo0Fs4AO7zVEl0W3HrVSv7YSaWuLM2w=",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "S3_BUCKET", "FIELD_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"The environment variable {missing} must be set." in result.stderr


def test_a_malformed_encryption_key_is_refused_at_start():
    result = _manage("check", env={**PRODUCTION, "FIELD_ENCRYPTION_KEYS": "not-a-key"})
    assert result.returncode != 0
    assert "not a Fernet key" in result.stderr


def test_production_refuses_debug():
    result = _manage("check", env={**PRODUCTION, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_a_malformed_variable_is_named(monkeypatch):
    monkeypatch.setenv("OAE_SOME_FLAG", "fasle")
    with pytest.raises(ImproperlyConfigured, match="OAE_SOME_FLAG"):
        env_bool("OAE_SOME_FLAG", False)
    monkeypatch.setenv("OAE_SOME_INT", "80OO")
    with pytest.raises(ImproperlyConfigured, match="OAE_SOME_INT"):
        env_int("OAE_SOME_INT", 1)


def test_database_url_is_parsed_with_its_options():
    parsed = database_from_url("postgres://u%40x:p%2Fw@db:6543/name?sslmode=require")
    assert parsed == {
        "NAME": "name",
        "USER": "u@x",
        "PASSWORD": "p/w",
        "HOST": "db",
        "PORT": "6543",
        "OPTIONS": {"sslmode": "require"},
    }
    with pytest.raises(ImproperlyConfigured, match="postgres://"):
        database_from_url("mysql://db/name")
    with pytest.raises(ImproperlyConfigured, match="name a database"):
        database_from_url("postgres://db")


def test_connections_persist_with_health_checks(settings):
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True
