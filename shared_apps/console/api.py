"""The platform API, /api/v1/platform/ on the platform host: institutions for platform admins.

The same services as the console, with the caller as the actor. Django's
ValidationError from a service becomes DRF's (a 400 problem naming the field).
Nothing here reads an institution's schema: what is shown of an institution is
what the public schema holds about it (never any of its people's data).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from config.api.pagination import CursorPagination
from shared_apps.audit.services import Actor
from shared_apps.console.access import is_platform_admin, tenant_or_404
from shared_apps.console.forms import MAX_QUOTA_BYTES, MAX_QUOTA_PEOPLE
from shared_apps.console.selectors import console_tenants
from tenants.models import Tenant, TenantStatus, TenantUsage
from tenants.services import (
    tenant_add_domain,
    tenant_create,
    tenant_delete,
    tenant_remove_domain,
    tenant_restore,
    tenant_resume,
    tenant_suspend,
    tenant_update,
    validate_slug,
)

TAGS = ["platform"]


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with a change made at the same time; try again.")
    default_code = "conflict"


class IsPlatformAdmin(BasePermission):
    """Platform API: anonymous -> 401, signed in but not a platform admin -> 403."""

    message = "Only the platform's administrators may use the platform API."

    def has_permission(self, request, view) -> bool:
        return is_platform_admin(request.user)


# --- output ---------------------------------------------------------------------------------
@extend_schema_serializer(component_name="Quotas")
class QuotasOutput(serializers.Serializer):
    people = serializers.IntegerField(
        source="quota_people",
        allow_null=True,
        help_text="The most people it may have; null: no limit.",
    )
    storage_bytes = serializers.IntegerField(
        source="quota_storage_bytes",
        allow_null=True,
        help_text="The most bytes it may store; null: no limit.",
    )


@extend_schema_serializer(component_name="Usage")
class UsageOutput(serializers.Serializer):
    people = serializers.IntegerField()
    items = serializers.IntegerField()
    bytes_stored = serializers.IntegerField(help_text="Distinct bytes held in storage.")
    bytes_saved = serializers.IntegerField(help_text="Bytes not stored thanks to de-duplication.")
    last_activity = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="Tenant")
class TenantOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=TenantStatus.choices)
    domains = serializers.SerializerMethodField()
    created = serializers.DateTimeField()
    purge_after = serializers.DateTimeField(
        allow_null=True, help_text="While deleting: when its schema and files are purged."
    )
    quotas = QuotasOutput(source="*")
    usage = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_domains(self, tenant: Tenant) -> list[str]:
        """Its host names: its subdomain and any custom domains (prefetched, in order)."""
        return [domain.domain for domain in tenant.domains.all()]

    @extend_schema_field(UsageOutput)
    def get_usage(self, tenant: Tenant) -> dict:
        # Every institution has its counters row; an unsaved one stands in for zeros.
        return UsageOutput(getattr(tenant, "usage", None) or TenantUsage()).data


def tenant_output(slug: str) -> dict:
    """The institution as GET shows it, read afresh (after a change: its new domains, status)."""
    return TenantOutput(tenant_or_404(slug)).data


# --- input ----------------------------------------------------------------------------------
@extend_schema_serializer(component_name="NewTenant")
class TenantCreateInput(serializers.Serializer):
    slug = serializers.CharField(
        max_length=63, help_text="Its subdomain: <slug>.<platform domain>."
    )
    name = serializers.CharField(max_length=200)

    def validate_slug(self, value: str) -> str:
        slug = value.strip().lower()
        try:
            validate_slug(slug)  # the service's own rule: invalid, reserved or taken
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return slug


@extend_schema_serializer(component_name="TenantChanges")
class TenantPatchInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    status = serializers.ChoiceField(
        choices=[TenantStatus.ACTIVE, TenantStatus.SUSPENDED],
        required=False,
        help_text='"suspended" makes it read-only; "active" resumes it.',
    )
    quota_people = serializers.IntegerField(
        min_value=0,
        max_value=MAX_QUOTA_PEOPLE,
        allow_null=True,
        required=False,
        help_text="null lifts the limit.",
    )
    quota_storage_bytes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_QUOTA_BYTES,
        allow_null=True,
        required=False,
        help_text="null lifts the limit.",
    )

    def validate(self, attrs: dict) -> dict:
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {key: [_("This field cannot be changed (or does not exist).")] for key in unknown}
            )
        return attrs


@extend_schema_serializer(component_name="Hostname")
class DomainInput(serializers.Serializer):
    hostname = serializers.CharField(max_length=253, help_text="For example learn.example.edu.")


class TenantQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(
        choices=TenantStatus.choices, required=False, allow_blank=True, default=""
    )


PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.URLField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(required=False),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)


def _problems(*statuses: int) -> dict:
    reasons = {
        400: "Invalid input: errors names each field.",
        401: "No or bad credentials.",
        403: "Not a platform administrator.",
        404: "No institution with that slug.",
        409: "A concurrent change got there first.",
        503: "Institutions cannot be created until the template is refreshed.",
    }
    return {
        code: OpenApiResponse(PROBLEM, description=reasons[code]) for code in (401, 403, *statuses)
    }


# --- views ----------------------------------------------------------------------------------
class TenantPagination(CursorPagination):
    ordering = ("slug",)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A forged position with a NUL would reach PostgreSQL (which refuses it) as a 500.
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor


class JsonProblems:
    """For views that render YAML or HTML: their errors are problem documents in JSON."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return response


