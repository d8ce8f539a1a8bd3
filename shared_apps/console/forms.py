"""The console's forms. Rules live in tenants.services; forms only parse and label."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shared_apps.console.access import is_platform_admin
from shared_apps.console.selectors import DEFAULT_TENANT_SORT, TENANT_SORT_LABELS
from tenants.models import TenantStatus
from tenants.services import validate_slug

# The columns' limits (PositiveIntegerField, PositiveBigIntegerField).
MAX_QUOTA_PEOPLE = 2_147_483_647
MAX_QUOTA_BYTES = 9_223_372_036_854_775_807
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class ConsoleLoginForm(AuthenticationForm):
    """Django's sign-in form, admitting platform admins only (like the Django admin's).

    A right password for an account that is not a platform admin gets the same
    answer as a wrong one: the form does not tell which accounts exist.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That username and password do not match a platform administrator's account. "
            "Both are case-sensitive. (An institution's administrators sign in on their "
            "institution's own address, not here.)"
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not is_platform_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class TenantFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=200, help_text=_("Name, slug or host name")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *TenantStatus.choices]
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            choice
            for key, label in TENANT_SORT_LABELS.items()
            for choice in ((key, f"{label} (ascending)"), (f"-{key}", f"{label} (descending)"))
        ],
    )
    limit = forms.IntegerField(
        label=_("Per page"),
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        widget=forms.NumberInput(attrs={"placeholder": DEFAULT_PAGE_SIZE}),
    )

    def value(self, name: str, default):
        """A field's clean value, or ``default`` when missing or invalid (filters never fail)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or default

    @property
    def sort_value(self) -> str:
        return self.value("sort", DEFAULT_TENANT_SORT)


class AuditFilterForm(forms.Form):
    target = forms.CharField(label=_("Institution (slug)"), required=False, max_length=100)
    verb = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=64,
        help_text=_("For example tenant.suspended"),
    )


class TenantCreateForm(forms.Form):
    slug = forms.CharField(
        label=_("Slug (subdomain)"),
        max_length=63,
        # Help texts are HTML: "<slug>" would vanish as an unknown tag.
        help_text=_(
            "It becomes the institution's address, for example "
            "<code>history.%(platform_domain)s</code>. Lower-case letters, digits and hyphens."
        )
        % {"platform_domain": settings.PLATFORM_DOMAIN},
        error_messages={"required": _("Choose a slug: it becomes the institution's subdomain.")},
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("The institution needs a name.")},
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        validate_slug(slug)  # the service's own rule: invalid, reserved or taken
        return slug


class TenantNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("The institution needs a name.")},
    )


class DeleteForm(forms.Form):
    confirm = forms.CharField(label=_("Type the institution's slug to confirm"), max_length=63)

    def __init__(self, *args, slug: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.slug = slug

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != self.slug:
            raise ValidationError(
                _("Type '%(slug)s' exactly to confirm the deletion; nothing was deleted.")
                % {"slug": self.slug}
            )
        return value


class DomainForm(forms.Form):
    hostname = forms.CharField(
        label=_("Custom domain"), max_length=253, help_text=_("For example learn.example.edu")
    )


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b|bytes?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """Bytes from "1048576", "500 MB" or "1.5 GiB" (1 KB = 1024 bytes). ValueError if not."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(text)
    number, unit = match.group(1), (match.group(2) or "").lower()
    multiplier = _UNITS.get(unit) or _UNITS[unit[0]]
    try:
        return int(Decimal(number) * multiplier)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits decimals only
        raise ValueError(text) from exc


class SizeField(forms.CharField):
    """A number of bytes, or a size with a unit; blank is None (no limit)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            size = parse_size(value)
        except ValueError:
            raise ValidationError(
                _(
                    "Give a whole number of bytes or a size such as 500 MB or 20 GB, or leave it "
                    "blank for no limit."
                ),
                code="invalid",
            ) from None
        if size > MAX_QUOTA_BYTES:
            raise ValidationError(
                _("That is more storage than a quota can hold."), code="max_value"
            )
        return size


class QuotaForm(forms.Form):
    quota_people = forms.IntegerField(
        label=_("People"),
        required=False,
        min_value=0,
        max_value=MAX_QUOTA_PEOPLE,
        help_text=_("The most people the institution may have. Blank: unlimited."),
    )
    quota_storage_bytes = SizeField(
        label=_("Storage"),
        required=False,
        help_text=_("Bytes, or a size such as 500 MB or 20 GB (1 GB = 1024 MB). Blank: unlimited."),
    )


TOKEN_LIFETIMES = [
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("365", _("1 year")),
    ("", _("Never")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 'provisioning script'."),
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=TOKEN_LIFETIMES,
        required=False,
        coerce=int,
        empty_value=None,
        initial="90",
    )
