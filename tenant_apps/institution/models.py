"""The institution's own profile, kept in its schema: what its pages are branded with."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    """Who may see a profile field, a group or an item (and what new profiles start as)."""

    PUBLIC = "public", _("Everyone")
    LOGGEDIN = "loggedin", _("Signed-in members of the institution")
    PRIVATE = "private", _("Only me (and the institution's admins)")


class SearchLanguage(models.TextChoices):
    """PostgreSQL's built-in text-search configurations (stemming and stop words)."""

    SIMPLE = "simple", _("No language (exact words)")
    DANISH = "danish", _("Danish")
    DUTCH = "dutch", _("Dutch")
    ENGLISH = "english", _("English")
    FINNISH = "finnish", _("Finnish")
    FRENCH = "french", _("French")
    GERMAN = "german", _("German")
    HUNGARIAN = "hungarian", _("Hungarian")
    ITALIAN = "italian", _("Italian")
    NORWEGIAN = "norwegian", _("Norwegian")
    PORTUGUESE = "portuguese", _("Portuguese")
    ROMANIAN = "romanian", _("Romanian")
    RUSSIAN = "russian", _("Russian")
    SPANISH = "spanish", _("Spanish")
    SWEDISH = "swedish", _("Swedish")
    TURKISH = "turkish", _("Turkish")


_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f4e8c.")


class InstitutionProfile(models.Model):
    """Exactly one row per schema (pk 1), written when the institution is provisioned."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    name = models.CharField(max_length=200)
    primary_colour = models.CharField(max_length=7, default="#1f4e8c", validators=[_colour])
    # What every profile field of a newly added person starts as; people change their own.
    default_visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.LOGGEDIN
    )
    # Self-registration at /register: off unless the admins switch it on. With
    # domains listed, only e-mail addresses at one of them (or a subdomain) may register.
    self_registration = models.BooleanField(default=False)
    # Password sign-in with local accounts. Off: only the institution's admins may
    # still sign in with a password (so they can never lock themselves out); everyone
    # else uses LDAP or OpenID Connect.
    local_signin = models.BooleanField(default=True)
    # Who must sign in with a second factor (TOTP or a recovery code) after any method.
    two_factor = models.CharField(
        max_length=8,
        choices=[("off", "nobody"), ("admins", "admins"), ("everyone", "everyone")],
        default="off",
    )
    registration_domains = models.JSONField(default=list, blank=True)
    # The text-search language of the institution's content, groups and profile fields
    # (a PostgreSQL text-search configuration; names always use 'simple' as well).
    # Changing it rebuilds the search index (tenant_apps.search).
    search_language = models.CharField(
        max_length=20, choices=SearchLanguage.choices, default=SearchLanguage.ENGLISH
    )
    # How long deleted items, folders and groups stay in the trash, restorable by their
    # managers, before the purge (tenant_apps.trash) removes them for good.
    trash_days = models.PositiveSmallIntegerField(
        default=30, db_default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # Shown on every page next to the name (tenant_apps.avatars.services sets it).
    logo = models.ForeignKey(
        "blobs.Blob", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="institution_profile_singleton"),
        ]

    def __str__(self) -> str:
        return self.name


class AdminAction(models.Model):
    """The institution's own audit trail: what its admins changed, when (in its schema).

    Written in the same transaction as the change it records. ``actor_label`` keeps
    who it was after the account is gone ("command line" for management commands).
    """

    created = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    verb = models.CharField(max_length=64)
    # A public id (u_..., g_...) or a settings area ("institution", "signin.ldap").
    target = models.CharField(max_length=100, blank=True)
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["verb", "-id"], name="admin_action_verb_idx")]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.target}"
