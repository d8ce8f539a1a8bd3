"""Sign-up pages: the form and the confirmation link on the platform host, the admin's
welcome (set a password) on the new institution's host."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from config.errors import show_error
from shared_apps.signup.forms import SignupForm
from shared_apps.signup.services import (
    SIGNUP_LIMIT,
    SIGNUP_LINK_LIFETIME,
    SignupLinkExpired,
    SignupLinkInvalid,
    SignupLinkUsed,
    SignupSlugTaken,
    SignupThrottled,
    SignupUnavailable,
    institution_url,
    platform_url,
    signup_application_usable,
    signup_confirm,
    signup_request,
    signup_throttle_check,
    signup_welcome_url,
)
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.models import User


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _address(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"


def _throttled(request: HttpRequest, problem: SignupThrottled) -> HttpResponse:
    # Keep what they typed (unbound: no error messages for fields they filled in well).
    form = SignupForm(initial={name: request.POST.get(name, "") for name in SignupForm.base_fields})
    minutes = max(1, round(problem.retry_after / 60))
    response = render(
        request,
        "signup/form.html",
        {"form": form, "throttled_minutes": minutes, "limit": SIGNUP_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(problem.retry_after)
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signup_form(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "signup/form.html", {"form": SignupForm()})
    ip = _client_ip(request)
    try:
        signup_throttle_check(ip=ip)
    except SignupThrottled as problem:
        return _throttled(request, problem)
    form = SignupForm(request.POST)
    if form.is_valid():
        try:
            application, _token = signup_request(**form.cleaned_data, ip=ip)
        except SignupThrottled as problem:
            return _throttled(request, problem)
        except ValidationError as error:  # e.g. the subdomain was taken a moment ago
            show_error(request, error, form=form)
        else:
            return render(
                request,
                "signup/sent.html",
                {
                    "email": application.admin_email,
                    "hours": int(SIGNUP_LINK_LIFETIME.total_seconds() // 3600),
                },
            )
    return render(request, "signup/form.html", {"form": form}, status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signup_confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what will be created and a button; only the POST provisions, so a mail
    scanner that fetches the link creates nothing."""
    context: dict = {"signup_url": platform_url("/signup/")}
    try:
        if request.method == "POST":
            application, admin = signup_confirm(token=token, ip=_client_ip(request))
            return HttpResponseRedirect(signup_welcome_url(tenant=application.tenant, admin=admin))
        application = signup_application_usable(token)
    except SignupLinkInvalid:
        return render(request, "signup/link_invalid.html", context, status=404)
    except SignupLinkExpired:
        context["hours"] = int(SIGNUP_LINK_LIFETIME.total_seconds() // 3600)
        return render(request, "signup/link_expired.html", context, status=410)
    except SignupLinkUsed as problem:
        tenant = problem.application.tenant
        if tenant is not None and tenant.is_routable:
            context["institution_name"] = tenant.name
            context["institution_url"] = institution_url(tenant.slug)
            context["address"] = _address(tenant.slug)
        return render(request, "signup/link_used.html", context, status=410)
    except SignupSlugTaken as problem:
        context.update(slug=problem.application.slug, problems=problem.messages)
        return render(request, "signup/slug_taken.html", context, status=409)
    except SignupUnavailable:
        return render(request, "signup/unavailable.html", context, status=503)
    return render(
        request,
        "signup/confirm.html",
        {**context, "application": application, "address": _address(application.slug)},
    )


class WelcomeView(PasswordResetConfirmView):
    """On the new institution's host: the admin chooses a password and is signed in.

    Django's password-reset confirmation: the token moves from the URL into the
    session (so no Referer carries it) and stops working once the password is set.
    """

    template_name = "signup/welcome.html"
    post_reset_login = True
    # Needed once more than one backend is configured (LDAP): a password set here is local.
    post_reset_login_backend = "tenant_apps.directory.backends.InstitutionModelBackend"
    success_url = "/"

    def get_user(self, uidb64: str) -> User | None:
        try:
            public_id = urlsafe_base64_decode(uidb64).decode()
        except (TypeError, ValueError):  # binascii.Error and UnicodeDecodeError included
            return None
        return User.objects.filter(public_id=public_id, is_active=True).first()

    def dispatch(self, *args, **kwargs) -> HttpResponse:
        response = super().dispatch(*args, **kwargs)
        if not self.validlink and response.status_code == 200:
            response.status_code = 400  # a dead link is the client's problem, never a 500
        return response

    def form_invalid(self, form) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        profile = institution_profile()
        context.update(profile=profile, brand_colour=profile.primary_colour)
        return context
