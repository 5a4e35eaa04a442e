from django.urls import path

from . import views

urlpatterns = [
    path("", views.task_list, name="tasks-list"),
    path("export/", views.task_list_export, name="tasks-list-export"),
    path("<int:pk>/", views.task_detail, name="tasks-detail"),
    path("<int:pk>/progress/", views.progress_add, name="tasks-progress-add"),
    path("<int:pk>/complete/", views.task_complete, name="tasks-complete"),
    path("<int:pk>/accept/", views.task_accept, name="tasks-accept"),
    path("<int:pk>/return/", views.task_return, name="tasks-return"),
    path("<int:pk>/deadline/", views.task_deadline, name="tasks-deadline"),
    path("progress/<int:pk>/", views.progress_detail, name="tasks-progress-detail"),
    path("evidence/<int:pk>/", views.evidence_download, name="tasks-evidence-download"),
    path("timeline/", views.task_timeline, name="tasks-timeline"),
    path("dashboard/", views.task_dashboard, name="tasks-dashboard"),
    path("dashboard/<slug:table>/export/", views.task_dashboard_export, name="tasks-dashboard-export"),
]
