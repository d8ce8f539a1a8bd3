"""Writes about discussions: start, edit and delete a topic, members, replies, following.

Bodies are sanitised with nh3 (formatting and http(s)/mailto links, as messages are).
People are mentioned by opaque id (the picker): only people the actor may see, shown by
their visible name, and told through the activity app (as long as they may see the topic).
The author of a topic and everyone who replies follow it; followers are told of replies.
"""

from __future__ import annotations

import nh3
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from config.text import one_line
from tenant_apps.activity.services import activity_access_changed, activity_record
from tenant_apps.discussions.models import (
    Discussion,
    DiscussionMember,
    DiscussionRole,
    Follower,
    Mention,
    Reply,
)
from tenant_apps.discussions.selectors import discussions_visible_to
from tenant_apps.groups.models import Group, GroupMembership
from tenant_apps.people.models import User, Visibility
from tenant_apps.people.selectors import people_visible_to

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre", "strong", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
MAX_BODY = 50_000
MAX_MENTIONS = 20
# Deeper answers are kept at this depth (answers to the last level's reply), so that a
# long back-and-forth does not march off the page.
MAX_DEPTH = 6
PAD = 12


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def body_clean(body: str | None, *, field: str = "body") -> str:
    """``body`` as safe HTML (nh3); ValidationError on ``field`` when too long or empty."""
    body = body or ""
    if len(body) > MAX_BODY:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": f"{MAX_BODY:,}"}]})
    cleaned = nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
    if not nh3.clean(cleaned, tags=set()).strip():
        raise ValidationError({field: [_("Write something first.")]})
    return cleaned


def _title(title: str | None) -> str:
    try:
        return one_line(
            title,
            empty=_("A discussion needs a title."),
            too_long=_("A title is at most 200 characters."),
        )
    except ValidationError as error:
        raise ValidationError({"title": error.messages}) from None


def _visibility(visibility: str) -> str:
    if visibility not in Visibility.values:
        raise ValidationError(
            {"visibility": [_("Choose one of: %(v)s.") % {"v": ", ".join(Visibility.values)}]}
        )
    return visibility


