"""Error answers: always ``{"detail": "<message in the user's language>"}``.

ninja's defaults answer in English ("Unauthorized", "Not Found") and put a list in
``detail`` for validation errors; ours keep ``detail`` a sentence and list the broken
parameters under ``errors``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI


def install_error_handlers(api: NinjaAPI) -> None:
    # Handlers take ``exc: Any``: ninja types the argument as "exception or its class".
    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:  # Http404
        return api.create_response(request, {"detail": _("Not found.")}, status=404)

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:  # AuthenticationError
        response = api.create_response(
            request,
            {"detail": _("Authentication required: a valid API token or a staff session.")},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:  # HttpError
        if exc.status_code == 403:
            detail = _("Access denied (check the CSRF token of the session).")
        else:
            detail = str(exc)
        return api.create_response(request, {"detail": detail}, status=exc.status_code)

    def invalid(request: HttpRequest, exc: Any) -> HttpResponse:  # ValidationError
        errors = [
            {
                "loc": [str(part) if not isinstance(part, int) else part for part in e["loc"]],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors
        ]
        return api.create_response(
            request,
            {"detail": _("Invalid request parameters."), "errors": errors},
            status=422,
        )

    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(ValidationError, invalid)
