"""GET /api/v1/institution (the institution's public branding) and its admins' audit trail."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.pagination import CursorPagination
from tenant_apps.institution.access import is_institution_admin
from tenant_apps.institution.models import AdminAction
from tenant_apps.institution.selectors import institution_profile


class IsInstitutionAdmin(BasePermission):
    """/api/v1/admin/: the institution's active admins (401 anonymous, 403 the rest)."""

    message = "Only the institution's admins may do this."

    def has_permission(self, request, view) -> bool:
        return is_institution_admin(request.user)


class AuditPagination(CursorPagination):
    ordering = ("-id",)


class InstitutionOutput(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    primary_colour = serializers.CharField()


class InstitutionApi(APIView):
    # Shown on the sign-in page, so readable before signing in.
    permission_classes = [AllowAny]
    # No session or token is needed to read it; skipping authentication keeps
    # the request to the one query for the row.
    authentication_classes: list = []

    @extend_schema(responses=InstitutionOutput, summary="The institution's name and branding")
    def get(self, request: Request) -> Response:
        profile = institution_profile()
        data = {
            "name": profile.name,
            "slug": request.tenant.slug,
            "primary_colour": profile.primary_colour,
        }
        return Response(InstitutionOutput(data).data)


class AdminActionOutput(serializers.Serializer):
    created = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.public_id", allow_null=True, default=None)
    actor_label = serializers.CharField()
    verb = serializers.CharField()
    target = serializers.CharField()
    details = serializers.DictField()


class AdminAuditApi(ListAPIView):
    """GET /api/v1/admin/audit/: what the institution's admins changed, newest first."""

    permission_classes = [IsInstitutionAdmin]
    serializer_class = AdminActionOutput
    pagination_class = AuditPagination

    def get_queryset(self):
        return AdminAction.objects.select_related("actor").order_by("-id")
