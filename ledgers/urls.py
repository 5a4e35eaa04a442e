from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="ledgers-index"),
    path("stats/", views.statistics, name="ledgers-stats"),
    path("photo/<str:kind_key>/<int:ledger_photo_pk>/", views.photo, name="ledgers-photo"),
    path("<str:kind_key>/", views.row_list, name="ledgers-list"),
    path("<str:kind_key>/add/", views.row_add, name="ledgers-add"),
    path("<str:kind_key>/export/", views.row_export, name="ledgers-export"),
    path("<str:kind_key>/<int:row_pk>/", views.row_edit, name="ledgers-edit"),
    path("<str:kind_key>/<int:row_pk>/delete/", views.row_delete, name="ledgers-delete"),
]
