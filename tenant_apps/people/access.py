"""The people's door: a person named by a public id, as the viewer may reach them."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.institution.access import require_admin
from tenant_apps.people.models import User
from tenant_apps.people.selectors import people_visible_to


def access_person(viewer, public_id: str, *, for_write: bool = False) -> User:
    """The person, if ``viewer`` may see them; Http404 otherwise (missing looks the same).

    With ``for_write`` the viewer acts as the institution's admin: any person of the
    institution, deactivated ones too; PermissionDenied unless the viewer is an admin.
    """
    if for_write:
        require_admin(viewer)
        people = User.objects.all()
    else:
        people = people_visible_to(viewer)
    person = people.filter(public_id=public_id).first()
    if person is None:
        raise Http404(_("No such person."))
    return person
