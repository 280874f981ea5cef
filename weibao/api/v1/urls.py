"""API v1. Each bounded context has its own module here with `urlpatterns`; the tenancy matrix must cover every route."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from weibao.api.v1 import accounts, customers

app_name = "api-v1"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(urlconf="weibao.api.v1.urls"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-v1:schema"), name="docs"),
    path("auth/token", accounts.AuthTokenView.as_view(), name="auth-token"),
    path("tokens", accounts.TokenListView.as_view(), name="token-list"),
    path("tokens/<str:public_id>", accounts.TokenDetailView.as_view(), name="token-detail"),
    path("organisations", accounts.OrganisationListView.as_view(), name="organisation-list"),
    path("organisations/<str:public_id>", accounts.OrganisationDetailView.as_view(), name="organisation-detail"),
    path("contacts", accounts.ContactListView.as_view(), name="contact-list"),
    path("contacts/<str:public_id>", accounts.ContactDetailView.as_view(), name="contact-detail"),
    path("contracts", customers.ContractListView.as_view(), name="contract-list"),
    path("contracts/<str:public_id>", customers.ContractDetailView.as_view(), name="contract-detail"),
    path("systems", customers.SystemListView.as_view(), name="system-list"),
    path("systems/<str:public_id>", customers.SystemDetailView.as_view(), name="system-detail"),
    path("systems/<str:public_id>/entitlement", customers.EntitlementView.as_view(), name="system-entitlement"),
]

# Per-context route modules (one line each, to keep merges trivial):
# from weibao.api.v1 import tickets_urls; urlpatterns += tickets_urls.urlpatterns
from weibao.api.v1 import notify_urls; urlpatterns += notify_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.api.v1 import search_urls; urlpatterns += search_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.api.v1 import knowledge_urls; urlpatterns += knowledge_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.api.v1 import sla_urls; urlpatterns += sla_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.api.v1 import tickets_urls; urlpatterns += tickets_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.api.v1 import monitoring_urls; urlpatterns += monitoring_urls.urlpatterns  # noqa: E402, I001, E702
from weibao.api.v1 import records_urls; urlpatterns += records_urls.urlpatterns  # noqa: E402, E702, I001
