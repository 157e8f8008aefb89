"""API v1: mounted at ``/api/v1/`` by ``raschet.config.urls``.

OpenAPI at ``/api/v1/openapi.json``, Swagger UI at ``/api/v1/docs`` (offline, see `docs`).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from ninja import NinjaAPI
from ninja.parser import Parser

from raschet.api.docs import OfflineSwagger, docs_asset
from raschet.api.endpoints import router
from raschet.api.errors import install_error_handlers

DESCRIPTION = """\
Read access to Raschet's housing stock; meters and readings of an account, and submitting
readings (e.g. from an automated metering system).

Integrations send `Authorization: Bearer <token>`; a token is issued with
`raschet manage api_token_create --organization CODE --name NAME` and reaches its
organization's data (a billing centre's token also reaches the organizations it serves).
Staff users of the back office can call the API with their session.

Areas and readings are decimal strings (`"54.30"`, `"123.456"`), never JSON numbers; lists
are pages (`limit` ≤ 500, `offset`), errors are `{"detail": "..."}`; an object outside the
caller's organizations answers 404.
"""


class SingleValueParser(Parser):
    """Refuses a repeated scalar query parameter (``?q=a&q=b``) instead of keeping the last.

    A list where the schema wants one value fails validation, so the caller gets a 422
    naming the parameter rather than an answer to a question it did not ask.
    """

    def parse_querydict(self, data: Any, list_fields: Any, request: Any) -> Any:
        result = super().parse_querydict(data, list_fields, request)
        for key in data:
            if key not in list_fields and len(data.getlist(key)) > 1:
                result[key] = data.getlist(key)
        return result


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
    parser=SingleValueParser(),
)
install_error_handlers(api)
api.add_router("/", router)
api.add_router("/", "raschet.api.metering.router")
api.add_router("/", "raschet.api.billing.router")
api.add_router("/", "raschet.api.payments.router")
api.add_router("/", "raschet.api.credit.router")
api.add_router("/", "raschet.api.debt.router")
api.add_router("/", "raschet.api.appeals.router")
api.add_router("/", "raschet.api.capitalrepair.router")
api.add_router("/", "raschet.api.registry.router")
api.add_router("/", "raschet.api.exchange.router")
