from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notifications, name="campaign-notifications"),
    path("notifications/read/", views.notifications_read, name="campaign-notifications-read"),
]
