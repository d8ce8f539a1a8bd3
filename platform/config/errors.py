"""The domain's refusals, and the one place HTML views turn any service error into words.

Services, selectors and access doors raise Django's own exceptions (``ValidationError``,
``PermissionDenied``, ``Http404``) or a ``DomainError``; they never import DRF, because
HTML views, tasks and commands call them too. The edges translate them once:

- under ``/api/``, ``config.api.problems.exception_handler`` answers problem documents;
- HTML views call ``show_error`` to put the error on a form or in the messages.

Like Zulip's ``JsonableError``: a ``DomainError`` carries its HTTP status and a problem
type with it, so no view has to catch it to choose an answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class DomainError(Exception):
    """A refusal that is neither bad input nor "no such thing": quotas, storage, rate limits.

    ``detail`` is what a person is told (the exception's own text may be more technical
    and is for the logs); ``status`` and ``slug`` are the API's answer.
    """

    status: int = 400
    slug: str = "bad-request"
    detail: str = gettext_lazy("The request could not be carried out.")
    retry_after: int | None = None  # seconds, sent as Retry-After
    # More members of the API's problem document (e.g. both versions of a 409).
    extra: dict | None = None

    def __init__(self, *args: object, detail: str | None = None) -> None:
        if detail is not None:
            self.detail = detail
        super().__init__(*(args or (self.detail,)))


def error_messages(error: Exception) -> dict[str | None, list[str]]:
    """``error``'s messages by field name (None for the whole request)."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return {
                (None if field == "__all__" else field): list(texts)
                for field, texts in error.message_dict.items()
            }
        return {None: list(error.messages)}
    if isinstance(error, DomainError):
        return {None: [str(error.detail)]}
    if isinstance(error, PermissionDenied):
        return {None: [str(error) or _("You may not do that.")]}
    return {None: [str(error)]}


def show_error(
    request: HttpRequest, error: Exception, *, form=None, field: str | None = None
) -> None:
    """Put a service's ``error`` on ``form`` (by field where the form has it) or, without a
    form, into the messages shown on the next page.

    ``field`` is where an error that names no field goes (the form's whole, by default).
    """
    for name, texts in error_messages(error).items():
        name = name or field
        if form is not None:
            form.add_error(name if name in form.fields else None, texts)
        else:
            for text in texts:
                messages.error(request, text)