def people_resolve(*, actor: User, ids: list[str], field: str) -> list[User]:
    """The people ``ids`` (u_...) name, as ``actor`` may see them; ValidationError on
    ``field`` naming each id that is unknown or not visible (the same words for both)."""
    wanted = list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))
    if len(wanted) > MAX_MENTIONS:
        raise ValidationError({field: [_("At most %(n)s people at once.") % {"n": MAX_MENTIONS}]})
    found = {p.public_id: p for p in people_visible_to(actor).filter(public_id__in=wanted)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationError(
            {field: [_("%(id)s: there is no one with this id.") % {"id": i} for i in missing]}
        )
    return [found[i] for i in wanted]


def _mention(*, actor: User, discussion: Discussion, reply: Reply | None, people: list[User]):
    people = [p for p in people if p.pk != actor.pk]
    if not people:
        return
    Mention.objects.bulk_create(
        [Mention(discussion=discussion, reply=reply, user=p) for p in people],
        ignore_conflicts=True,
    )
    activity_record(
        actor=actor,
        verb="discussion.mentioned",
        discussion=discussion,
        group=discussion.group,
        targets=people,
    )


@transaction.atomic
def discussion_create(
    *,
    actor: User,
    title: str,
    body: str,
    visibility: str = Visibility.LOGGEDIN,
    group: Group | None = None,
    mentions: list[str] = (),
) -> Discussion:
    """Start a topic (within ``group``, whose member ``actor`` must be; the caller's door
    has checked ``actor`` may see it). ``actor`` becomes its manager and follows it.

    ValidationError by field for a bad title, body, visibility or mention; PermissionDenied
    when ``actor`` is not a member of ``group``.
    """
    if not _signed_in(actor):
        raise PermissionDenied(_("Sign in to start a discussion."))
    errors: dict[str, list[str]] = {}
    people: list[User] = []
    try:
        title = _title(title)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        body = body_clean(body)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        visibility = _visibility(visibility)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        people = people_resolve(actor=actor, ids=list(mentions), field="mentions")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if group is not None and not GroupMembership.objects.filter(group=group, user=actor).exists():
        raise PermissionDenied(_("Only the group's members start discussions in it."))
    now = timezone.now()
    discussion = Discussion.objects.create(
        title=title,
        body=body,
        visibility=visibility,
        group=group,
        created_by=actor,
        last_activity_at=now,
    )
    DiscussionMember.objects.create(discussion=discussion, user=actor, role=DiscussionRole.MANAGER)
    Follower.objects.create(discussion=discussion, user=actor)
    activity_record(actor=actor, verb="discussion.created", discussion=discussion, group=group)
    _mention(actor=actor, discussion=discussion, reply=None, people=people)
    return discussion


def _require_manager(actor: User, discussion: Discussion) -> None:
    # Doors annotate viewer_can_manage; a row fetched otherwise is asked again.
    if getattr(discussion, "viewer_can_manage", None) is None:
        discussion = discussions_visible_to(actor).filter(pk=discussion.pk).first() or discussion
    if not getattr(discussion, "viewer_can_manage", False):
        raise PermissionDenied(_("Only the discussion's managers may do this."))


@transaction.atomic
def discussion_update(
    *,
    actor: User,
    discussion: Discussion,
    title: str | None = None,
    body: str | None = None,
    visibility: str | None = None,
) -> Discussion:
    """Change a topic's title, text or visibility (its managers and its group's managers)."""
    _require_manager(actor, discussion)
    errors: dict[str, list[str]] = {}
    changes: dict[str, str] = {}
    for name, value, check in (
        ("title", title, _title),
        ("body", body, body_clean),
        ("visibility", visibility, _visibility),
    ):
        if value is None:
            continue
        try:
            changes[name] = check(value)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    for name, value in changes.items():
        setattr(discussion, name, value)
    if changes:
        discussion.save(update_fields=list(changes))
        if "visibility" in changes:
            activity_access_changed()
    return discussion


@transaction.atomic
def discussion_delete(*, actor: User, discussion: Discussion) -> None:
    """Delete a topic with its replies (and their activities, by cascade)."""
    _require_manager(actor, discussion)
    discussion.delete()
    activity_access_changed()


@transaction.atomic
def discussion_member_add(
    *, actor: User, discussion: Discussion, person: User, role: str = DiscussionRole.MEMBER
) -> DiscussionMember:
    """Make ``person`` (whom the caller resolved as visible to ``actor``) a member or manager;
    they follow it too."""
    _require_manager(actor, discussion)
    if role not in DiscussionRole.values:
        raise ValidationError({"role": [_("Choose member or manager.")]})
    member, _created = DiscussionMember.objects.update_or_create(
        discussion=discussion, user=person, defaults={"role": role}
    )
    Follower.objects.get_or_create(discussion=discussion, user=person)
    return member


@transaction.atomic
def discussion_member_remove(*, actor: User, discussion: Discussion, person: User) -> None:
    """Take ``person`` out of the topic's members (a manager, or oneself); the last manager
    of a topic outside any group stays."""
    if person.pk != actor.pk:
        _require_manager(actor, discussion)
    rows = DiscussionMember.objects.select_for_update().filter(discussion=discussion)
    managers = [m for m in rows if m.role == DiscussionRole.MANAGER]
    leaving = next((m for m in rows if m.user_id == person.pk), None)
    if leaving is None:
        return
    if (
        discussion.group_id is None
        and leaving.role == DiscussionRole.MANAGER
        and len(managers) == 1
    ):
        raise ValidationError(_("A discussion needs at least one manager."))
    leaving.delete()
    activity_access_changed()


@transaction.atomic
def reply_create(
    *,
    actor: User,
    discussion: Discussion,
    body: str,
    parent: Reply | None = None,
    mentions: list[str] = (),
) -> Reply:
    """``actor`` (signed in; the door let them see the topic) replies to the topic, or to
    ``parent`` (a reply of the same topic). They follow the topic from now on; its other
    followers are told, and so are the people mentioned."""
    if not _signed_in(actor):
        raise PermissionDenied(_("Sign in to reply."))
    if parent is not None and parent.discussion_id != discussion.pk:
        raise ValidationError({"parent": [_("That reply is not in this discussion.")]})
    errors: dict[str, list[str]] = {}
    people: list[User] = []
    try:
        body = body_clean(body)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        people = people_resolve(actor=actor, ids=list(mentions), field="mentions")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if parent is not None and parent.depth >= MAX_DEPTH:
        parent = parent.parent  # kept at the deepest level: an answer beside its parent
    reply = Reply.objects.create(discussion=discussion, parent=parent, author=actor, body=body)
    own = f"{reply.pk:0{PAD}d}"
    reply.path = f"{parent.path}.{own}" if parent is not None else own
    reply.depth = parent.depth + 1 if parent is not None else 0
    reply.save(update_fields=["path", "depth"])
    Discussion.objects.filter(pk=discussion.pk).update(
        reply_count=F("reply_count") + 1, last_activity_at=timezone.now()
    )
    Follower.objects.get_or_create(discussion=discussion, user=actor)
    activity_record(
        actor=actor,
        verb="discussion.replied",
        discussion=discussion,
        group=discussion.group,
        data={"reply": reply.public_id},
    )
    _mention(actor=actor, discussion=discussion, reply=reply, people=people)
    return reply


@transaction.atomic
def discussion_follow(*, actor: User, discussion: Discussion) -> None:
    """``actor`` is told of the topic's replies from now on (idempotent)."""
    if not _signed_in(actor):
        raise PermissionDenied(_("Sign in to follow a discussion."))
    Follower.objects.get_or_create(discussion=discussion, user=actor)


@transaction.atomic
def discussion_unfollow(*, actor: User, discussion: Discussion) -> None:
    """``actor`` is no longer told of the topic's replies (idempotent)."""
    Follower.objects.filter(discussion=discussion, user=actor).delete()
