"""Content API (/api/v1/content/...): thin views over the services, selectors and the one rule.

Every lookup goes through ``access_content``: an item the caller may not see, or
may not change, answers 404 like a missing one.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.bodies import (
    MULTIPART_SLACK,
    LengthRequired,
    TooLarge,
    declared_length,
    refuse_oversized_body,
)
from config.api.dates import datetimes
from config.api.inputs import validated
from config.api.pagination import cursor_page, viewer_page
from config.malformed import FormParser, JSONParser, MultiPartParser
from tenant_apps.blobs.downloads import serve_blob
from tenant_apps.blobs.uploads import BodyIncomplete, BodyTooLarge, raw_upload
from tenant_apps.content import services
from tenant_apps.content.access import access_content
from tenant_apps.content.models import Comment, ContentItem, Kind, LinkPreview, ShareRole
from tenant_apps.content.selectors import (
    LIST_ORDER,
    comment_of,
    comments_of,
    content_library,
    content_of_group,
    content_shared_with,
    link_preview_of,
    listed,
    person_ref,
    preview_page_of,
    preview_pages_of,
    shares_of,
    version_of,
    versions_of,
)
from tenant_apps.groups.access import access_group
from tenant_apps.people.models import Visibility
from tenant_apps.people.selectors import summary_of_columns

# One field for every date in the answers (a DRF field per row and date cost more than the
# row); unbound, it formats in the request's current time zone as a new one would.
_when = serializers.DateTimeField().to_representation

# Bodies that DRF parses into fields; any other body is the file's bytes (a raw upload).
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
FIELD_TYPES = (*FORM_TYPES, "application/json")


def _is_raw(request: Request, field_types: tuple[str, ...]) -> bool:
    media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
    return media_type not in field_types


def _too_large(limit: int) -> TooLarge:
    return TooLarge(
        f"The file is larger than this institution's limit of {services._human(limit)}."
    )


def _refuse_oversized_body(request: Request, *, raw: bool) -> None:
    """Answer 413 before reading a body that cannot fit the institution's limit."""
    limit = services.upload_limit()
    refuse_oversized_body(
        request,
        limit=limit,
        slack=0 if raw else MULTIPART_SLACK,
        message=_too_large(limit).detail,
    )


def _file_of(request: Request):
    """The multipart body's file: 413 when it is over the limit (a file just over it fits
    the envelope's slack, so only now is it known), 411 for a chunked body."""
    upload = request.FILES.get("file")
    if upload is None:
        if declared_length(request) is None:
            # A chunked (length-less) multipart body is never parsed into parts: say
            # so rather than claim the file was not attached.
            raise LengthRequired(
                "A multipart upload needs Content-Length (chunked multipart bodies are "
                "not read). Send the length, or send the file's bytes as the raw body."
            )
        raise exceptions.ValidationError({"file": [_("Attach the file as the 'file' part.")]})
    limit = services.upload_limit()
    if upload.size > limit:
        raise _too_large(limit)
    return upload


def _raw_filename(request: Request) -> str:
    _kind, params = parse_header_parameters(request.headers.get("Content-Disposition", ""))
    name = params.get("filename") or request.query_params.get("filename", "")
    if not name.strip():
        raise exceptions.ValidationError(
            {
                "filename": [
                    _(
                        "Name the file: Content-Disposition: attachment; filename=... "
                        "(or ?filename=...)."
                    )
                ]
            }
        )
    return name


@contextlib.contextmanager
def _raw_file(request: Request) -> Iterator[UploadedFile]:
    """The request's body as the uploaded file (checked against the limit and quota first)."""
    filename = _raw_filename(request)
    length = declared_length(request)
    if length is None:
        raise LengthRequired()
    if length <= 0:
        raise exceptions.ValidationError({"file": [_("The body is empty: send the file's bytes.")]})
    services.upload_precheck(size=length)
    limit = services.upload_limit()
    try:
        with raw_upload(
            # Django's request reads the WSGI input as it comes; DRF's ``stream`` would
            # load the whole body into memory if anything had begun reading it.
            request._request,
            length=length,
            limit=limit,
            filename=filename,
            content_type=request.content_type,
        ) as upload:
            yield upload
    except BodyTooLarge:
        raise _too_large(limit) from None
    except BodyIncomplete:
        raise exceptions.ValidationError(
            {"file": [_("The body ended before Content-Length bytes arrived.")]}
        ) from None


