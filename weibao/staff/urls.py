from django.urls import path

from weibao.staff import views

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]

# Per-context page modules (one line each, to keep merges trivial):
# from weibao.staff import tickets_urls; urlpatterns += tickets_urls.urlpatterns
from weibao.staff import notify_urls; urlpatterns += notify_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.staff import sla_urls; urlpatterns += sla_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.staff import tickets_urls; urlpatterns += tickets_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.staff import knowledge_urls; urlpatterns += knowledge_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.staff import monitoring_urls; urlpatterns += monitoring_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.staff import records_urls; urlpatterns += records_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.staff import mail_urls; urlpatterns += mail_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.staff import desk_urls; urlpatterns += desk_urls.urlpatterns  # noqa: E402, E702, I001
from weibao.staff import monitoring_config_urls; urlpatterns += monitoring_config_urls.urlpatterns  # noqa: E402, E702, I001
