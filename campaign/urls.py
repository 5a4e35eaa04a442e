from django.urls import path

from . import views

urlpatterns = [
    path("switch/", views.campaign_switch, name="campaign-switch"),
    path("notifications/", views.notifications, name="campaign-notifications"),
    path("notifications/read/", views.notifications_read, name="campaign-notifications-read"),
    path("audit/", views.audit_list, name="campaign-audit"),
    path("audit/export/", views.audit_export, name="campaign-audit-export"),
    path("password/", views.PasswordChangeView.as_view(), name="campaign-password-change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="campaign-password-change-done"),
]
