"""The discussions' doors: every page and endpoint fetches a topic or a reply here."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.discussions.models import Discussion, Reply
from tenant_apps.discussions.selectors import discussions_visible_to


def access_discussion(viewer, public_id: str, *, for_write: bool = False) -> Discussion:
    """The topic ``public_id`` if ``viewer`` may see it (and manage it, with ``for_write``).

    Http404 otherwise: missing and not allowed answer alike, so ids cannot be probed.
    """
    discussion = (
        discussions_visible_to(viewer)
        .select_related("created_by", "group")
        .filter(public_id=public_id)
        .first()
    )
    if discussion is None or (for_write and not discussion.viewer_can_manage):
        raise Http404(_("No such discussion."))
    return discussion


def access_reply(discussion: Discussion, public_id: str) -> Reply:
    """A reply of ``discussion`` (which the caller's door let the viewer see); Http404 for
    any other id, a reply of another topic included."""
    reply = Reply.objects.filter(discussion=discussion, public_id=public_id).first()
    if reply is None:
        raise Http404(_("No such reply."))
    return reply
