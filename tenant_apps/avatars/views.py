"""Serving and changing profile pictures and the institution's logo (pages)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from config.errors import show_error
from tenant_apps.avatars.models import Avatar
from tenant_apps.avatars.services import (
    avatar_remove,
    avatar_set,
    institution_logo_remove,
    institution_logo_set,
)
from tenant_apps.blobs.downloads import serve_blob
from tenant_apps.blobs.models import Blob
from tenant_apps.institution.access import admin_required
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.access import access_person
from tenant_apps.people.models import User
from tenant_apps.people.selectors import profile_for


@require_GET
def person_picture(request: HttpRequest, public_id: str) -> HttpResponse:
    """A person's picture, to whoever may see their name (404 otherwise, or without one)."""
    person = access_person(request.user, public_id)
    if "picture" not in profile_for(request.user, person):
        raise Http404(gettext("No such picture."))
    avatar = Avatar.objects.select_related("blob").filter(user=person).first()
    if avatar is None:
        raise Http404(gettext("No such picture."))
    return serve_blob(request, blob=avatar.blob, filename="picture.png", mime="image/png")


@require_GET
def institution_logo(request: HttpRequest) -> HttpResponse:
    profile = institution_profile()
    if profile.logo_id is None:
        raise Http404(gettext("This institution has no logo."))
    return serve_blob(
        request, blob=Blob.objects.get(pk=profile.logo_id), filename="logo.png", mime="image/png"
    )


def _picture_form(
    request: HttpRequest, *, field: str, texts: dict[str, str], back: str, set_, remove
) -> HttpResponse:
    """One form for a picture: "remove" removes it, else the ``field`` file replaces it.
    ``texts``: the "removed", "missing" and "saved" messages."""
    if "remove" in request.POST:
        remove()
        messages.success(request, texts["removed"])
        return redirect(back)
    upload = request.FILES.get(field)
    if upload is None:
        messages.error(request, texts["missing"])
        return redirect(back)
    try:
        set_(upload)
    except ValidationError as error:
        show_error(request, error)
    else:
        messages.success(request, texts["saved"])
    return redirect(back)


@login_required(login_url="signin")
@require_POST
def my_picture(request: HttpRequest) -> HttpResponse:
    me = User.objects.get(pk=request.user.pk)
    return _picture_form(
        request,
        field="picture",
        texts={
            "removed": gettext("Your picture is removed."),
            "missing": gettext("Choose a picture to upload."),
            "saved": gettext("Your picture is saved."),
        },
        back="profile-edit",
        set_=lambda upload: avatar_set(actor=request.user, person=me, source=upload),
        remove=lambda: avatar_remove(actor=request.user, person=me),
    )


@admin_required
@require_POST
def manage_logo(request: HttpRequest) -> HttpResponse:
    return _picture_form(
        request,
        field="logo",
        texts={
            "removed": gettext("The logo is removed."),
            "missing": gettext("Choose a logo to upload."),
            "saved": gettext("The logo is saved."),
        },
        back="manage-institution",
        set_=lambda upload: institution_logo_set(actor=request.user, source=upload),
        remove=lambda: institution_logo_remove(actor=request.user),
    )
