from django.urls import path

from . import views

urlpatterns = [
    path("", views.survey_list, name="surveys-list"),
    path("new/", views.survey_create, name="surveys-create"),
    path("<int:pk>/", views.survey_detail, name="surveys-detail"),
    path("<int:pk>/edit/", views.survey_edit, name="surveys-edit"),
    path("<int:pk>/questions/", views.question_add, name="surveys-question-add"),
    path("<int:pk>/questions/<int:question_pk>/delete/", views.question_delete, name="surveys-question-delete"),
    path("<int:pk>/quotas/", views.quota_set, name="surveys-quota"),
    path("<int:pk>/rules/", views.rule_set, name="surveys-rule"),
    path("<int:pk>/status/", views.survey_status, name="surveys-status"),
    path("<int:pk>/results/", views.survey_results, name="surveys-results"),
    path("<int:pk>/poster/", views.survey_poster, name="surveys-poster"),
    path("<int:pk>/qr.<str:fmt>", views.survey_qr, name="surveys-qr"),
    path("<int:pk>/interview/", views.interview, name="surveys-interview"),
    # Public, no login: known only by the survey's unguessable token.
    path("s/<str:token>/", views.public_answer, name="surveys-public"),
]