# --- the shapes of the answers (for the OpenAPI document) ------------------------------
RAW_BODY = {"type": "string", "format": "binary", "description": "the file's bytes"}
RAW_PARAMETERS = [
    OpenApiParameter(
        "Content-Disposition",
        str,
        location=OpenApiParameter.HEADER,
        description='raw-body uploads: attachment; filename="notes.pdf" (or filename*=...)',
    ),
    OpenApiParameter(
        "filename", str, description="raw-body uploads without a Content-Disposition filename"
    ),
]


class PersonRefDoc(serializers.Serializer):
    id = serializers.CharField()
    display_name = serializers.CharField()


class FileDoc(serializers.Serializer):
    version = serializers.CharField()
    filename = serializers.CharField()
    mime_type = serializers.CharField()
    size = serializers.IntegerField()
    preview_status = serializers.CharField()
    download_url = serializers.URLField()
    preview_url = serializers.URLField(allow_null=True)
    page_count = serializers.IntegerField(help_text="documents: the file's pages (0 otherwise)")
    pages_rendered = serializers.IntegerField(help_text="pages with an image")
    pages_url = serializers.URLField(allow_null=True)
    duration = serializers.FloatField(allow_null=True, help_text="video and audio: seconds")


class LinkPreviewDoc(serializers.Serializer):
    status = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    site_name = serializers.CharField()
    image_url = serializers.URLField(allow_null=True)


