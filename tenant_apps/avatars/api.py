"""PUT/DELETE /api/v1/me/picture and /api/v1/admin/institution/logo (multipart uploads)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.malformed import MultiPartParser
from tenant_apps.avatars.services import (
    avatar_remove,
    avatar_set,
    institution_logo_remove,
    institution_logo_set,
)
from tenant_apps.institution.api import IsInstitutionAdmin
from tenant_apps.people.models import User


class PictureInput(serializers.Serializer):
    picture = serializers.FileField(help_text="A JPEG, PNG, GIF or WebP image (at most 10 MB)")


class LogoInput(serializers.Serializer):
    logo = serializers.FileField(help_text="A JPEG, PNG, GIF or WebP image (at most 10 MB)")


class PictureOutput(serializers.Serializer):
    picture = serializers.CharField(allow_null=True, help_text="Where the picture is served")


def _validated(serializer_class, request: Request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return next(iter(serializer.validated_data.values()))


class MyPictureApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": PictureInput},
        responses=PictureOutput,
        summary="Set my profile picture (re-encoded as a 256 px square PNG)",
    )
    def put(self, request: Request) -> Response:
        me = User.objects.get(pk=request.user.pk)
        avatar_set(actor=request.user, person=me, source=_validated(PictureInput, request))
        return Response({"picture": f"/people/{me.public_id}/picture?v={me.picture_sha256[:16]}"})

    @extend_schema(request=None, responses={204: None}, summary="Remove my profile picture")
    def delete(self, request: Request) -> Response:
        avatar_remove(actor=request.user, person=User.objects.get(pk=request.user.pk))
        return Response(status=204)


class AdminLogoApi(APIView):
    permission_classes = [IsInstitutionAdmin]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": LogoInput},
        responses=PictureOutput,
        summary="Set the institution's logo (re-encoded as a PNG of at most 400 px)",
    )
    def put(self, request: Request) -> Response:
        profile = institution_logo_set(actor=request.user, source=_validated(LogoInput, request))
        return Response({"picture": f"/institution/logo?v={profile.logo_id}"})

    @extend_schema(request=None, responses={204: None}, summary="Remove the institution's logo")
    def delete(self, request: Request) -> Response:
        institution_logo_remove(actor=request.user)
        return Response(status=204)
