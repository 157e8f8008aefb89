"""API v1: mounted at ``/api/v1/`` by ``raschet.config.urls``.

OpenAPI at ``/api/v1/openapi.json``, Swagger UI at ``/api/v1/docs`` (offline, see `docs`).
"""

from __future__ import annotations

from django.urls import path
from ninja import NinjaAPI

from raschet.api.docs import OfflineSwagger, docs_asset
from raschet.api.endpoints import router
from raschet.api.errors import install_error_handlers

DESCRIPTION = """\
Read access to Raschet's housing stock.

Integrations send `Authorization: Bearer <token>`; a token is issued with
`raschet manage api_token_create --organization CODE --name NAME` and reaches its
organization's data (a billing centre's token also reaches the organizations it serves).
Staff users of the back office can call the API with their session.

Areas are decimal strings (`"54.30"`), lists are pages (`limit` ≤ 500, `offset`), errors are
`{"detail": "..."}`; an object outside the caller's organizations answers 404.
"""


class RaschetNinjaAPI(NinjaAPI):
    """NinjaAPI plus the URL of the docs page's bundled assets."""

    def _get_urls(self):  # type: ignore[no-untyped-def]
        urls = super()._get_urls()
        urls.insert(0, path("docs/assets/<str:name>", docs_asset, name="docs-asset"))
        return urls


api = RaschetNinjaAPI(
    title="Raschet API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs=OfflineSwagger(),
)
install_error_handlers(api)
api.add_router("/", router)