class ItemDoc(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.ChoiceField(Kind.choices)
    title = serializers.CharField()
    description = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    visibility = serializers.ChoiceField(Visibility.choices)
    created_by = PersonRefDoc(allow_null=True)
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
    can_manage = serializers.BooleanField()
    url = serializers.URLField(required=False, help_text="links only")
    preview = LinkPreviewDoc(
        required=False, allow_null=True, help_text="links only: what the page says of itself"
    )
    body = serializers.CharField(required=False, help_text="documents only (sanitised HTML)")
    file = FileDoc(required=False, help_text="files only: the current version")


class VersionDoc(serializers.Serializer):
    id = serializers.CharField()
    number = serializers.IntegerField()
    filename = serializers.CharField()
    mime_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created = serializers.DateTimeField()
    created_by = PersonRefDoc(allow_null=True)
    is_current = serializers.BooleanField()
    preview_status = serializers.CharField()
    text_status = serializers.CharField()
    download_url = serializers.URLField()


class PrincipalDoc(serializers.Serializer):
    type = serializers.ChoiceField(["person", "group"])
    id = serializers.CharField()
    display_name = serializers.CharField(required=False)
    title = serializers.CharField(required=False)


class ShareDoc(serializers.Serializer):
    principal = PrincipalDoc()
    role = serializers.ChoiceField(ShareRole.choices)
    shared_by = PersonRefDoc(
        allow_null=True,
        help_text="who shared it (the last to set its role); null for the creator's own "
        "share, shares older than this field and a sharer whose account is gone",
    )
    created = serializers.DateTimeField(help_text="when it was first shared")
    shared = serializers.DateTimeField(
        help_text="when `shared_by` last set its role (equal to `created` until then)"
    )


class CommentDoc(serializers.Serializer):
    id = serializers.CharField()
    parent = serializers.CharField(allow_null=True)
    author = PersonRefDoc(allow_null=True)
    body = serializers.CharField()
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()


class VersionOutput(serializers.Serializer):
    def to_representation(self, version):
        item = self.context["item"]
        request = self.context["request"]
        return {
            "id": version.public_id,
            "number": version.number,
            "filename": version.filename,
            "mime_type": version.mime_type,
            "size": version.size,
            "sha256": version.blob.sha256,
            "created": _when(version.created),
            "created_by": person_ref(request.user, version.created_by),
            "is_current": version.pk == item.current_version_id,
            "preview_status": version.preview_status,
            "text_status": version.text_status,
            "download_url": request.build_absolute_uri(
                reverse("api:content-download", args=[item.public_id])
                + f"?version={version.public_id}"
            ),
        }


# Public ids (config.ids) that ``reverse`` writes as they are (the placeholder's way).
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")
_PLACEHOLDER = "placeholder-item-id"


class ItemOutput:
    """An item as the API shows it, from a row of ``selectors.listed`` (a dict of
    ``LISTED``) or from a model (``item``), for one request: its time zone, the viewer's
    view of each creator and the items' addresses are worked out once for all rows."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.viewer = request.user
        self.when = datetimes()
        self._creators: dict[int, dict] = {}
        self._addresses: dict[str, tuple[str, str]] = {}

    def address(self, name: str, public_id: str) -> str:
        """``request.build_absolute_uri(reverse(name, args=[public_id]))``, reversed once
        per name (a placeholder replaced by each id)."""
        if not _PLAIN_ID.fullmatch(public_id):
            return self.request.build_absolute_uri(reverse(name, args=[public_id]))
        parts = self._addresses.get(name)
        if parts is None:
            whole = self.request.build_absolute_uri(reverse(name, args=[_PLACEHOLDER]))
            before, _found, after = whole.partition(_PLACEHOLDER)
            parts = self._addresses[name] = (before, after)
        return parts[0] + public_id + parts[1]

    def creator(self, row: dict) -> dict | None:
        """``person_ref`` of the row's creator (None for a removed account)."""
        pk = row["created_by__id"]
        if pk is None:
            return None
        ref = self._creators.get(pk)
        if ref is None:
            summary = summary_of_columns(
                self.viewer,
                pk=pk,
                public_id=row["created_by__public_id"],
                display_name=row["created_by__display_name"],
                display_name_visibility=row["created_by__display_name_visibility"],
            )
            ref = {"id": summary["id"], "display_name": summary.get("display_name", "")}
            self._creators[pk] = ref
        return dict(ref)

    def __call__(self, row: dict) -> dict:
        when = self.when
        public_id = row["public_id"]
        kind = row["kind"]
        data = {
            "id": public_id,
            "kind": kind,
            "title": row["title"],
            "description": row["description"],
            "tags": row["tags"],
            "visibility": row["visibility"],
            "created_by": self.creator(row),
            "created": when(row["created"]),
            "modified": when(row["modified"]),
            "can_edit": bool(row["viewer_can_edit"]),
            "can_manage": bool(row["viewer_can_manage"]),
        }
        if kind == Kind.LINK:
            data["url"] = row["url"]
            if row["link_preview__status"] is None:  # no preview row
                data["preview"] = None
            else:
                data["preview"] = {
                    "status": row["link_preview__status"],
                    "title": row["link_preview__title"],
                    "description": row["link_preview__description"],
                    "site_name": row["link_preview__site_name"],
                    "image_url": self.address("api:content-link-image", public_id)
                    if row["link_preview__image_blob_id"]
                    else None,
                }
        elif kind == Kind.DOCUMENT:
            data["body"] = row["body_html"]
        elif row["current_version__public_id"] is not None:
            data["file"] = {
                "version": row["current_version__public_id"],
                "filename": row["current_version__filename"],
                "mime_type": row["current_version__mime_type"],
                "size": row["current_version__size"],
                "preview_status": row["current_version__preview_status"],
                "download_url": self.address("api:content-download", public_id),
                "preview_url": self.address("api:content-preview", public_id)
                if row["current_version__preview_blob_id"]
                else None,
                # Documents: the file's pages and how many have an image (pages_url lists them).
                "page_count": row["current_version__page_count"],
                "pages_rendered": row["current_version__pages_rendered"],
                "pages_url": self.address("api:content-pages", public_id)
                if row["current_version__pages_rendered"]
                else None,
                # Video and audio: the length in seconds (the poster frame is the preview).
                "duration": row["current_version__media_duration"],
            }
        return data

    def item(self, item: ContentItem) -> dict:
        """The same for a model (an item read alone, or by a list of models)."""
        return self(_row_of(item))


def _row_of(item: ContentItem) -> dict:
    """``item`` as a row of ``selectors.listed`` - only the keys ``ItemOutput`` reads for
    its kind, so that a link's preview or a file's version is read (a query for an item
    read alone) only when shown."""
    creator = item.created_by
    row = {
        "public_id": item.public_id,
        "kind": item.kind,
        "title": item.title,
        "description": item.description,
        "tags": item.tags,
        "visibility": item.visibility,
        "created": item.created,
        "modified": item.modified,
        "viewer_can_edit": getattr(item, "viewer_can_edit", False),
        "viewer_can_manage": getattr(item, "viewer_can_manage", False),
        "created_by__id": None if creator is None else creator.pk,
    }
    if creator is not None:
        row["created_by__public_id"] = creator.public_id
        row["created_by__display_name"] = creator.display_name
        row["created_by__display_name_visibility"] = creator.display_name_visibility
    if item.kind == Kind.LINK:
        row["url"] = item.url
        try:
            found = item.link_preview  # joined by the list selectors; one query for one item
        except LinkPreview.DoesNotExist:
            row["link_preview__status"] = None
        else:
            row["link_preview__status"] = found.status
            row["link_preview__title"] = found.title
            row["link_preview__description"] = found.description
            row["link_preview__site_name"] = found.site_name
            row["link_preview__image_blob_id"] = found.image_blob_id
    elif item.kind == Kind.DOCUMENT:
        row["body_html"] = item.body_html
    else:
        version = item.current_version
        row["current_version__public_id"] = None if version is None else version.public_id
        if version is not None:
            row["current_version__filename"] = version.filename
            row["current_version__mime_type"] = version.mime_type
            row["current_version__size"] = version.size
            row["current_version__preview_status"] = version.preview_status
            row["current_version__preview_blob_id"] = version.preview_blob_id
            row["current_version__page_count"] = version.page_count
            row["current_version__pages_rendered"] = version.pages_rendered
            row["current_version__media_duration"] = version.media_duration
    return row


def item_output(request: Request, item: ContentItem) -> dict:
    """An item as the API shows it (``ItemOutput``, for one item)."""
    return ItemOutput(request).item(item)


class CreateInput(serializers.Serializer):
    kind = serializers.ChoiceField(Kind.choices, required=False, default=Kind.FILE)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=20, default=list
    )
    visibility = serializers.ChoiceField(
        Visibility.choices, required=False, default=Visibility.PRIVATE
    )
    url = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    body = serializers.CharField(max_length=500000, required=False, allow_blank=True)
    file = serializers.FileField(required=False)


class UpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=20
    )
    visibility = serializers.ChoiceField(Visibility.choices, required=False)
    url = serializers.CharField(max_length=2000, required=False)
    body = serializers.CharField(max_length=500000, required=False, allow_blank=True)


class _UploadingApi(APIView):
    # Content types whose bodies are fields (the rest are raw uploads of the file).
    field_types: tuple[str, ...] = FIELD_TYPES

    def initial(self, request: Request, *args, **kwargs) -> None:
        # Before authentication: a session's CSRF check would read (and store) the body.
        if request.method == "POST":
            _refuse_oversized_body(request, raw=_is_raw(request, self.field_types))
        super().initial(request, *args, **kwargs)


class ContentListApi(_UploadingApi):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=["mine", "shared"], description="default mine"),
            OpenApiParameter("tag", str),
        ],
        responses=ItemDoc(many=True),
        operation_id="content_list",
        summary="The caller's library (scope=mine) or items shared with them (scope=shared)",
    )
    def get(self, request: Request) -> Response:
        tag = request.query_params.get("tag", "")[:50]
        shared = request.query_params.get("scope") == "shared"
        selector = content_shared_with if shared else content_library
        # Rows as dicts of what the list shows (selectors.listed), no model objects.
        each = ItemOutput(request)
        if tag:
            return cursor_page(
                self, listed(selector(viewer=request.user, tag=tag)), LIST_ORDER, each
            )
        return viewer_page(
            self,
            lambda viewer: listed(selector(viewer=viewer)),
            LIST_ORDER,
            each,
            shape="content-shared" if shared else "content-library",
        )

    @extend_schema(
        request={
            "multipart/form-data": CreateInput,
            "application/json": CreateInput,
            "application/octet-stream": RAW_BODY,
        },
        parameters=[
            *RAW_PARAMETERS,
            OpenApiParameter("title", str, description="raw-body uploads only"),
            OpenApiParameter("description", str, description="raw-body uploads only"),
            OpenApiParameter("tags", str, many=True, description="raw-body uploads only"),
            OpenApiParameter(
                "visibility", str, enum=Visibility.values, description="raw-body uploads only"
            ),
        ],
        responses={201: ItemDoc},
        operation_id="content_create",
        summary="Upload a file (multipart 'file', or the raw body), add a link or a document",
        description=(
            "A `multipart/form-data` body uploads its `file` part; a JSON body with "
            "`kind=link` or `kind=document` adds a link or a document. Any other content "
            "type is a **raw-body upload**: the body is the file's bytes, named by "
            "`Content-Disposition: attachment; filename=...` (or `?filename=`), with "
            "`Content-Length` required and the item's fields as query parameters. Both "
            "upload kinds are stored alike (streamed to disk while hashed, once per "
            "distinct content) and answer alike."
        ),
    )
    def post(self, request: Request) -> Response:
        raw = _is_raw(request, self.field_types)
        data = validated(CreateInput, request.query_params if raw else request.data)
        common = {
            "actor": request.user,
            "title": data["title"],
            "description": data["description"],
            "tags": data["tags"],
            "visibility": data["visibility"],
        }
        if raw:
            if data["kind"] != Kind.FILE:
                raise exceptions.ValidationError(
                    {"kind": [_("A raw body is a file; send links and documents as JSON.")]}
                )
            with _raw_file(request) as upload:
                item = services.content_upload_file(source=upload, filename=upload.name, **common)
        elif data["kind"] == Kind.LINK:
            item = services.content_add_link(url=data.get("url", ""), **common)
        elif data["kind"] == Kind.DOCUMENT:
            item = services.content_create_document(body=data.get("body", ""), **common)
        else:
            upload = _file_of(request)
            item = services.content_upload_file(source=upload, filename=upload.name, **common)
        item = access_content(request.user, item.public_id)
        return Response(item_output(request, item), status=status.HTTP_201_CREATED)


class ContentApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=ItemDoc, operation_id="content_retrieve", summary="One item")
    def get(self, request: Request, public_id: str) -> Response:
        return Response(item_output(request, access_content(request.user, public_id)))

    @extend_schema(
        request=UpdateInput,
        responses=ItemDoc,
        summary="Change an item (editors; visibility: managers)",
    )
    def patch(self, request: Request, public_id: str) -> Response:
        data = validated(UpdateInput, request.data)
        item = access_content(request.user, public_id, for_edit=True)
        services.content_update(actor=request.user, item=item, **data)
        return Response(item_output(request, access_content(request.user, public_id)))

    @extend_schema(responses={204: None}, summary="Delete an item (managers)")
    def delete(self, request: Request, public_id: str) -> Response:
        item = access_content(request.user, public_id, for_write=True)
        services.content_delete(actor=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _version_or_current(item: ContentItem, request: Request):
    wanted = request.query_params.get("version")
    version = version_of(item, wanted) if wanted else item.current_version
    if version is None:
        raise exceptions.NotFound(_("No such version."))
    return version


class ContentDownloadApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[OpenApiParameter("version", str, description="a v_ id; default current")],
        responses={(200, "application/octet-stream"): bytes},
        summary="The bytes of the current (or a given) version; supports Range",
    )
    def get(self, request: Request, public_id: str):
        item = access_content(request.user, public_id)
        version = _version_or_current(item, request)
        return serve_blob(
            request, blob=version.blob, filename=version.filename, mime=version.mime_type
        )


class ContentPreviewApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses={(200, "image/png"): bytes}, summary="A PNG preview of the current version"
    )
    def get(self, request: Request, public_id: str):
        item = access_content(request.user, public_id)
        version = _version_or_current(item, request)
        if version.preview_blob_id is None:
            raise exceptions.NotFound(_("No preview (yet)."))
        return serve_blob(
            request,
            blob=version.preview_blob,
            filename=f"{version.filename}.preview.png",
            mime="image/png",
        )


class PageDoc(serializers.Serializer):
    number = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    url = serializers.URLField()


class PagesDoc(serializers.Serializer):
    page_count = serializers.IntegerField()
    pages_rendered = serializers.IntegerField()
    results = PageDoc(many=True)


def _current_file(item: ContentItem):
    if item.kind != Kind.FILE or item.current_version is None:
        raise exceptions.NotFound(_("No pages: this is not a file."))
    return item.current_version


class ContentPagesApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=PagesDoc,
        operation_id="v1_content_pages_list",
        summary="The current version's page images (PDFs and Office documents)",
        description="At most CONTENT_PREVIEW_MAX_PAGES pages have an image (a bounded "
        "list, not paginated); `page_count` is the document's own number of pages.",
    )
    def get(self, request: Request, public_id: str) -> Response:
        item = access_content(request.user, public_id)
        version = _current_file(item)
        pages = preview_pages_of(version).values_list("number", "width", "height")
        return Response(
            {
                "page_count": version.page_count,
                "pages_rendered": version.pages_rendered,
                "results": [
                    {
                        "number": number,
                        "width": width,
                        "height": height,
                        "url": request.build_absolute_uri(
                            reverse("api:content-page", args=[item.public_id, number])
                        ),
                    }
                    for number, width, height in pages
                ],
            }
        )


class ContentPageApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses={(200, "image/png"): bytes},
        operation_id="v1_content_page_retrieve",
        summary="One page image (PNG)",
    )
    def get(self, request: Request, public_id: str, number: int):
        item = access_content(request.user, public_id)
        page = preview_page_of(_current_file(item), number)
        if page is None:
            raise exceptions.NotFound(_("No such page."))
        return serve_blob(request, blob=page.blob, filename=f"page-{number}.png", mime="image/png")


class ContentLinkImageApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={(200, "image/png"): bytes}, summary="A link's picture (PNG)")
    def get(self, request: Request, public_id: str):
        item = access_content(request.user, public_id)
        found = link_preview_of(item) if item.kind == Kind.LINK else None
        if found is None or found.image_blob_id is None:
            raise exceptions.NotFound(_("No picture."))
        return serve_blob(request, blob=found.image_blob, filename="link.png", mime="image/png")


