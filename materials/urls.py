from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="materials-index"),
    path("queue/", views.review_queue, name="materials-queue"),
    path("settings/", views.settings_save, name="materials-settings"),
    path("requirements/add/", views.requirement_edit, name="materials-requirement-add"),
    path("requirements/<int:pk>/", views.requirement_detail, name="materials-requirement"),
    path("requirements/<int:pk>/edit/", views.requirement_edit, name="materials-requirement-edit"),
    path("requirements/<int:pk>/units/<int:unit_pk>/", views.unit_page, name="materials-unit"),
    path("requirements/<int:pk>/units/<int:unit_pk>/score/", views.score, name="materials-score"),
    path("items/<int:item_pk>/units/<int:unit_pk>/submit/", views.submit, name="materials-submit"),
    path("submissions/<int:pk>/review/", views.review, name="materials-review"),
    path("files/<int:pk>/", views.file_download, name="materials-file"),
]
