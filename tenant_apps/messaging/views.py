"""Message pages: folders (inbox, sent, archive, trash) in keyset pages, writing a message,
a thread with its messages and a reply form, and the thread's actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.errors import show_error
from tenant_apps.groups.picker import PickerError, picker_describe
from tenant_apps.groups.picker_views import picker_read, picker_state
from tenant_apps.messaging.access import access_thread
from tenant_apps.messaging.forms import ComposeForm, ReplyForm
from tenant_apps.messaging.selectors import (
    FOLDERS,
    folder_threads,
    message_page,
    thread_messages,
    thread_page,
    thread_participant_count,
    thread_participants,
    unread_counts,
)
from tenant_apps.messaging.services import (
    message_reply,
    message_send,
    thread_delete,
    thread_mark,
    thread_move,
)
from tenant_apps.people.selectors import person_summary

PAGE = 50
PARTICIPANTS_SHOWN = 20
FOLDER_LABELS = {
    "inbox": _("Inbox"),
    "sent": _("Sent"),
    "archive": _("Archive"),
    "trash": _("Trash"),
}


@login_required(login_url="signin")
def folder_page(request: HttpRequest) -> HttpResponse:
    folder = request.GET.get("folder", "inbox")
    if folder not in FOLDERS:
        folder = "inbox"
    page, next_after = thread_page(
        folder_threads(user=request.user, folder=folder),
        folder=folder,
        after=request.GET.get("after"),
        size=PAGE,
    )
    return render(
        request,
        "messaging/folder.html",
        {
            "folder": folder,
            "folder_label": FOLDER_LABELS[folder],
            "folders": [(name, FOLDER_LABELS[name]) for name in FOLDERS],
            "states": page,
            "next_after": next_after,
            "unread": unread_counts(request.user),
        },
    )


@login_required(login_url="signin")
def compose(request: HttpRequest) -> HttpResponse:
    form = ComposeForm(request.POST or None)
    if request.method != "POST":
        # "Send a message" on a profile links here with ?to=<their id>.
        wanted = request.GET.get("to", "")[:40]
        chosen = picker_describe(viewer=request.user, ids=[wanted]) if wanted else []
        picker = {"chosen": chosen, "typed": "", "choices": {}, "errors": []}
        return render(request, "messaging/compose.html", {"form": form, "picker": picker})
    picker = picker_state(request, "to")
    try:
        to = picker_read(request, "to")
    except PickerError as error:
        picker = picker_state(request, "to", error=error)
        form.is_valid()
    else:
        if form.is_valid():
            data = {**form.cleaned_data, "to": to}
            try:
                thread = message_send(actor=request.user, **data)
            except ValidationError as error:
                show_error(request, error, form=form)
            else:
                messages.success(request, _("Your message is sent."))
                return redirect("messages-thread", public_id=thread.public_id)
    picker["errors"] = [*picker["errors"], *form.errors.get("to", [])]
    return render(request, "messaging/compose.html", {"form": form, "picker": picker}, status=400)


@login_required(login_url="signin")
def thread_page_view(request: HttpRequest, public_id: str) -> HttpResponse:
    state = access_thread(request.user, public_id)
    page, next_after = message_page(
        thread_messages(state), after=request.GET.get("after"), size=PAGE
    )
    was_unread = state.is_unread
    if was_unread and request.tenant.is_writable:
        # Opening a thread reads it (not in a read-only institution, which takes no writes).
        thread_mark(actor=request.user, state=state, is_unread=False)
    return render(
        request,
        "messaging/thread.html",
        {
            "state": state,
            "folder_label": FOLDER_LABELS.get(state.folder, state.folder),
            "thread": state.thread,
            "messages_page": [
                (person_summary(request.user, m.sender) if m.sender else None, m) for m in page
            ],
            "next_after": next_after,
            "participants": [
                person_summary(request.user, p.user)
                for p in thread_participants(state)[:PARTICIPANTS_SHOWN]
            ],
            "participant_count": thread_participant_count(state),
            "form": ReplyForm(),
        },
    )


@login_required(login_url="signin")
@require_POST
def thread_act(request: HttpRequest, public_id: str) -> HttpResponse:
    state = access_thread(request.user, public_id)
    action = request.POST.get("action", "")
    actor = request.user
    back = redirect("messages-thread", public_id=state.thread.public_id)
    try:
        if action == "reply":
            form = ReplyForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("A reply cannot be empty."))
            message_reply(actor=actor, state=state, body=form.cleaned_data["body"])
            messages.success(request, _("Your reply is sent."))
        elif action == "unread":
            thread_mark(actor=actor, state=state, is_unread=True)
            messages.success(request, _("Marked as unread."))
            return redirect("messages-folder")
        elif action in ("inbox", "archive", "trash"):
            thread_move(actor=actor, state=state, folder=action)
            messages.success(request, _("Moved to %(folder)s.") % {"folder": FOLDER_LABELS[action]})
            return redirect("messages-folder")
        elif action == "delete":
            thread_delete(actor=actor, state=state)
            messages.success(request, _("The thread is deleted for you; the others keep it."))
            return redirect("messages-folder")
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as error:
        show_error(request, error)
    return back
