"""Russian first: pages are Russian unless the user chose another language.

Django's `LocaleMiddleware` follows the browser's ``Accept-Language``, so an operator with an
English-language browser would get an English back office. Raschet's users work in Russian:
pages use the language chosen explicitly (the ``django_language`` cookie set by
``/i18n/setlang/``) or ``LANGUAGE_CODE`` (``ru``). API clients are programs that say what
they want: under ``/api/`` the ``Accept-Language`` header is honoured.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

API_PREFIX = "/api/"


class RussianFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response

    @staticmethod
    def _language(request: HttpRequest) -> str:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen and translation.check_for_language(chosen):
            return translation.get_supported_language_variant(chosen)
        if request.path.startswith(API_PREFIX):
            return translation.get_language_from_request(request)
        return settings.LANGUAGE_CODE
