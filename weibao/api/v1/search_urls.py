from django.urls import path

from weibao.api.v1 import search

urlpatterns = [
    path("search", search.SearchView.as_view(), name="search"),
    path("suggestions", search.SuggestionsView.as_view(), name="suggestions"),
    path("suggestions/events", search.SuggestionEventView.as_view(), name="suggestion-events"),
]
