"""Export an institution to one archive, and import an archive as an identical institution.

The archive is a gzipped tar:

    manifest.json      format, the institution's metadata, its migration state and the
                       SHA-256 and size of every other member
    schema.sql         pg_dump of the institution's schema (structure and every row)
    blobs/<key>        every object under the institution's storage prefix

Import checks every member against the manifest before it writes anything; blobs
are stored before the database rows that refer to them, the rows go in one
transaction, and any failure removes what was written: a bad or truncated archive
leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shared_apps.audit.services import Actor, audit_record
from tenants.models import Domain, Tenant, TenantStatus, TenantUsage
from tenants.provisioning import migrate_schema
from tenants.schemas import (
    SchemaDumpError,
    applied_migrations,
    code_migrations,
    dump_schema,
    restore_schema,
)
from tenants.services import schema_name_for_slug, validate_hostname, validate_slug
from tenants.storage import (
    storage_delete_prefix,
    storage_download,
    storage_list_prefix,
    storage_upload,
    tenant_prefix,
)

FORMAT = "oae-tenant-archive"
FORMAT_VERSION = 1
Progress = Callable[[str], None]


_SAFE_KEY = re.compile(r"^[A-Za-z0-9._-][A-Za-z0-9._/-]{0,1000}$")


class ArchiveError(ValueError):
    """The archive is not one of ours, is damaged or truncated, or cannot be imported."""


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _human(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


class _Ticker:
    """Progress lines at most once a second, plus the last one."""

    def __init__(self, progress: Progress, total: int, what: str):
        self.progress, self.total, self.what = progress, total, what
        self.last = 0.0

    def __call__(self, done: int, size: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self.last >= 1.0:
            self.last = now
            self.progress(f"{self.what}: {done}/{self.total} ({_human(size)})")


# --- export -------------------------------------------------------------------
def tenant_export(
    *, tenant: Tenant, path: Path, actor: Actor, progress: Progress = lambda line: None
) -> dict:
    """Write ``tenant``'s archive to ``path`` (atomically: a temp file renamed at the end)."""
    path = Path(path)
    if path.is_dir():
        raise ValidationError(
            gettext("%(path)s is a directory; give the archive's file name.") % {"path": path}
        )
    if not path.parent.exists():
        raise ValidationError(
            gettext("The folder %(parent)s does not exist.") % {"parent": path.parent}
        )
    prefix = tenant_prefix(tenant.uuid)
    with tempfile.TemporaryDirectory(prefix="oae-export-", dir=path.parent) as work:
        work_dir = Path(work)
        progress(f"dumping schema {tenant.schema_name}")
        dump_path = work_dir / "schema.sql"
        with dump_path.open("wb") as handle:
            dump_schema(tenant.schema_name, handle)
        files = {"schema.sql": dict(zip(("sha256", "size"), _sha256_file(dump_path), strict=True))}
        progress(f"schema dumped ({_human(files['schema.sql']['size'])})")

        objects = list(storage_list_prefix(prefix))  # listed after the dump: covers its rows
        ticker = _Ticker(progress, len(objects), "blobs")
        blob_dir = work_dir / "blobs"
        total = 0
        blobs = []
        for index, obj in enumerate(objects, 1):
            relative = obj["Key"][len(prefix) :]
            target = blob_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as handle:
                storage_download(obj["Key"], handle)
            sha, size = _sha256_file(target)
            blobs.append({"key": relative, "sha256": sha, "size": size})
            total += size
            ticker(index, total)
        ticker(len(objects), total, final=True)

        usage = TenantUsage.objects.filter(tenant=tenant).first()
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": timezone.now().isoformat(),
            "tenant": {
                "slug": tenant.slug,
                "name": tenant.name,
                "uuid": str(tenant.uuid),
                "schema": tenant.schema_name,
                "status": tenant.status,
                "quota_people": tenant.quota_people,
                "quota_storage_bytes": tenant.quota_storage_bytes,
                "custom_domains": list(
                    tenant.domains.filter(is_primary=False).values_list("domain", flat=True)
                ),
            },
            "usage": {
                field: getattr(usage, field, 0) or 0
                for field in ("people", "items", "bytes_stored", "bytes_uploaded")
            },
            "migrations": sorted(
                f"{app}.{name}" for app, name in applied_migrations(tenant.schema_name)
            ),
            "files": files,
            "blobs": blobs,
        }
        manifest_path = work_dir / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, indent=1))

        progress(f"writing {path}")
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(manifest_path, arcname="manifest.json")
            archive.add(dump_path, arcname="schema.sql")
            for blob in blobs:
                archive.add(blob_dir / blob["key"], arcname=f"blobs/{blob['key']}")
        partial.replace(path)
    audit_record(
        actor=actor,
        verb="tenant.exported",
        target=tenant.slug,
        details={"blobs": len(blobs), "bytes": total},
    )
    progress(f"exported {tenant.slug}: {len(blobs)} blob(s), {_human(total)} of blobs")
    return manifest


# --- import -------------------------------------------------------------------
@dataclass
class _Unpacked:
    manifest: dict
    directory: Path


