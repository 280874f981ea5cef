from django.urls import path

from weibao.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
]

# Per-context page modules (one line each):
# from weibao.portal import tickets_urls; urlpatterns += tickets_urls.urlpatterns
from weibao.portal import notify_urls; urlpatterns += notify_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.portal import tickets_urls; urlpatterns += tickets_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.portal import monitoring_urls; urlpatterns += monitoring_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.portal import records_urls; urlpatterns += records_urls.urlpatterns  # noqa: E402, E702, I001
