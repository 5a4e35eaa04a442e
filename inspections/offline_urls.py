from django.urls import path

from . import offline_views

urlpatterns = [
    path("status/", offline_views.status, name="offline-status"),
    path("data/<int:inspection_pk>.json", offline_views.data, name="offline-data"),
    path("sync/<int:inspection_pk>/finding/", offline_views.sync_finding, name="offline-sync-finding"),
    path("sync/<int:inspection_pk>/checklist/<int:point_pk>/", offline_views.sync_checklist, name="offline-sync-checklist"),
]
