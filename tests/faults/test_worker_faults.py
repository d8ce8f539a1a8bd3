"""A real worker process under faults: broker loss, a database outage mid-task, being
killed mid-task, and messages that never reached the queue. Nothing stays pending after
the sweep, attempts are bounded, and no temporary copy is left behind."""

from __future__ import annotations

import contextlib
import os
import signal
from datetime import timedelta

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from tenant_apps.content.models import Processing
from tests.faults.conftest import upload, version_state, wait_until
from tests.tenant_apps.content.conftest import pdf_bytes

pytestmark = pytest.mark.usefixtures("committed")


def _upload_with_storage_frozen(faults, outage, stack: contextlib.ExitStack, name: str):
    """Upload (storage answers), then freeze storage before the commit sends the task:
    the worker's attempt hangs reading the object, mid-task."""
    # The commit (which sends the task) happens in the institution, as in a request.
    with schema_context(faults.tenant.schema_name), transaction.atomic():
        item, version = upload(faults, pdf_bytes(name), f"{name}.pdf")
        stack.enter_context(outage.paused("s3"))
    return item, version


def _done(faults, version_id: int):
    state = version_state(faults, version_id)
    finished = {Processing.DONE, Processing.NONE, Processing.FAILED}
    if state.preview_status in finished and state.text_status in finished:
        return state
    return None


def test_lost_messages_are_recovered_by_the_sweep_and_the_worker_survives_redis_loss(
    faults, outage, worker
):
    from tenant_apps.content.tasks import sweep, versions_requeue

    with outage.down("redis"):
        # The uploads commit; their messages cannot be sent (the broker is down).
        made = [upload(faults, pdf_bytes(f"Lecture {n}"), f"lecture-{n}.pdf") for n in range(3)]
        assert worker.is_alive()
    assert worker.is_alive(), "the worker ended when the broker went away"
    wait_until(worker.answers, "the worker to reconnect", timeout=60)
    for _item, version in made:
        assert version_state(faults, version.pk).preview_status == Processing.PENDING
    with schema_context(faults.tenant.schema_name):
        # Too recent for the sweep's threshold: not queued twice.
        assert versions_requeue() == 0
    # The beat task, with the threshold passed: every lost message is sent again.
    from django.test import override_settings

    with override_settings(CONTENT_PROCESSING_SWEEP_AFTER_SECONDS=0):
        report = sweep.apply().get()
    assert report[faults.tenant.slug] == 3
    for _item, version in made:
        state = wait_until(lambda v=version: _done(faults, v.pk), "the sweep's work", 60)
        assert state.preview_status == Processing.DONE
        assert state.text_status == Processing.DONE
    # The copies go in the task's ``finally``, just after the commit that marks it done.
    wait_until(lambda: worker.temp_copies() == [], "the tasks' copies to go", 30)


def test_a_task_in_flight_when_redis_goes_away_finishes_and_the_worker_carries_on(
    faults, outage, worker
):
    with contextlib.ExitStack() as frozen:
        _item, version = _upload_with_storage_frozen(faults, outage, frozen, "in-flight")
        # The task has started (its attempt is counted) and hangs reading the object.
        wait_until(
            lambda: (
                version_state(faults, version.pk).processing_attempts == 1 and worker.temp_copies()
            ),
            "the task to start",
        )
        stop_redis = outage.down("redis")
        stop_redis.__enter__()
    try:
        # Storage answers again; the task finishes while the broker is gone.
        state = wait_until(lambda: _done(faults, version.pk), "the task to finish", 60)
        assert state.preview_status == Processing.DONE
    finally:
        stop_redis.__exit__(None, None, None)
    assert worker.is_alive(), "the worker ended when the broker went away mid-task"
    wait_until(worker.answers, "the worker to reconnect", timeout=60)
    _item, later = upload(faults, pdf_bytes("After"), "after.pdf")
    assert wait_until(lambda: _done(faults, later.pk), "a task after the outage", 60)


def test_a_database_outage_inside_a_task_is_retried_not_dropped(faults, outage, worker):
    with contextlib.ExitStack() as frozen:
        _item, version = _upload_with_storage_frozen(faults, outage, frozen, "db-gone")
        wait_until(lambda: worker.temp_copies(), "the task to start")
        stop_db = outage.down("postgresql")
        stop_db.__enter__()
    try:
        # Storage is back, the database is not: the attempt fails where it saves, its
        # failure handler cannot write either, and the task retries without asking it.
        wait_until(lambda: worker.temp_copies() == [], "the attempt to end", 30)
    finally:
        stop_db.__exit__(None, None, None)
    state = wait_until(lambda: _done(faults, version.pk), "the retry to succeed", 60)
    assert state.preview_status == Processing.DONE
    assert state.processing_attempts == 2


def test_a_worker_killed_mid_task_leaves_no_copy_and_is_given_up_after_n_attempts(
    faults, outage, worker
):
    killed = []
    with contextlib.ExitStack() as frozen:
        _item, version = _upload_with_storage_frozen(faults, outage, frozen, "killer")
        for attempt in (1, 2):  # CONTENT_PROCESSING_ATTEMPTS=2 in the worker
            copies = wait_until(
                lambda: [c for c in worker.temp_copies() if c.split("-")[2] not in killed],
                f"attempt {attempt} to start",
            )
            pid = copies[0].split("-")[2]
            assert version_state(faults, version.pk).processing_attempts == attempt
            os.kill(int(pid), signal.SIGKILL)  # mid-read: no finally runs, no exception
            killed.append(pid)
        # Redelivered once more: the attempts are used up, so it records the failure.
        state = wait_until(
            lambda: (
                version_state(faults, version.pk).preview_status == Processing.FAILED
                and version_state(faults, version.pk)
            ),
            "the version to be given up",
            60,
        )
    assert state.processing_attempts == 2
    assert state.text_status == Processing.FAILED
    assert "Gave up after 2 attempts" in state.processing_error
    # The replacement pool process removed the copies of the ones that were killed.
    wait_until(lambda: worker.temp_copies() == [], "the killed tasks' copies to go", 30)
    assert worker.is_alive()


def test_the_sweep_leaves_fresh_and_finished_versions_alone(faults, committed):
    from tenant_apps.content.tasks import versions_requeue

    _item, version = upload(faults, b"plain words", "words.txt")
    with schema_context(faults.tenant.schema_name):
        from tenant_apps.content.models import ContentVersion

        ContentVersion.objects.filter(pk=version.pk).update(
            preview_status=Processing.NONE, text_status=Processing.DONE
        )
        assert versions_requeue(older_than=timedelta(0)) == 0
