"""Pushing to open pages over the live channel (config.live): a nudge, never the data.

A push says only "your notifications changed" or "your feed has something new"; the
page then reads the count or the feed through the ordinary endpoints, which apply the
permission rule. So nothing that travels through Redis needs to be filtered, and a
page that missed a push (no live connection) loses nothing but time: it polls.
"""

from __future__ import annotations

import logging

from django.db import connection

from config.live import person_channel_group, publish

log = logging.getLogger(__name__)


def push_to_users(user_ids: list[int], *, kind: str) -> None:
    """Tell the open pages of ``user_ids`` (in the current institution) that ``kind`` changed.

    Never raises: a push that fails only delays the update until the page's next poll.
    """
    if not user_ids:
        return
    schema = connection.schema_name
    try:
        publish(
            [person_channel_group(schema, user_id) for user_id in user_ids],
            {"type": "live.event", "kind": kind},
        )
    except Exception:  # the live channel is best effort; the data is already committed
        log.warning("live push failed", exc_info=True)
