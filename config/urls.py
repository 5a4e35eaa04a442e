from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from campaign import public
from inspections import offline_views

from . import health, views

admin.site.site_header = "创文工作平台 · 后台管理"
admin.site.site_title = "创文工作平台"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("", views.home, name="home"),
    # For load balancers: database and Redis reachable? JSON, 200 or 503, no login (config/health.py).
    path("healthz", health.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("campaign/", include("campaign.urls")),
    # The Excel import pages live in dataload but keep the address users know.
    path("tasks/import/", include("dataload.urls")),
    path("tasks/", include("tasks.urls")),
    # The installable inspector app: the service worker's scope must cover every page.
    path("sw.js", offline_views.service_worker, name="pwa-sw"),
    path("manifest.webmanifest", offline_views.manifest, name="pwa-manifest"),
    path("inspections/offline/", include("inspections.offline_urls")),
    path("inspections/", include("inspections.urls")),
    path("reports/", include("reports.urls")),
    path("notices/", include("notices.urls")),
    path("ledgers/", include("ledgers.urls")),
    path("materials/", include("materials.urls")),
    path("surveys/", include("surveys.urls")),
    path("snaps/", include("snaps.urls")),
    # The self-hosted CAPTCHA's images (public submissions, campaign/public.py).
    path("captcha/", include(public.captcha_urlpatterns())),
]
