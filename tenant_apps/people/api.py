"""The caller's own account: GET /api/v1/me."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class MeOutput(serializers.Serializer):
    """The caller's own view of themselves: the only place their username and e-mail appear."""

    id = serializers.CharField(source="public_id")
    display_name = serializers.CharField()
    username = serializers.CharField()
    email = serializers.EmailField()
    is_admin = serializers.BooleanField(source="is_staff")


class MeApi(APIView):
    @extend_schema(responses=MeOutput, summary="The signed-in person's own account")
    def get(self, request: Request) -> Response:
        return Response(MeOutput(request.user).data)
