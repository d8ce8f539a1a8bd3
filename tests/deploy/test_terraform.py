"""terraform/: formatted, valid (with the AWS provider, offline from a plugin directory),
and the properties the platform relies on are in the modules, every variable and output
documented."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "terraform"
PLUGIN_DIR = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
TERRAFORM = shutil.which("terraform")
MODULES = [
    "network",
    "database",
    "storage",
    "cache",
    "compute",
    "edge",
    "secrets",
    "monitoring",
    "iam",
]


def _terraform(*args: str, cwd: Path, data_dir: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": os.devnull,
        "TF_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [TERRAFORM, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _require_terraform() -> None:
    if TERRAFORM is None:
        pytest.skip("terraform is not installed: fmt and validate are not checked")


def test_terraform_is_formatted(tmp_path):
    _require_terraform()
    result = _terraform(
        "fmt",
        "-check",
        "-recursive",
        "-diff",
        str(TERRAFORM_DIR),
        cwd=tmp_path,
        data_dir=tmp_path / "tf",
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive terraform`:\n{result.stdout}"


def test_the_example_environment_validates(tmp_path):
    _require_terraform()
    provider = PLUGIN_DIR / "registry.terraform.io" / "hashicorp" / "aws"
    if not provider.is_dir():
        pytest.skip(f"the AWS provider is not mirrored at {PLUGIN_DIR} (TF_PLUGIN_DIR)")
    # A copy: init writes a lock file and .terraform/ that must not litter the checkout.
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform*"))
    example = copy / "environments" / "example"
    data_dir = tmp_path / "tf-data"
    init = _terraform(
        "init",
        "-backend=false",
        "-input=false",
        f"-plugin-dir={PLUGIN_DIR}",
        cwd=example,
        data_dir=data_dir,
    )
    assert init.returncode == 0, init.stderr + init.stdout
    result = _terraform("validate", "-json", "-no-color", cwd=example, data_dir=data_dir)
    report = json.loads(result.stdout)
    problems = [
        f"{d['severity']}: {d['summary']} {d.get('detail', '')}" for d in report["diagnostics"]
    ]
    assert report["valid"], problems
    assert report["error_count"] == 0 and report["warning_count"] == 0, problems
    # Every module is used by the example.
    main = (example / "main.tf").read_text()
    for module in MODULES:
        assert f'source = "../../modules/{module}"' in re.sub(r"\s+=\s+", " = ", main), module


def _module(name: str) -> str:
    return "\n".join(p.read_text() for p in sorted((TERRAFORM_DIR / "modules" / name).glob("*.tf")))


def test_every_variable_and_output_is_documented():
    files = list(TERRAFORM_DIR.rglob("variables.tf")) + list(TERRAFORM_DIR.rglob("outputs.tf"))
    assert len(files) == 2 * (len(MODULES) + 1)
    for path in files:
        text = path.read_text()
        blocks = re.findall(r'^(?:variable|output) "(\w+)" \{\n(.*?)^\}', text, re.M | re.S)
        assert blocks, path
        for name, body in blocks:
            assert re.search(r'^  description = "[^"]{10,}', body, re.M), f"{path}: {name}"


def test_the_bucket_is_private_versioned_encrypted_and_tls_only():
    storage = _module("storage")
    assert 'status = "Enabled"' in storage
    assert 'sse_algorithm     = "aws:kms"' in storage
    for flag in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert re.search(rf"{flag}\s+= true", storage), flag
    assert '"aws:SecureTransport"' in storage and 'values   = ["false"]' in storage
    assert "abort_incomplete_multipart_upload" in storage
    assert "noncurrent_version_expiration" in storage


def test_database_cache_and_roles_are_locked_down():
    database = _module("database")
    for needle in (
        'engine         = "postgres"',
        'family      = "postgres15"',
        "storage_encrypted     = true",
        "manage_master_user_password   = true",
        "publicly_accessible    = false",
        '"rds.force_ssl"',
    ):
        assert needle in database, needle
    assert re.search(r"multi_az\s+= var.multi_az", database)
    # The fleet's needs (README, production checklist): room in the lock table for making
    # schemas, and no JIT compile on sub-millisecond queries.
    params = dict(
        re.findall(r'parameter \{.*?name\s+= "([\w.]+)"\s+value\s+= ([^\n]+)', database, re.S)
    )
    assert params["max_locks_per_transaction"] == "tostring(var.max_locks_per_transaction)"
    assert re.search(
        r"default\s+= 256\n.*?condition\s+= var.max_locks_per_transaction >= 256", database, re.S
    )
    assert params["jit"] == '"0"'

    assert re.search(r"backup_retention_period\s+= var.backup_retention_days", database)
    cache = _module("cache")
    assert "transit_encryption_enabled = true" in cache and "auth_token " in cache
    iam = _module("iam")
    # The application's S3 rights stop at its prefix; no action is granted on "*".
    assert 'resources = ["${var.bucket_arn}/${local.prefix}/*"]' in iam
    assert '"s3:prefix"' in iam
    assert not re.search(r'resources\s*=\s*\["\*"\]', iam)
    compute = _module("compute")
    assert "aws_appautoscaling_policy" in compute
    assert 'command          = ["web"]' in compute and 'command          = ["beat"]' in compute
    edge = _module("edge")
    assert 'subject_alternative_names = ["*.${var.platform_domain}"]' in edge
    assert 'name    = "*.${var.platform_domain}"' in edge
    monitoring = _module("monitoring")
    for metric in (
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "CPUUtilization",
        "FreeStorageSpace",
    ):
        assert f'"{metric}"' in monitoring, metric
