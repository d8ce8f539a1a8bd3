"""Document revisions API (/api/v1/content/{id}/revisions/...): thin views over the services.

Every lookup goes through ``access_document``: an item the caller may not see (or not
change, for writes), or that is not a document, answers 404 like a missing one.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from config.api.pagination import CursorPagination
from tenant_apps.authoring import services
from tenant_apps.authoring.access import access_document, access_revision
from tenant_apps.authoring.models import Revision
from tenant_apps.authoring.selectors import revisions_diff, revisions_of
from tenant_apps.content.selectors import person_ref


def revision_output(request: Request, revision: Revision, *, with_html: bool = False) -> dict:
    data = {
        "id": revision.public_id,
        "number": revision.number,
        "kind": revision.kind,
        "name": revision.name,
        "created": serializers.DateTimeField().to_representation(revision.created),
        "created_by": person_ref(request.user, revision.created_by),
        "authors": [person_ref(request.user, a) for a in revision.authors.all()],
        "restored_from": revision.restored_from.public_id if revision.restored_from_id else None,
    }
    if with_html:
        data["html"] = revision.html
        data["text"] = revision.text
    return data


class RevisionDoc(serializers.Serializer):
    id = serializers.CharField()
    number = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    created = serializers.DateTimeField()
    created_by = serializers.DictField(allow_null=True)
    authors = serializers.ListField(child=serializers.DictField())
    restored_from = serializers.CharField(allow_null=True)
    html = serializers.CharField(required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True)


class _Version(serializers.Serializer):
    id = serializers.CharField()
    number = serializers.IntegerField()
    html = serializers.CharField(allow_blank=True)
    created = serializers.DateTimeField(allow_null=True)


class ConflictDoc(serializers.Serializer):
    """The 409 problem document: both versions, so the writer can merge them."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    base = _Version(allow_null=True)
    current = _Version(allow_null=True)


class TooLargeDoc(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)


PROBLEM = "application/problem+json"
WRITE_RESPONSES = {
    201: RevisionDoc,
    (409, PROBLEM): ConflictDoc,
    (413, PROBLEM): TooLargeDoc,
}


class WriteInput(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=2_000_000)
    base = serializers.CharField(max_length=40, allow_null=True, allow_blank=True, required=True)
    name = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class RevisionPagination(CursorPagination):
    ordering = ("-number",)


class RevisionsApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=RevisionDoc(many=True), summary="A document's revisions, newest first")
    def get(self, request: Request, public_id: str) -> Response:
        item = access_document(request.user, public_id)
        services.document_prepare(item=item)
        paginator = RevisionPagination()
        page = paginator.paginate_queryset(revisions_of(item), request, view=self)
        return paginator.get_paginated_response([revision_output(request, r) for r in page])

    @extend_schema(
        request=WriteInput,
        responses=WRITE_RESPONSES,
        summary="Write the document's text as a new revision (editors)",
        description=(
            "`base` is the id of the latest revision the text was based on (null for a "
            "document without revisions). If the document changed since (a later revision, or "
            "live edits), the answer is 409 with `base` and `current` (id, number, html) and "
            "nothing is written. The HTML is sanitised; open editors see it at once."
        ),
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = validated(WriteInput, request.data)
        item = access_document(request.user, public_id, for_edit=True)
        revision = services.revision_write(
            actor=request.user,
            item=item,
            html=data["body"],
            base=data["base"] or None,
            name=data["name"],
        )
        return Response(revision_output(request, revision, with_html=True), status=201)


class RevisionApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=RevisionDoc, summary="One revision, with its HTML")
    def get(self, request: Request, public_id: str, revision_id: str) -> Response:
        item = access_document(request.user, public_id)
        revision = access_revision(request.user, item, revision_id)
        return Response(revision_output(request, revision, with_html=True))


class RevisionDiffApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[OpenApiParameter("against", str, description="the older revision's id")],
        responses=inline_serializer(
            "RevisionDiff",
            {
                "from": serializers.CharField(),
                "to": serializers.CharField(),
                "html": serializers.CharField(),
                "added": serializers.IntegerField(),
                "removed": serializers.IntegerField(),
                "changed": serializers.IntegerField(),
            },
        ),
        summary="What changed from revision `against` to this one (HTML with <del>/<ins>)",
    )
    def get(self, request: Request, public_id: str, revision_id: str) -> Response:
        item = access_document(request.user, public_id)
        new = access_revision(request.user, item, revision_id)
        against = request.query_params.get("against", "")[:40]
        old = access_revision(request.user, item, against)
        return Response({"from": old.public_id, "to": new.public_id, **revisions_diff(old, new)})


class RevisionRestoreApi(APIView):
    @extend_schema(
        request=None, responses=WRITE_RESPONSES, summary="Restore a revision (as a new one)"
    )
    def post(self, request: Request, public_id: str, revision_id: str) -> Response:
        item = access_document(request.user, public_id, for_edit=True)
        revision = access_revision(request.user, item, revision_id)
        restored = services.revision_restore(actor=request.user, item=item, revision=revision)
        return Response(revision_output(request, restored, with_html=True), status=201)
