from django.urls import path

from . import views

urlpatterns = [
    # Public (no login; campaign/public.py): the report form, nearby points, the status page by query code.
    path("r/<slug:slug>/", views.public_new, name="snaps-public-new"),
    path("r/<slug:slug>/points/", views.public_points, name="snaps-public-points"),
    path("q/", views.public_lookup, name="snaps-public-lookup"),
    path("q/<str:code>/", views.public_status, name="snaps-public-status"),
    path("q/<str:code>/photos/<str:kind>/<int:pk>/", views.public_photo, name="snaps-public-photo"),
    # The office.
    path("", views.queue, name="snaps-queue"),
    path("figures/", views.figures, name="snaps-figures"),
    path("qr.svg", views.qr, name="snaps-qr"),
    path("<int:pk>/", views.detail, name="snaps-detail"),
    path("<int:pk>/file/", views.file_finding, name="snaps-file"),
    path("<int:pk>/decline/", views.decline, name="snaps-decline"),
    path("<int:pk>/merge/", views.merge, name="snaps-merge"),
    path("<int:pk>/photos/<int:photo_pk>/", views.photo, name="snaps-photo"),
]
