"""Setting and removing profile pictures and the institution's logo (UI, API, one path each)."""

from __future__ import annotations

from typing import IO

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from tenant_apps.avatars.models import Avatar
from tenant_apps.blobs.images import picture_remove, picture_replace
from tenant_apps.blobs.tenancy import current_tenant
from tenant_apps.institution.access import require_admin
from tenant_apps.institution.audit import admin_action_record
from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.institution.selectors import institution_profile_changed
from tenant_apps.people.caches import user_changed
from tenant_apps.people.models import User

AVATAR_SIDE = 256
LOGO_SIDE = 400


def _require_self_or_admin(actor: User, person: User) -> None:
    if actor.pk != person.pk and not (actor.is_active and actor.is_staff):
        raise PermissionDenied(_("Only the person and the institution's admins change a picture."))


def avatar_set(*, actor: User, person: User, source: IO[bytes]) -> User:
    """Give ``person`` this picture (re-encoded as a 256 px square PNG); ValidationError if
    it is not a picture we accept."""
    _require_self_or_admin(actor, person)

    def attach(blob) -> int | None:
        row = Avatar.objects.select_for_update().filter(user=person).first()
        previous = row.blob_id if row is not None else None
        Avatar.objects.update_or_create(user=person, defaults={"blob": blob})
        User.objects.filter(pk=person.pk).update(picture_sha256=blob.sha256)
        user_changed(person.pk)
        return previous

    blob = picture_replace(
        tenant=current_tenant(), source=source, side=AVATAR_SIDE, square=True, attach=attach
    )
    person.picture_sha256 = blob.sha256
    return person


def avatar_remove(*, actor: User, person: User) -> User:
    _require_self_or_admin(actor, person)

    def detach() -> int | None:
        row = Avatar.objects.select_for_update().filter(user=person).first()
        if row is None:
            return None
        row.delete()
        User.objects.filter(pk=person.pk).update(picture_sha256="")
        user_changed(person.pk)
        return row.blob_id

    picture_remove(detach=detach)
    person.picture_sha256 = ""
    return person


def _profile_locked() -> InstitutionProfile:
    profile = (
        InstitutionProfile.objects.select_for_update()
        .filter(pk=InstitutionProfile.SINGLETON_PK)
        .first()
    )
    if profile is None:
        raise PermissionDenied(_("The institution has no profile yet."))
    return profile


def institution_logo_set(*, actor: User, source: IO[bytes]) -> InstitutionProfile:
    """The institution's logo (re-encoded as a PNG at most 400 px), shown on every page."""
    require_admin(actor)

    def attach(blob) -> int | None:
        profile = _profile_locked()
        previous = profile.logo_id
        InstitutionProfile.objects.filter(pk=profile.pk).update(logo=blob)
        institution_profile_changed()
        admin_action_record(actor=actor, verb="institution.logo_set", target="institution")
        return previous

    picture_replace(
        tenant=current_tenant(),
        source=source,
        side=LOGO_SIDE,
        square=False,
        attach=attach,
        field="logo",
    )
    return InstitutionProfile.objects.get(pk=InstitutionProfile.SINGLETON_PK)


@transaction.atomic
def institution_logo_remove(*, actor: User) -> None:
    require_admin(actor)

    def detach() -> int | None:
        profile = _profile_locked()
        if profile.logo_id is None:
            return None
        InstitutionProfile.objects.filter(pk=profile.pk).update(logo=None)
        institution_profile_changed()
        admin_action_record(actor=actor, verb="institution.logo_removed", target="institution")
        return profile.logo_id

    picture_remove(detach=detach)