def _unpack(path: Path, work_dir: Path, progress: Progress) -> _Unpacked:
    """Extract and verify every member against the manifest; raise ArchiveError otherwise."""
    try:
        archive = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed by the `with` below)
    except FileNotFoundError:
        raise ArchiveError(f"There is no file {path}.") from None
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ArchiveError(f"{path} is not an institution archive ({error}).") from None
    try:
        with archive:
            first = archive.next()
            if first is None or first.name != "manifest.json" or not first.isfile():
                raise ArchiveError(f"{path} is not an institution archive (no manifest first).")
            try:
                manifest = json.loads(archive.extractfile(first).read())
            except ValueError:
                raise ArchiveError("The archive's manifest is not valid JSON.") from None
            if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
                raise ArchiveError("The archive is not in a format this platform can import.")
            expected = {"schema.sql": manifest["files"]["schema.sql"]}
            for blob in manifest["blobs"]:
                if not _SAFE_KEY.match(blob["key"]) or ".." in blob["key"].split("/"):
                    raise ArchiveError(f"The archive names an unsafe file: {blob['key']!r}")
                expected[f"blobs/{blob['key']}"] = blob
            ticker = _Ticker(progress, len(expected), "verifying")
            seen: set[str] = set()
            size_total = 0
            while (member := archive.next()) is not None:
                name = member.name
                if name not in expected or not member.isfile() or name in seen:
                    raise ArchiveError(f"The archive holds an unexpected member: {name}")
                target = work_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                with archive.extractfile(member) as source, target.open("wb") as out:
                    while chunk := source.read(1024 * 1024):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                want = expected[name]
                if digest.hexdigest() != want["sha256"] or size != want["size"]:
                    raise ArchiveError(
                        f"{name} does not match its checksum: the archive is damaged."
                    )
                seen.add(name)
                size_total += size
                ticker(len(seen), size_total)
            missing = set(expected) - seen
            if missing:
                raise ArchiveError(
                    f"The archive is incomplete: {len(missing)} member(s) missing "
                    f"(e.g. {sorted(missing)[0]})."
                )
            ticker(len(seen), size_total, final=True)
    except (tarfile.TarError, EOFError, OSError, KeyError, TypeError) as error:
        reason = str(error) or type(error).__name__
        raise ArchiveError(f"The archive is damaged or truncated ({reason}).") from None
    return _Unpacked(manifest, work_dir)


def tenant_import(
    *, path: Path, actor: Actor, slug: str | None = None, progress: Progress = lambda line: None
) -> Tenant:
    """Recreate the institution in ``path`` (under ``slug`` if given). All or nothing."""
    path = Path(path)
    connection.set_schema_to_public()
    with tempfile.TemporaryDirectory(prefix="oae-import-") as work:
        unpacked = _unpack(path, Path(work), progress)
        manifest = unpacked.manifest
        meta = manifest["tenant"]
        slug = (slug or meta["slug"]).strip().lower()
        validate_slug(slug)

        archived = set()
        for entry in manifest["migrations"]:
            app, _, name = entry.partition(".")
            archived.add((app, name))
        unknown = archived - code_migrations()
        if unknown:
            raise ArchiveError(
                "The archive comes from a newer version of the platform (unknown migrations: "
                f"{', '.join(sorted(f'{a}.{n}' for a, n in unknown)[:3])}); upgrade first."
            )

        tenant_uuid = uuid.UUID(meta["uuid"])
        if Tenant.objects.filter(uuid=tenant_uuid).exists():
            tenant_uuid = uuid.uuid4()  # the original still exists: a copy gets its own prefix
        prefix = tenant_prefix(tenant_uuid)
        if any(True for _ in storage_list_prefix(prefix)):
            raise ArchiveError(f"Storage already holds objects under {prefix}; refusing to mix.")

        schema = schema_name_for_slug(slug)
        try:
            ticker = _Ticker(progress, len(manifest["blobs"]), "storing blobs")
            stored = 0
            for index, blob in enumerate(manifest["blobs"], 1):
                with (unpacked.directory / "blobs" / blob["key"]).open("rb") as handle:
                    storage_upload(prefix + blob["key"], handle)
                stored += blob["size"]
                ticker(index, stored)
            ticker(len(manifest["blobs"]), stored, final=True)

            progress(f"restoring schema {meta['schema']} as {schema}")
            skipped_domains = []
            with transaction.atomic():
                with (unpacked.directory / "schema.sql").open(encoding="utf-8") as dump:
                    rows = restore_schema(dump, source=meta["schema"], target=schema)
                status = meta["status"] if meta["status"] != TenantStatus.DELETING else "active"
                tenant = Tenant.objects.create(
                    schema_name=schema,
                    slug=slug,
                    name=meta["name"],
                    uuid=tenant_uuid,
                    status=status,
                    quota_people=meta.get("quota_people"),
                    quota_storage_bytes=meta.get("quota_storage_bytes"),
                )
                Domain.objects.create(
                    domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=tenant, is_primary=True
                )
                for hostname in meta.get("custom_domains", []):
                    try:
                        Domain.objects.create(domain=validate_hostname(hostname), tenant=tenant)
                    except ValidationError:
                        skipped_domains.append(hostname)
                TenantUsage.objects.create(tenant=tenant, **manifest.get("usage", {}))
                audit_record(
                    actor=actor,
                    verb="tenant.imported",
                    target=slug,
                    details={
                        "from": meta["slug"],
                        "rows": rows,
                        "blobs": len(manifest["blobs"]),
                        "skipped_domains": skipped_domains,
                    },
                )
        except SchemaDumpError as error:
            storage_delete_prefix(prefix)
            raise ArchiveError(f"The archive's schema could not be restored: {error}") from None
        except BaseException:
            storage_delete_prefix(prefix)
            raise
        finally:
            connection.set_schema_to_public()
    progress(f"restored {rows} row(s)")
    for hostname in skipped_domains:
        progress(f"custom domain {hostname} is in use elsewhere: not added")
    if archived != code_migrations():
        progress("the archive predates some migrations: migrating the imported schema")
        migrate_schema(schema)
    progress(f"imported as {slug} at {slug}.{settings.PLATFORM_DOMAIN}")
    return tenant
