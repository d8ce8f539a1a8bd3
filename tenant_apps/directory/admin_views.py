"""/manage/signin: the institution's admins choose how its people sign in."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenant_apps.directory.forms import (
    LdapForm,
    LocalSigninForm,
    OidcForm,
    SamlForm,
    TwoFactorPolicyForm,
)
from tenant_apps.directory.models import LdapSettings, OidcSettings, SamlSettings
from tenant_apps.directory.saml import sp_urls
from tenant_apps.directory.services import (
    ldap_settings_set,
    local_signin_set,
    oidc_settings_set,
    saml_settings_set,
    two_factor_policy_set,
)
from tenant_apps.institution.access import admin_required
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.access import access_person
from tenant_apps.people.two_factor import two_factor_reset

SECRET_FIELDS = {"ldap": "bind_password", "oidc": "client_secret", "saml": "idp_metadata_xml"}


def _initial(model, secret: str) -> dict:
    row = model.objects.filter(pk=model.SINGLETON_PK).first()
    if row is None:
        return {}
    values = {field.name: getattr(row, field.name) for field in model._meta.fields}
    values.pop(secret, None)
    return values


@admin_required
def signin_methods_page(request: HttpRequest) -> HttpResponse:
    profile = institution_profile()
    # Each form has its own prefix, so that the three forms' field ids never collide.
    forms = {
        "local": LocalSigninForm(initial={"local_signin": profile.local_signin}, prefix="local"),
        "ldap": LdapForm(initial=_initial(LdapSettings, "bind_password"), prefix="ldap"),
        "oidc": OidcForm(initial=_initial(OidcSettings, "client_secret"), prefix="oidc"),
        "saml": SamlForm(initial=_initial(SamlSettings, "idp_metadata_xml"), prefix="saml"),
        "two_factor": TwoFactorPolicyForm(
            initial={"two_factor": profile.two_factor}, prefix="two_factor"
        ),
    }
    status = 200
    if request.method == "POST":
        section = request.POST.get("section")
        form_class = {
            "local": LocalSigninForm,
            "ldap": LdapForm,
            "oidc": OidcForm,
            "saml": SamlForm,
            "two_factor": TwoFactorPolicyForm,
        }.get(section)
        if form_class is None:
            messages.error(request, _("Choose which sign-in method to save."))
            return redirect("manage-signin")
        form = forms[section] = form_class(request.POST, prefix=section)
        if form.is_valid():
            values = dict(form.cleaned_data)
            secret = SECRET_FIELDS.get(section)
            if secret and not values.get(secret):
                values.pop(secret, None)  # left empty: keep the stored one
            try:
                if section == "local":
                    local_signin_set(actor=request.user, enabled=values["local_signin"])
                elif section == "ldap":
                    ldap_settings_set(actor=request.user, **values)
                elif section == "two_factor":
                    two_factor_policy_set(actor=request.user, policy=values["two_factor"])
                elif section == "saml":
                    saml_settings_set(actor=request.user, **values)
                else:
                    oidc_settings_set(actor=request.user, **values)
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, _("The sign-in settings are saved."))
                return redirect("manage-signin")
        status = 400
    return render(
        request,
        "directory/manage_signin.html",
        {
            "forms": forms,
            "callback_url": request.build_absolute_uri("/oidc/callback"),
            "saml_sp": sp_urls(request),
            "saml_entity_id": (
                SamlSettings.objects.filter(pk=SamlSettings.SINGLETON_PK)
                .values_list("idp_entity_id", flat=True)
                .first()
            ),
        },
        status=status,
    )


@require_POST
@admin_required
def person_two_factor_reset(request: HttpRequest, public_id: str) -> HttpResponse:
    """POST /manage/people/<id>/two-factor-reset: remove the person's second factor."""
    person = access_person(request.user, public_id, for_write=True)
    if two_factor_reset(actor=request.user, person=person):
        messages.success(request, _("Two-factor sign-in was reset: they set it up again."))
    else:
        messages.info(request, _("They had no second factor."))
    return redirect("manage-person", public_id=person.public_id)