class ContentVersionsApi(_UploadingApi):
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=VersionDoc(many=True), summary="An item's versions, newest first")
    def get(self, request: Request, public_id: str) -> Response:
        item = access_content(request.user, public_id)
        context = {"item": item, "request": request}
        return cursor_page(
            self,
            versions_of(item),
            ("-number",),
            lambda row: VersionOutput(row, context=context).data,
        )

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
            "application/octet-stream": RAW_BODY,
        },
        parameters=RAW_PARAMETERS,
        responses={201: VersionDoc},
        summary="Upload a new version (multipart 'file', or the raw body; managers)",
        description=(
            "A `multipart/form-data` body uploads its `file` part; any other content type "
            "(JSON excepted) is a raw-body upload, named by `Content-Disposition: "
            "attachment; filename=...` (or `?filename=`), with `Content-Length` required."
        ),
    )
    def post(self, request: Request, public_id: str) -> Response:
        item = access_content(request.user, public_id, for_edit=True)
        with contextlib.ExitStack() as stack:
            if _is_raw(request, self.field_types):
                upload = stack.enter_context(_raw_file(request))
            else:
                upload = _file_of(request)
            version = services.content_version_add(
                actor=request.user,
                item=item,
                source=upload,
                filename=upload.name,
            )
        item.refresh_from_db()
        context = {"item": item, "request": request}
        return Response(VersionOutput(version, context=context).data, status=201)


class ContentVersionRestoreApi(APIView):
    @extend_schema(
        request=None, responses={201: VersionDoc}, summary="Make an old version current again"
    )
    def post(self, request: Request, public_id: str, version_id: str) -> Response:
        item = access_content(request.user, public_id, for_edit=True)
        version = version_of(item, version_id)
        if version is None:
            raise exceptions.NotFound(_("No such version."))
        restored = services.content_version_restore(actor=request.user, item=item, version=version)
        item.refresh_from_db()
        context = {"item": item, "request": request}
        return Response(VersionOutput(restored, context=context).data, status=201)


class ShareInput(serializers.Serializer):
    principals = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=100
    )
    role = serializers.ChoiceField(ShareRole.choices, required=False, default=ShareRole.VIEWER)


class UnshareInput(serializers.Serializer):
    principal = serializers.CharField(max_length=40)


def share_output(request: Request, share) -> dict:
    if share.user_id:
        principal = {"type": "person", **person_ref(request.user, share.user)}
    else:
        principal = {"type": "group", "id": share.group.public_id, "title": share.group.title}
    return {
        "principal": principal,
        "role": share.role,
        "shared_by": person_ref(request.user, share.shared_by),
        "created": _when(share.created),
        "shared": _when(share.shared),
    }


