from django.urls import path

from . import cockpit_views, job_views, summary_views, views

urlpatterns: list = [
    # 领导驾驶舱 (the home page of admins and leaders).
    path("cockpit/", cockpit_views.cockpit_page, name="reports-cockpit"),
    # 工作总结 drafts (.docx) for a unit or the city.
    path("summaries/", summary_views.summary_page, name="reports-summaries"),
    # Monthly assessment: months, rankings, explanations, publication, bulletin.
    path("months/", views.month_list, name="reports-months"),
    path("months/<str:month>/", views.month_detail, name="reports-month"),
    path("months/<str:month>/units/<int:unit_id>/", views.unit_month, name="reports-unit-month"),
    path("months/<str:month>/publish/", views.publish, name="reports-publish"),
    path("months/<str:month>/revoke/", views.revoke, name="reports-revoke"),
    path("months/<str:month>/bulletin/", views.bulletin, name="reports-bulletin"),
    path("years/<int:year>/", views.year_summary, name="reports-year"),
    # Report jobs (rendered by Celery workers).
    path("jobs/", job_views.job_list, name="reports-jobs"),
    path("jobs/<int:pk>/", job_views.job_detail, name="reports-job-detail"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="reports-job-download"),
    path("jobs/<int:pk>/retry/", job_views.job_retry, name="reports-job-retry"),
    path("jobs/<int:pk>/units/<int:unit_id>/", job_views.job_unit_appendix, name="reports-job-unit-appendix"),
    path("exports/", job_views.export_request, name="reports-export-request"),
]
