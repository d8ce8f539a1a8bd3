"""Errors are translated once, at the edge: what services raise becomes a problem document."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory

from config.api.problems import exception_handler
from config.errors import DomainError, show_error
from tenant_apps.blobs.storage import BlobWriteError
from tenant_apps.content.services import NotAllowed
from tenants.provisioning import TemplateStale


def test_a_services_field_errors_are_listed_by_field():
    error = ValidationError({"title": ["Too long."], "url": "Not a web address."})
    response = exception_handler(error, {})
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.data["type"].endswith("/validation-error")
    assert response.data["errors"] == {"title": ["Too long."], "url": ["Not a web address."]}


def test_an_error_naming_no_field_is_a_non_field_error():
    response = exception_handler(ValidationError(["First.", "Second."]), {})
    assert response.status_code == 400
    assert response.data["errors"] == {"non_field_errors": ["First.", "Second."]}


def test_http404_keeps_its_message():
    response = exception_handler(Http404("No such group."), {})
    assert (response.status_code, response.data["detail"]) == (404, "No such group.")
    assert response.data["type"].endswith("/not-found")


def test_permission_denied_keeps_its_message():
    response = exception_handler(PermissionDenied("Only the group's managers edit it."), {})
    assert response.status_code == 403
    assert response.data["detail"] == "Only the group's managers edit it."


def test_permission_denied_without_a_message_says_so_plainly():
    response = exception_handler(PermissionDenied(), {})
    assert response.status_code == 403
    assert response.data["detail"]


class Busy(DomainError):
    status = 429
    slug = "busy"
    detail = "Too busy; try again soon."
    retry_after = 30


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (Busy("internal detail for the logs"), 429, "busy"),
        (BlobWriteError("s3 said 500"), 503, "storage-unavailable"),
        (TemplateStale("run migrate_tenants"), 503, "service-unavailable"),
    ],
)
def test_domain_errors_carry_their_own_answer(error, status, slug):
    response = exception_handler(error, {})
    assert response.status_code == status
    assert response.data["type"].endswith("/" + slug)
    assert "s3 said" not in response.data["detail"]  # the log's words are not the answer


def test_a_domain_error_may_ask_for_a_retry_later():
    assert exception_handler(Busy(), {})["Retry-After"] == "30"


def test_an_operators_error_says_what_to_run():
    response = exception_handler(TemplateStale("run `manage.py migrate_tenants`"), {})
    assert "migrate_tenants" in response.data["detail"]


def test_content_refusals_answer_like_a_missing_item_and_are_not_input_errors():
    assert issubclass(NotAllowed, Http404)
    assert not issubclass(NotAllowed, ValidationError)
    assert exception_handler(NotAllowed("You may not change this item."), {}).status_code == 404


def test_an_unexpected_error_is_left_to_the_500_handler():
    assert exception_handler(RuntimeError("a bug"), {}) is None


class TitleForm(forms.Form):
    title = forms.CharField()


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_html_views_put_field_errors_on_their_fields_and_the_rest_on_the_form():
    form = TitleForm(data={"title": "T"})
    form.is_valid()
    error = ValidationError({"title": "Taken.", "nowhere": "Odd.", "__all__": "Whole."})
    show_error(_request(), error, form=form)
    assert form.errors["title"] == ["Taken."]
    assert set(form.non_field_errors()) == {"Odd.", "Whole."}


def test_html_views_send_an_error_without_a_form_to_the_messages():
    request = _request()
    show_error(request, PermissionDenied("Only managers."))
    show_error(request, BlobWriteError("disk full"))
    texts = [str(m) for m in request._messages]
    assert texts == ["Only managers.", BlobWriteError.detail]


def test_an_error_naming_no_field_can_go_on_a_chosen_field():
    form = TitleForm(data={"title": "T"})
    form.is_valid()
    show_error(_request(), ValidationError("Too long."), form=form, field="title")
    assert form.errors["title"] == ["Too long."]
