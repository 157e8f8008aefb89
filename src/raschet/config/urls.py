"""URL map: the back office (admin and workflow pages), the REST API and the resident portal."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from raschet.api.urls import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("office/", include("raschet.backoffice.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("portal/", include("raschet.portal.urls")),
]