class ContentSharesApi(APIView):
    @extend_schema(responses=ShareDoc(many=True), summary="Who an item is shared with (managers)")
    def get(self, request: Request, public_id: str) -> Response:
        item = access_content(request.user, public_id, for_write=True)
        return cursor_page(
            self, shares_of(item), ("-created", "-id"), lambda s: share_output(request, s)
        )

    @extend_schema(
        request=ShareInput,
        responses={201: ShareDoc(many=True)},
        summary="Share with people (u_) and groups (g_) (managers)",
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = validated(ShareInput, request.data)
        item = access_content(request.user, public_id, for_write=True)
        principals = services.principals_by_ids(ids=data["principals"], visible_to=request.user)
        shares = services.content_share(
            actor=request.user,
            item=item,
            principals=principals,
            role=data["role"],
        )
        return Response([share_output(request, s) for s in shares], status=201)

    @extend_schema(request=UnshareInput, responses={204: None}, summary="Remove a share")
    def delete(self, request: Request, public_id: str) -> Response:
        data = validated(UnshareInput, request.data or request.query_params)
        item = access_content(request.user, public_id)
        principal = services.principals_by_ids(ids=[data["principal"]])[0]
        services.content_unshare(actor=request.user, item=item, principal=principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentInput(serializers.Serializer):
    body = serializers.CharField(max_length=20000)
    parent = serializers.CharField(max_length=40, required=False)


class CommentUpdateInput(serializers.Serializer):
    body = serializers.CharField(max_length=20000)


def comment_output(request: Request, comment: Comment) -> dict:
    return {
        "id": comment.public_id,
        "parent": comment.parent.public_id if comment.parent_id else None,
        "author": person_ref(request.user, comment.author),
        "body": comment.body_html,
        "created": _when(comment.created),
        "modified": _when(comment.modified),
    }


class ContentCommentsApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=CommentDoc(many=True),
        summary="An item's comments, oldest first (replies name their parent)",
    )
    def get(self, request: Request, public_id: str) -> Response:
        item = access_content(request.user, public_id)
        return cursor_page(
            self, comments_of(item), ("created", "id"), lambda c: comment_output(request, c)
        )

    @extend_schema(
        request=CommentInput,
        responses={201: CommentDoc},
        summary="Comment on an item, or reply to a comment",
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = validated(CommentInput, request.data)
        item = access_content(request.user, public_id)
        parent = None
        if data.get("parent"):
            parent = comment_of(item, data["parent"])
            if parent is None:
                raise exceptions.ValidationError({"parent": [_("No such comment on this item.")]})
        comment = services.comment_create(
            actor=request.user, item=item, body=data["body"], parent=parent
        )
        return Response(comment_output(request, comment), status=201)


class ContentCommentApi(APIView):
    def _comment(self, request: Request, public_id: str, comment_id: str) -> Comment:
        item = access_content(request.user, public_id)
        comment = comment_of(item, comment_id)
        if comment is None:
            raise exceptions.NotFound(_("No such comment."))
        return comment

    @extend_schema(
        request=CommentUpdateInput,
        responses=CommentDoc,
        summary="Edit a comment (author or managers)",
    )
    def patch(self, request: Request, public_id: str, comment_id: str) -> Response:
        data = validated(CommentUpdateInput, request.data)
        comment = self._comment(request, public_id, comment_id)
        comment = services.comment_update(actor=request.user, comment=comment, body=data["body"])
        return Response(comment_output(request, comment))

    @extend_schema(responses={204: None}, summary="Delete a comment (author or managers)")
    def delete(self, request: Request, public_id: str, comment_id: str) -> Response:
        comment = self._comment(request, public_id, comment_id)
        services.comment_delete(actor=request.user, comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupUploadInput(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=20, default=list
    )
    visibility = serializers.ChoiceField(
        Visibility.choices, required=False, default=Visibility.PRIVATE
    )
    file = serializers.FileField(required=False)


class GroupContentApi(_UploadingApi):
    """/api/v1/groups/{id}/content/: the library of a group, a list of the content library's;
    POST uploads a file into it (the caller's item, shared with the group as viewer)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [MultiPartParser, FormParser]
    field_types = FORM_TYPES

    @extend_schema(
        parameters=[OpenApiParameter("tag", str)],
        responses=ItemDoc(many=True),
        summary="The group's library: items shared with the group that the caller may see",
    )
    def get(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        tag = request.query_params.get("tag", "")[:50]
        items = listed(content_of_group(viewer=request.user, group=group, tag=tag))
        return cursor_page(self, items, LIST_ORDER, ItemOutput(request))

    @extend_schema(
        request={"multipart/form-data": GroupUploadInput, "application/octet-stream": RAW_BODY},
        parameters=RAW_PARAMETERS,
        responses={201: ItemDoc},
        operation_id="group_content_upload",
        summary="Upload a file into the group's library (members, by its library policy)",
        description="As `POST /api/v1/content/` for a file (multipart `file`, or the raw "
        "body), and the new item is shared with the group as viewer in the same write.",
    )
    def post(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        raw = _is_raw(request, self.field_types)
        data = validated(GroupUploadInput, request.query_params if raw else request.data)
        common = {
            "actor": request.user,
            "title": data["title"],
            "description": data["description"],
            "tags": data["tags"],
            "visibility": data["visibility"],
            "group": group,
        }
        if raw:
            with _raw_file(request) as upload:
                item = services.content_upload_file(source=upload, filename=upload.name, **common)
        else:
            upload = _file_of(request)
            item = services.content_upload_file(source=upload, filename=upload.name, **common)
        item = access_content(request.user, item.public_id)
        return Response(item_output(request, item), status=status.HTTP_201_CREATED)