class PlatformSchemaApi(JsonProblems, SpectacularAPIView):
    """The platform API's OpenAPI document (YAML, or JSON with ?format=json), for admins."""

    permission_classes = [IsPlatformAdmin]
    urlconf = "config.urls_public"
    custom_settings = {
        "TITLE": "Open Academic Environment platform API",
        "DESCRIPTION": (
            "Institutions (tenants), for the platform's administrators, on the platform "
            "host only. Errors are RFC 9457 problem documents; lists are cursor-paginated."
        ),
    }


class PlatformDocsApi(JsonProblems, SpectacularSwaggerSplitView):
    """Browsable documentation of the platform API (Swagger UI, assets served locally)."""

    permission_classes = [IsPlatformAdmin]
    url_name = "platform_api:schema"


class PlatformApi(APIView):
    permission_classes = [IsPlatformAdmin]


class TenantListApi(generics.ListAPIView):
    permission_classes = [IsPlatformAdmin]
    serializer_class = TenantOutput
    pagination_class = TenantPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular's schema pass
            return Tenant.objects.none()
        query = validated(TenantQuery, self.request.query_params)
        return console_tenants(search=query["q"], status=query["status"])

    @extend_schema(
        operation_id="platform_tenants_list",
        summary="List institutions with their usage",
        tags=TAGS,
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Part of a name, slug or host."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=TenantStatus.values),
        ],
        responses={200: TenantOutput(many=True), **_problems(400)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="platform_tenants_create",
        summary="Create an institution",
        tags=TAGS,
        request=TenantCreateInput,
        responses={201: TenantOutput, **_problems(400, 409, 503)},
    )
    def post(self, request: Request) -> Response:
        data = validated(TenantCreateInput, request.data)
        try:
            tenant = tenant_create(
                slug=data["slug"], name=data["name"], actor=Actor.from_request(request)
            )
        except IntegrityError:
            raise Conflict("That slug or its address was just taken; choose another.") from None
        return Response(tenant_output(tenant.slug), status=status.HTTP_201_CREATED)


class TenantDetailApi(PlatformApi):
    @extend_schema(
        operation_id="platform_tenants_retrieve",
        summary="One institution",
        tags=TAGS,
        responses={200: TenantOutput, **_problems(404)},
    )
    def get(self, request: Request, slug: str) -> Response:
        return Response(TenantOutput(tenant_or_404(slug)).data)

    @extend_schema(
        operation_id="platform_tenants_update",
        summary="Rename, suspend, resume or set quotas",
        description="Only the fields sent change; all of them or none do.",
        tags=TAGS,
        request=TenantPatchInput,
        responses={200: TenantOutput, **_problems(400, 404)},
    )
    def patch(self, request: Request, slug: str) -> Response:
        tenant = tenant_or_404(slug)
        data = validated(TenantPatchInput, request.data)
        actor = Actor.from_request(request)
        with transaction.atomic():  # a refused step undoes the ones before it
            changes = {
                key: data[key]
                for key in ("name", "quota_people", "quota_storage_bytes")
                if key in data
            }
            if changes:
                tenant = tenant_update(tenant=tenant, actor=actor, **changes)
            if data.get("status") == TenantStatus.SUSPENDED:
                tenant_suspend(tenant=tenant, actor=actor)
            elif data.get("status") == TenantStatus.ACTIVE:
                tenant_resume(tenant=tenant, actor=actor)
        return Response(tenant_output(slug))

    @extend_schema(
        operation_id="platform_tenants_destroy",
        summary="Delete an institution (after a grace period)",
        description=(
            "Its hosts answer 404 at once; its schema and files are purged after "
            "purge_after unless it is restored first. Deleting twice changes nothing."
        ),
        tags=TAGS,
        responses={202: TenantOutput, **_problems(404)},
    )
    def delete(self, request: Request, slug: str) -> Response:
        tenant_delete(tenant=tenant_or_404(slug), actor=Actor.from_request(request))
        return Response(tenant_output(slug), status=status.HTTP_202_ACCEPTED)


class TenantRestoreApi(PlatformApi):
    @extend_schema(
        operation_id="platform_tenants_restore",
        summary="Restore a deleted institution during its grace period",
        tags=TAGS,
        request=None,
        responses={200: TenantOutput, **_problems(400, 404)},
    )
    def post(self, request: Request, slug: str) -> Response:
        tenant_restore(tenant=tenant_or_404(slug), actor=Actor.from_request(request))
        return Response(tenant_output(slug))


class TenantDomainsApi(PlatformApi):
    @extend_schema(
        operation_id="platform_tenants_domains_create",
        summary="Add a custom domain",
        tags=TAGS,
        request=DomainInput,
        responses={201: TenantOutput, **_problems(400, 404)},
    )
    def post(self, request: Request, slug: str) -> Response:
        tenant = tenant_or_404(slug)
        data = validated(DomainInput, request.data)
        try:
            tenant_add_domain(
                tenant=tenant, hostname=data["hostname"], actor=Actor.from_request(request)
            )
        except IntegrityError:
            raise Conflict("That host name was just taken.") from None
        return Response(tenant_output(slug), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="platform_tenants_domains_destroy",
        summary="Remove a custom domain",
        description=(
            "The host name goes in the query string (or in a JSON body, as for POST). "
            "The institution's own subdomain cannot be removed."
        ),
        tags=TAGS,
        parameters=[OpenApiParameter("hostname", OpenApiTypes.STR, required=True)],
        responses={200: TenantOutput, **_problems(400, 404)},
    )
    def delete(self, request: Request, slug: str) -> Response:
        tenant = tenant_or_404(slug)
        data = validated(DomainInput, request.data or request.query_params)
        tenant_remove_domain(
            tenant=tenant, hostname=data["hostname"], actor=Actor.from_request(request)
        )
        return Response(tenant_output(slug))
