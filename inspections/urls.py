from django.urls import path

from . import views

urlpatterns = [
    path("", views.inspection_list, name="inspections-list"),
    path("new/", views.inspection_create, name="inspections-create"),
    path("<int:pk>/", views.inspection_detail, name="inspections-detail"),
    path("<int:pk>/findings/new/", views.finding_create, name="inspections-finding-create"),
    path("<int:pk>/suggest/", views.points_suggestion, name="inspections-suggest-points"),
    path("<int:pk>/checklist/<int:point_pk>/", views.checklist, name="inspections-checklist"),
    path("search/points/", views.point_search, name="inspections-point-search"),
    path("search/indicators/", views.indicator_search, name="inspections-indicator-search"),
    path("matrix/", views.matrix, name="inspections-matrix"),
    path("findings/", views.finding_list, name="inspections-findings"),
    path("findings/export.xlsx", views.finding_export_xlsx, name="inspections-findings-xlsx"),
    path("findings/export.pdf", views.finding_export_pdf, name="inspections-findings-pdf"),
    path("findings/<int:pk>/", views.finding_detail, name="inspections-finding-detail"),
    path("findings/<int:pk>/withdraw/", views.finding_withdraw, name="inspections-finding-withdraw"),
    path("findings/<int:pk>/rectify/", views.rectify, name="inspections-rectify"),
    path("rectifications/", views.rectification_list, name="inspections-rectifications"),
    path("rectifications/<int:pk>/review/", views.review, name="inspections-review"),
    path("photos/<str:kind>/<int:pk>/", views.photo_download, name="inspections-photo-download"),
    path("points/<int:pk>/", views.point_history, name="inspections-point-history"),
    path("orders/", views.order_list, name="inspections-orders"),
    path("orders/new/", views.order_create, name="inspections-order-create"),
    path("orders/<int:pk>/", views.order_detail, name="inspections-order-detail"),
    path("orders/<int:pk>/pdf/", views.order_pdf, name="inspections-order-pdf"),
    path("adjustments/", views.adjustments, name="inspections-adjustments"),
    path("corrections/new/", views.correction_create, name="inspections-correction-create"),
    path("bonuses/new/", views.bonus_create, name="inspections-bonus-create"),
    path("bonuses/<int:pk>/approve/", views.bonus_approve, name="inspections-bonus-approve"),
    path("accountability/new/", views.accountability_create, name="inspections-accountability-create"),
]
