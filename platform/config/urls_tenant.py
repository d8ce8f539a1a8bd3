"""URLs of an institution's host (<slug>.PLATFORM_DOMAIN or a custom domain)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.locale import language_choose
from tenant_apps.account.urls import api_urlpatterns as account_api_urlpatterns
from tenant_apps.activity.urls import api_urlpatterns as activity_api_urlpatterns
from tenant_apps.authoring.urls import api_urlpatterns as authoring_api_urlpatterns
from tenant_apps.avatars import views as avatar_views
from tenant_apps.avatars.api import MyPictureApi
from tenant_apps.connections.urls import api_urlpatterns as connections_api_urlpatterns
from tenant_apps.connections.urls import person_urlpatterns as connections_person_urlpatterns
from tenant_apps.content.urls import api_urlpatterns as content_api_urlpatterns
from tenant_apps.content.urls import group_api_urlpatterns as group_content_api_urlpatterns
from tenant_apps.content.urls import group_urlpatterns as group_content_urlpatterns
from tenant_apps.directory import views as signin_views
from tenant_apps.directory.oidc import OidcCallbackView, OidcStartView
from tenant_apps.discussions.urls import api_urlpatterns as discussions_api_urlpatterns
from tenant_apps.folders.urls import api_urlpatterns as folders_api_urlpatterns
from tenant_apps.groups.picker_views import SuggestionsApi, suggestions_fragment
from tenant_apps.groups.urls import api_urlpatterns as groups_api_urlpatterns
from tenant_apps.home.views import home
from tenant_apps.institution.api import InstitutionApi
from tenant_apps.institution.views import theme
from tenant_apps.invitations.urls import api_urlpatterns as invitations_api_urlpatterns
from tenant_apps.manage.urls import api_urlpatterns as admin_api_urlpatterns
from tenant_apps.messaging.urls import api_urlpatterns as messaging_api_urlpatterns
from tenant_apps.people import two_factor_views
from tenant_apps.people import views as people_views
from tenant_apps.people.api import (
    AuthTokenApi,
    MeApi,
    MyTokenApi,
    MyTokensApi,
    PeopleApi,
    PersonApi,
)
from tenant_apps.search.urls import api_urlpatterns as search_api_urlpatterns
from tenant_apps.trash.urls import api_urlpatterns as trash_api_urlpatterns

# Resolving a path walks the patterns in order, trying every sub-pattern of each ""
# include: the content lists, the hottest, come first (about 30 patterns fewer to try; no
# other pattern matches a path under content/ but the activity's, which these do not).
api_v1 = [
    path("content/", include(authoring_api_urlpatterns)),
    path("content/", include(content_api_urlpatterns)),
    path("institution", InstitutionApi.as_view(), name="institution"),
    path("me", MeApi.as_view(), name="me"),
    path("me/picture", MyPictureApi.as_view(), name="my-picture"),
    path("me/tokens/", MyTokensApi.as_view(), name="my-tokens"),
    path("me/tokens/<str:public_id>", MyTokenApi.as_view(), name="my-token"),
    path("people/", PeopleApi.as_view(), name="people"),
    path("suggestions", SuggestionsApi.as_view(), name="suggestions"),
    path("people/<str:public_id>", PersonApi.as_view(), name="person"),
    path("auth/token", AuthTokenApi.as_view(), name="auth-token"),
    path("", include(account_api_urlpatterns)),
    path("admin/", include(admin_api_urlpatterns)),
    path("", include(activity_api_urlpatterns)),
    path("", include(groups_api_urlpatterns)),
    path("", include(group_content_api_urlpatterns)),
    path("", include(connections_api_urlpatterns)),
    path("", include(messaging_api_urlpatterns)),
    path("", include(discussions_api_urlpatterns)),
    path("", include(invitations_api_urlpatterns)),
    path("", include(search_api_urlpatterns)),
    path("", include(folders_api_urlpatterns)),
    path("", include(trash_api_urlpatterns)),
]

urlpatterns = [
    # First, for the same reason: no page's path begins with api/.
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", home, name="home"),
    path("theme.css", theme, name="theme-css"),
    path("picker/suggestions", suggestions_fragment, name="picker-suggestions"),
    path("signin", signin_views.signin, name="signin"),
    path("2fa/", two_factor_views.overview, name="two-factor"),
    path("2fa/verify", two_factor_views.verify, name="two-factor-verify"),
    path("2fa/enrol", two_factor_views.enrol, name="two-factor-enrol"),
    path("signout", signin_views.signout, name="signout"),
    # The language picker of visitors who are not signed in (a cookie; config.locale).
    path("language", language_choose, name="language-choose"),
    path("oidc/start", OidcStartView.as_view(), name="oidc-start"),
    path("oidc/callback", OidcCallbackView.as_view(), name="oidc-callback"),
    path("saml/metadata", signin_views.saml_metadata, name="saml-metadata"),
    path("saml/start", signin_views.saml_begin, name="saml-start"),
    path("saml/acs", signin_views.saml_acs, name="saml-acs"),
    path("people/", people_views.directory, name="people-directory"),
    path("people/<str:public_id>", people_views.person_page, name="person-page"),
    path("people/", include(connections_person_urlpatterns)),
    path("me/edit", people_views.profile_edit, name="profile-edit"),
    path("me/picture", avatar_views.my_picture, name="my-picture-page"),
    path("people/<str:public_id>/picture", avatar_views.person_picture, name="person-picture"),
    path("institution/logo", avatar_views.institution_logo, name="institution-logo"),
    path("groups/", include("tenant_apps.groups.urls")),
    path("groups/", include(group_content_urlpatterns)),
    path("connections/", include("tenant_apps.connections.urls")),
    path("messages/", include("tenant_apps.messaging.urls")),
    path("discussions/", include("tenant_apps.discussions.urls")),
    path("invitations/", include("tenant_apps.invitations.urls")),
    path("", include("tenant_apps.people.account_urls")),
    path("", include("tenant_apps.account.urls")),
    path("manage/", include("tenant_apps.manage.urls")),
    path("content/", include("tenant_apps.authoring.urls")),
    path("content/", include("tenant_apps.content.urls")),
    path("", include("tenant_apps.search.urls")),
    path("folders/", include("tenant_apps.folders.urls")),
    path("trash/", include("tenant_apps.trash.urls")),
    path("", include("tenant_apps.activity.urls")),
    path("welcome/", include("shared_apps.signup.tenant_urls")),
]

handler400 = "config.api.problems.handler400"
handler403 = "config.api.problems.handler403"
handler404 = "config.api.problems.handler404"
handler500 = "config.api.problems.handler500"
