"""People of one institution (in its schema) and platform admins (in the public schema)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id
from tenant_apps.institution.models import Visibility


def new_user_id() -> str:
    return new_public_id("u")


def new_token_id() -> str:
    return new_public_id("pat")


# The profile fields that carry their own visibility, in display order.
PROFILE_FIELDS = ("display_name", "department", "role", "biography")
# The name shown for someone who has not given one. Never their username or e-mail address:
# those identify a student to everyone who can see the directory (FERPA).
PLACEHOLDER_DISPLAY_NAME = "New member"


class User(AbstractUser):
    """A person. ``public_id`` is the only handle that leaves the institution's admins."""

    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_user_id, editable=False
    )
    display_name = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    role = models.CharField("role or position", max_length=200, blank=True)
    biography = models.TextField(max_length=5000, blank=True)
    display_name_visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.LOGGEDIN
    )
    department_visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.LOGGEDIN
    )
    role_visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.LOGGEDIN
    )
    biography_visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.LOGGEDIN
    )
    # The SHA-256 of the person's profile picture (tenant_apps.avatars holds the blob
    # reference), empty without one; shown to whoever may see the person's name.
    # (A database default too: bulk loaders that COPY people need not know the column.)
    picture_sha256 = models.CharField(
        max_length=64, blank=True, editable=False, default="", db_default=""
    )
    # A person may keep out of the directory altogether (FERPA directory opt-out).
    listed_in_directory = models.BooleanField(default=True)
    # The interface's language and the time zone dates are shown in (config.locale);
    # empty: the institution's default (then the browser's language, UTC).
    language = models.CharField(_("language"), max_length=16, blank=True, default="", db_default="")
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, default="", db_default=""
    )
    # Search (tenant_apps.search): kept by a trigger in the write's transaction. The
    # name (in the 'simple' configuration and the institution's language) and each
    # profile field carry the weight of their visibility: A public, B signed-in
    # members, C private; searches are limited to the weights the viewer may see.
    # The username and e-mail address are never in it.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        indexes = [
            # The directory: listed, active people in name order (keyset pages).
            models.Index(
                fields=["display_name", "id"],
                name="people_directory_idx",
                condition=models.Q(listed_in_directory=True, is_active=True),
            ),
            GinIndex(
                fields=["search_vector"],
                name="people_search_idx",
                condition=models.Q(listed_in_directory=True, is_active=True),
            ),
            # Typo-tolerant and partial name search (pg_trgm).
            GinIndex(
                fields=["display_name"],
                opclasses=["gin_trgm_ops"],
                name="people_name_trgm_idx",
                condition=models.Q(listed_in_directory=True, is_active=True),
            ),
            # The World's newest people who chose to be listed.
            models.Index(
                models.F("date_joined").desc(),
                name="people_newest_idx",
                condition=models.Q(listed_in_directory=True, is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.public_id


class AccessToken(models.Model):
    """A personal access token, sent as ``Authorization: Bearer <token>``.

    Only a SHA-256 of the secret is stored; it lives in the institution's schema,
    so a token of one institution matches nothing on any other host.
    """

    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_token_id, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"
