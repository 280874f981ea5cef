from django.urls import path

from weibao.api.v1 import search

urlpatterns = [
    path("search", search.SearchView.as_view(), name="search"),
]
