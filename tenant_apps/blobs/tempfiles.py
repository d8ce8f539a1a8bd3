"""Local temporary copies of blobs: named after the process that owns them, swept when stale.

A process removes its own copies in a ``finally``; one killed outright (SIGKILL, the
OOM killer, a pulled container) cannot. Every copy is named ``oae-<kind>-<pid>-...``
so that ``temp_files_sweep`` can remove the copies of processes that are gone at
once, and any copy older than CONTENT_TEMP_MAX_AGE_SECONDS whatever its owner (a
recycled pid). It runs when a worker starts and from the periodic sweep (beat).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO

from django.conf import settings

log = logging.getLogger(__name__)
NAME = re.compile(r"^oae-(?:process|blob)-(\d+)-")


def temp_dir() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


def temp_file(kind: str) -> IO[bytes]:
    """A new temporary file ``oae-<kind>-<pid>-...`` (not deleted on close: the caller
    removes it in a ``finally``)."""
    return tempfile.NamedTemporaryFile(
        prefix=f"oae-{kind}-{os.getpid()}-", dir=temp_dir(), delete=False
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):  # a zombie is gone for our purpose
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def temp_files_sweep(*, max_age: float | None = None) -> int:
    """Remove the copies of processes that no longer run, and any older than ``max_age``
    seconds (CONTENT_TEMP_MAX_AGE_SECONDS); returns how many were removed."""
    max_age = settings.CONTENT_TEMP_MAX_AGE_SECONDS if max_age is None else max_age
    now = time.time()
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(temp_dir()):
            match = NAME.match(entry.name)
            is_dir = entry.is_dir(follow_symlinks=False)  # a preview's work directory
            if match is None or not (is_dir or entry.is_file(follow_symlinks=False)):
                continue
            try:
                stale = not _alive(int(match.group(1))) or now - entry.stat().st_mtime > max_age
                if stale:
                    if is_dir:
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:  # its owner removed it meanwhile
                continue
    if removed:
        log.info("blob.temp_files_swept", extra={"removed": removed})
    return removed
