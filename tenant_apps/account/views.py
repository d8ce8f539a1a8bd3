"""Account pages: /account/ (password, e-mail, sessions, tokens, one's data, erasure),
the e-mail confirmation, the export download, the terms interstitial, and the admins'
/manage/privacy, /manage/terms and /manage/people/<id>/privacy."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import show_error
from config.redirects import local_target
from tenant_apps.account.access import access_own_session
from tenant_apps.account.erasure import erasure_cancel, erasure_request
from tenant_apps.account.exports import (
    export_for_download,
    export_link,
    export_request,
    export_stream,
)
from tenant_apps.account.forms import EmailForm, PasswordForm, PrivacyForm, TermsPublishForm
from tenant_apps.account.models import ExportStatus
from tenant_apps.account.selectors import (
    erasure_scheduled_for,
    exports_of,
    privacy_settings,
    sessions_of,
    terms_current,
    terms_pending_for,
    terms_versions,
)
from tenant_apps.account.services import (
    email_change_confirm,
    email_change_request,
    password_change,
    privacy_settings_update,
    session_end,
    session_rekeyed,
    terms_accept,
    terms_publish,
)
from tenant_apps.institution.access import admin_required
from tenant_apps.people.access import access_person
from tenant_apps.people.selectors import tokens_of
from tenant_apps.people.services import token_revoke

EXPORTS_SHOWN = 5
SESSIONS_SHOWN = 50


def _account_page(
    request: HttpRequest, *, password_form=None, email_form=None, status: int = 200
) -> HttpResponse:
    exports = list(exports_of(request.user)[:EXPORTS_SHOWN])
    for export in exports:
        export.link = (
            export_link(export, absolute=False) if export.status == ExportStatus.READY else None
        )
    current_key = request.session.session_key
    sessions = list(sessions_of(request.user)[:SESSIONS_SHOWN])
    for record in sessions:
        record.current = record.session_key == current_key
    return render(
        request,
        "account/account.html",
        {
            "password_form": password_form or PasswordForm(),
            "email_form": email_form or EmailForm(),
            "sessions": sessions,
            "tokens": list(tokens_of(request.user)[:SESSIONS_SHOWN]),
            "exports": exports,
            "export_running": any(
                e.status in (ExportStatus.PENDING, ExportStatus.RUNNING) for e in exports
            ),
            "erasure": erasure_scheduled_for(request.user),
            "has_password": request.user.has_usable_password(),
        },
        status=status,
    )


@login_required(login_url="signin")
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required(login_url="signin")
@require_POST
def password(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST)
    if form.is_valid():
        old_key = request.session.session_key
        try:
            person = password_change(
                actor=request.user, keep_session_key=old_key, **form.cleaned_data
            )
        except ValidationError as error:
            show_error(request, error, form=form)
        else:
            update_session_auth_hash(request, person)
            session_rekeyed(old_key=old_key, new_key=request.session.session_key)
            messages.success(request, _("Your password is changed; your other sessions ended."))
            return redirect("account")
    return _account_page(request, password_form=form, status=400)


@login_required(login_url="signin")
@require_POST
def email(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST)
    if form.is_valid():
        try:
            email_change_request(
                actor=request.user,
                new_email=form.cleaned_data["email"],
                current_password=form.cleaned_data["current_password"],
            )
        except ValidationError as error:
            show_error(request, error, form=form)
        else:
            messages.success(
                request, _("We sent a link to the new address: follow it to make the change.")
            )
            return redirect("account")
    return _account_page(request, email_form=form, status=400)


@login_required(login_url="signin")
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET shows a button (mail scanners follow links); POST makes the change.
    if request.method == "POST":
        try:
            email_change_confirm(actor=request.user, token=token)
        except ValidationError as error:
            show_error(request, error)
            return render(request, "account/email_confirm.html", {"token": None}, status=400)
        messages.success(request, _("Your e-mail address is changed."))
        return redirect("account")
    return render(request, "account/email_confirm.html", {"token": token})


@login_required(login_url="signin")
@require_POST
def session_end_page(request: HttpRequest, public_id: str) -> HttpResponse:
    session_end(actor=request.user, record=access_own_session(request.user, public_id))
    messages.success(request, _("The session is signed out."))
    return redirect("account")


@login_required(login_url="signin")
@require_POST
def token_revoke_page(request: HttpRequest, public_id: str) -> HttpResponse:
    token = tokens_of(request.user).filter(public_id=public_id).first()
    if token is None:
        raise Http404
    token_revoke(token=token)
    messages.success(request, _("The token is revoked."))
    return redirect("account")


@login_required(login_url="signin")
@require_POST
def export_page(request: HttpRequest) -> HttpResponse:
    try:
        export_request(actor=request.user, person=request.user)
    except ValidationError as error:
        show_error(request, error)
    else:
        messages.success(
            request, _("Your archive is being built; we will e-mail you a link when it is ready.")
        )
    return redirect("account")


@login_required(login_url="signin")
def export_download(request: HttpRequest, public_id: str) -> HttpResponse:
    export = export_for_download(
        viewer=request.user, public_id=public_id, signature=request.GET.get("sig", "")
    )
    response = StreamingHttpResponse(export_stream(export), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="my-data-{export.public_id}.zip"'
    response["Content-Length"] = str(export.size)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required(login_url="signin")
@require_POST
def erasure_page(request: HttpRequest) -> HttpResponse:
    try:
        if request.POST.get("cancel"):
            erasure_cancel(actor=request.user, person=request.user)
            messages.success(request, _("The erasure of your account is cancelled."))
        else:
            scheduled = erasure_request(actor=request.user, person=request.user)
            messages.success(
                request,
                _("Your account will be erased on %(date)s unless you cancel.")
                % {"date": scheduled.due.date().isoformat()},
            )
    except ValidationError as error:
        show_error(request, error)
    return redirect("account")


@login_required(login_url="signin")
def terms(request: HttpRequest) -> HttpResponse:
    nxt = local_target(request, request.GET.get("next") or request.POST.get("next"))
    current = terms_current()
    if request.method == "POST" and current is not None:
        try:
            number = int(request.POST.get("version", "0"))
        except ValueError:
            number = 0
        try:
            terms_accept(actor=request.user, number=number, session=request.session)
        except ValidationError as error:
            show_error(request, error)
            return redirect(request.get_full_path())
        return redirect(nxt)
    pending = terms_pending_for(request.user, request.session)
    return render(
        request,
        "account/terms.html",
        {"terms": current, "pending": pending is not None, "next": nxt},
        status=404 if current is None else 200,
    )


# --- the admins' pages -----------------------------------------------------------------------
@admin_required
def manage_terms(request: HttpRequest) -> HttpResponse:
    form = TermsPublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = terms_publish(actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            show_error(request, error, form=form)
        else:
            messages.success(
                request,
                _("Version %(number)s is published; everyone is asked to accept it.")
                % {"number": version.number},
            )
            return redirect("manage-terms")
    return render(
        request,
        "account/manage_terms.html",
        {"form": form, "versions": list(terms_versions()[:20])},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
def manage_privacy(request: HttpRequest) -> HttpResponse:
    row = privacy_settings()
    initial = {
        "erasure_grace_days": row.erasure_grace_days,
        "content_policy": row.content_policy,
        "content_owner": row.content_owner.public_id if row.content_owner_id else "",
    }
    form = PrivacyForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            owner_id = data.pop("content_owner")
            try:
                owner = access_person(request.user, owner_id, for_write=True) if owner_id else None
                privacy_settings_update(actor=request.user, content_owner=owner, **data)
            except Http404:
                form.add_error("content_owner", _("No such person."))
            except ValidationError as error:
                show_error(request, error, form=form)
            else:
                messages.success(request, _("The privacy settings are saved."))
                return redirect("manage-privacy")
        return render(request, "account/manage_privacy.html", {"form": form}, status=400)
    return render(request, "account/manage_privacy.html", {"form": form})


@admin_required
def manage_person_privacy(request: HttpRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, public_id, for_write=True)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "export":
                export_request(actor=request.user, person=person)
                messages.success(
                    request, _("The archive is being built; the person is mailed the link.")
                )
            elif action == "erase":
                erasure_request(actor=request.user, person=person)
                messages.success(request, _("The erasure is scheduled."))
            elif action == "cancel":
                erasure_cancel(actor=request.user, person=person)
                messages.success(request, _("The erasure is cancelled."))
            else:
                raise ValidationError(_("Choose an action."))
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        return redirect("manage-person-privacy", public_id=person.public_id)
    return render(
        request,
        "account/manage_person_privacy.html",
        {
            "person": person,
            "exports": list(exports_of(person)[:EXPORTS_SHOWN]),
            "erasure": erasure_scheduled_for(person),
        },
    )
