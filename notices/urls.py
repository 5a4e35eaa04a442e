from django.urls import path

from . import views

urlpatterns = [
    path("settings/", views.preferences, name="notices-preferences"),
    path("digest/", views.digest, name="notices-digest"),
    path("log/", views.log, name="notices-log"),
    path("log/<int:pk>/resend/", views.resend, name="notices-resend"),
]
