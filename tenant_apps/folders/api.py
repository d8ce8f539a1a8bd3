"""Folders API (/api/v1/folders/...): thin views over the folders' services and selectors.

Every lookup goes through ``access_folder``: a folder the caller may not see (or may not
change, for writes) answers 404 like a missing one; items in a folder are listed through
the content library's rule, so a folder never shows an item to someone who may not see it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from config.api.pagination import cursor_page
from tenant_apps.content.api import ItemDoc, PersonRefDoc, item_output
from tenant_apps.content.selectors import person_ref
from tenant_apps.content.services import principals_by_ids
from tenant_apps.folders import services
from tenant_apps.folders.access import access_folder
from tenant_apps.folders.models import Folder, FolderRole, FolderShare
from tenant_apps.folders.selectors import (
    FOLDER_ORDER,
    ITEM_ORDER,
    folder_items,
    folder_shares,
    folders_of,
    folders_of_group,
)
from tenant_apps.groups.access import access_group
from tenant_apps.people.models import Visibility

PRINCIPAL_TYPES = (("person", "person"), ("group", "group"))


class FolderDoc(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    visibility = serializers.ChoiceField(Visibility.choices)
    created_by = PersonRefDoc(allow_null=True)
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
    can_manage = serializers.BooleanField()


def folder_output(request: Request, folder: Folder) -> dict:
    return {
        "id": folder.public_id,
        "title": folder.title,
        "description": folder.description,
        "visibility": folder.visibility,
        "created_by": person_ref(request.user, folder.created_by),
        "created": serializers.DateTimeField().to_representation(folder.created),
        "modified": serializers.DateTimeField().to_representation(folder.modified),
        "can_manage": bool(getattr(folder, "viewer_can_manage", False)),
    }


class FolderInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    visibility = serializers.ChoiceField(
        Visibility.choices, required=False, default=Visibility.PRIVATE
    )


class FolderPatchInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(Visibility.choices, required=False)


class FolderItemsInput(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.CharField(max_length=40),
        min_length=1,
        max_length=services.MAX_BULK,
        help_text="content ids (c_...)",
    )


class FolderItemsChangedDoc(serializers.Serializer):
    added = serializers.IntegerField(required=False)
    removed = serializers.IntegerField(required=False)


class FolderMemberInput(serializers.Serializer):
    principals = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=100
    )
    role = serializers.ChoiceField(FolderRole.choices, required=False, default=FolderRole.VIEWER)


class FolderUnshareInput(serializers.Serializer):
    principal = serializers.CharField(max_length=40)


class FolderMemberDoc(serializers.Serializer):
    type = serializers.ChoiceField(PRINCIPAL_TYPES)
    id = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(FolderRole.choices)


def member_output(request: Request, share: FolderShare) -> dict:
    if share.user_id:
        person = person_ref(request.user, share.user) or {}
        return {
            "type": "person",
            "id": share.user.public_id,
            "name": person.get("display_name", ""),
            "role": share.role,
        }
    return {
        "type": "group",
        "id": share.group.public_id,
        "name": share.group.title,
        "role": share.role,
    }


def _output(request: Request, folder: Folder) -> dict:
    return folder_output(request, access_folder(request.user, folder.public_id))


class FoldersApi(APIView):
    @extend_schema(
        responses=FolderDoc(many=True),
        operation_id="folders_list",
        summary="The caller's folders (made by them or shared with them), newest first",
    )
    def get(self, request: Request) -> Response:
        return cursor_page(
            self, folders_of(viewer=request.user), FOLDER_ORDER, lambda f: folder_output(request, f)
        )

    @extend_schema(request=FolderInput, responses={201: FolderDoc}, summary="Create a folder")
    def post(self, request: Request) -> Response:
        data = validated(FolderInput, request.data)
        folder = services.folder_create(actor=request.user, **data)
        return Response(_output(request, folder), status=status.HTTP_201_CREATED)


class FolderApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=FolderDoc, operation_id="folders_retrieve", summary="One folder")
    def get(self, request: Request, public_id: str) -> Response:
        return Response(folder_output(request, access_folder(request.user, public_id)))

    @extend_schema(
        request=FolderPatchInput, responses=FolderDoc, summary="Edit a folder (managers)"
    )
    def patch(self, request: Request, public_id: str) -> Response:
        folder = access_folder(request.user, public_id, for_write=True)
        data = validated(FolderPatchInput, request.data)
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        folder = services.folder_update(actor=request.user, folder=folder, **data)
        return Response(_output(request, folder))

    @extend_schema(responses={204: None}, summary="Move a folder to the trash (managers)")
    def delete(self, request: Request, public_id: str) -> Response:
        folder = access_folder(request.user, public_id, for_write=True)
        services.folder_delete(actor=request.user, folder=folder)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FolderItemsApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=ItemDoc(many=True),
        summary="The folder's items the caller may see, newest addition first",
    )
    def get(self, request: Request, public_id: str) -> Response:
        folder = access_folder(request.user, public_id)
        items = folder_items(viewer=request.user, folder=folder)
        return cursor_page(self, items, ITEM_ORDER, lambda i: item_output(request, i))

    @extend_schema(
        request=FolderItemsInput,
        responses={200: FolderItemsChangedDoc},
        summary="Add items to the folder (managers; all or nothing)",
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = validated(FolderItemsInput, request.data)
        folder = access_folder(request.user, public_id, for_write=True)
        added = services.folder_items_add(actor=request.user, folder=folder, item_ids=data["items"])
        return Response({"added": added})

    @extend_schema(
        request=FolderItemsInput,
        responses={200: FolderItemsChangedDoc},
        summary="Take items out of the folder (managers; all or nothing)",
    )
    def delete(self, request: Request, public_id: str) -> Response:
        data = validated(FolderItemsInput, request.data)
        folder = access_folder(request.user, public_id, for_write=True)
        removed = services.folder_items_remove(
            actor=request.user, folder=folder, item_ids=data["items"]
        )
        return Response({"removed": removed})


class FolderMembersApi(APIView):
    @extend_schema(responses=FolderMemberDoc(many=True), summary="The folder's members (managers)")
    def get(self, request: Request, public_id: str) -> Response:
        folder = access_folder(request.user, public_id, for_write=True)
        return cursor_page(
            self, folder_shares(folder), ("-created", "-id"), lambda s: member_output(request, s)
        )

    @extend_schema(
        request=FolderMemberInput,
        responses={201: FolderMemberDoc(many=True)},
        summary="Share the folder with people and groups (managers)",
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = validated(FolderMemberInput, request.data)
        folder = access_folder(request.user, public_id, for_write=True)
        principals = principals_by_ids(data["principals"], visible_to=request.user)
        shares = services.folder_share(
            actor=request.user, folder=folder, principals=principals, role=data["role"]
        )
        return Response([member_output(request, s) for s in shares], status=201)

    @extend_schema(
        request=FolderUnshareInput,
        parameters=[OpenApiParameter("principal", str, description="u_ or g_ id")],
        responses={204: None},
        summary="Remove a member (managers; anyone may leave)",
    )
    def delete(self, request: Request, public_id: str) -> Response:
        data = validated(FolderUnshareInput, request.data or request.query_params)
        folder = access_folder(request.user, public_id)
        principal = principals_by_ids([data["principal"]])[0]
        services.folder_unshare(actor=request.user, folder=folder, principal=principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupFoldersApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=FolderDoc(many=True),
        summary="Folders shared into the group's library that the caller may see",
    )
    def get(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        folders = folders_of_group(viewer=request.user, group=group)
        return cursor_page(self, folders, FOLDER_ORDER, lambda f: folder_output(request, f))
