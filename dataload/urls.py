"""The Excel import pages. Mounted at ``/tasks/import/`` (config/urls.py) and keeping their
``tasks-import*`` names: the addresses users bookmarked and the names templates use stay as they were."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_page, name="tasks-import"),
    path("template/<slug:kind>/", views.import_template, name="tasks-import-template"),
    path("export/<slug:kind>/", views.import_export, name="tasks-import-export"),
]
