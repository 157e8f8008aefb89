"""Russian is the default UI language; English is the fallback of the English msgids."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.utils import translation

import raschet

CATALOGUES = sorted(Path(raschet.__file__).parent.glob("**/locale/ru/LC_MESSAGES/django.po"))
_ENTRY = re.compile(r'^(?:msgctxt "(?P<ctx>.*)"\n)?msgid "(?P<id>.*)"\n((?:".*"\n)*)', re.M)


def _unescape(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text)


def _msgids(po: Path) -> list[tuple[str | None, str]]:
    text = po.read_text(encoding="utf-8")
    found = []
    for m in _ENTRY.finditer(text):
        continuation = "".join(line[1:-1] for line in m.group(3).splitlines())
        msgid = m.group("id") + continuation
        if msgid:
            found.append((m.group("ctx"), _unescape(msgid)))
    return found


def test_there_are_catalogues():
    assert len(CATALOGUES) >= 2


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_every_message_is_translated_and_compiled(po):
    assert "#, fuzzy" not in po.read_text(encoding="utf-8").split("\n\n", 1)[1]
    mo = gettext.GNUTranslations(po.with_suffix(".mo").open("rb"))
    missing = []
    for ctx, msgid in _msgids(po):
        if "%(" in msgid and msgid.count("\n") > 3:
            continue
        translated = mo.pgettext(ctx, msgid) if ctx else mo.gettext(msgid)
        if translated == msgid and re.search("[a-z]{3}", msgid):  # acronyms stay
            missing.append(msgid)
    assert missing == [], f"untranslated or not compiled in {po}: {missing[:10]}"


def test_model_names_are_russian_by_default_and_english_on_request():
    from raschet.housing.models import Building

    with translation.override("ru"):
        assert str(Building._meta.verbose_name_plural) == "дома"
    with translation.override("en"):
        assert str(Building._meta.verbose_name_plural) == "buildings"


@pytest.mark.django_db
def test_pages_are_russian_even_for_an_english_browser(admin_client):
    html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Raschet — бэк-офис" in html


@pytest.mark.django_db
def test_english_on_explicit_choice(admin_client):
    response = admin_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    assert "Raschet — back office" in admin_client.get("/admin/").content.decode()
    admin_client.post("/i18n/setlang/", {"language": "ru", "next": "/admin/"})
    assert "Raschet — бэк-офис" in admin_client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_api_follows_accept_language(client):
    russian = client.get("/api/v1/accounts")
    english = client.get("/api/v1/accounts", HTTP_ACCEPT_LANGUAGE="en")
    assert russian.status_code == english.status_code == 401
    assert russian.json()["detail"] != english.json()["detail"]


@pytest.mark.django_db
def test_pages_offer_the_other_language(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert 'id="language-switch"' in html and 'value="en"' in html
