from django.urls import path

from . import job_views

urlpatterns: list = [
    # Report jobs (rendered by Celery workers).
    path("jobs/", job_views.job_list, name="reports-jobs"),
    path("jobs/<int:pk>/", job_views.job_detail, name="reports-job-detail"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="reports-job-download"),
    path("jobs/<int:pk>/retry/", job_views.job_retry, name="reports-job-retry"),
]
