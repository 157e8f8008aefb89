"""The Swagger UI page, served with the assets bundled in django-ninja.

ninja renders a page that loads Swagger UI from a CDN unless "ninja" is in INSTALLED_APPS and
static files are served. The back office must work without the internet, so this page uses
its own template and takes the JS/CSS from ninja's package through `docs_asset` — nothing is
fetched from another host at run time.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from ninja.openapi.docs import Swagger

NINJA_STATIC = Path(ninja.__file__).resolve().parent / "static" / "ninja"
DOCS_ASSETS = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-init.js", "favicon.svg", "favicon.png"}
)


class OfflineSwagger(Swagger):
    """Swagger UI whose every asset comes from this server."""

    template = "api/swagger.html"
    # Swagger UI otherwise asks validator.swagger.io for a badge about the schema.
    default_settings = {**Swagger.default_settings, "validatorUrl": None}

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        context = {
            "swagger_settings": json.dumps(settings, indent=1),
            "api": api,
            "asset_prefix": reverse(f"{api.urls_namespace}:docs-asset", args=["x"])[:-1],
        }
        return render(request, self.template, context)


@require_safe
@cache_control(max_age=86400, public=True)
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    """One file of ninja's bundled Swagger UI, from a fixed list (no path from the URL)."""
    if name not in DOCS_ASSETS:
        raise Http404
    path = NINJA_STATIC / name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(path.open("rb"), content_type=content_type)
