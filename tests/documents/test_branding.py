"""The management company's branding on its payment documents: name, colour, logo."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader

from raschet.documents.assemble import documents_data
from raschet.documents.render import Renderer
from tests.documents.conftest import FEB

pytestmark = pytest.mark.django_db


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def images_on_first_page(pdf: bytes) -> list[tuple[int, int]]:
    page = PdfReader(BytesIO(pdf)).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    sizes = []
    for ref in xobjects.values():
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image":
            sizes.append((int(obj["/Width"]), int(obj["/Height"])))
    return sizes


def render_first(town) -> tuple[dict, bytes]:
    docs = documents_data(organization=town.org, period=FEB, account_ids=[town.accounts[0].pk])
    with Renderer() as renderer:
        pdf = renderer.render(docs, timestamp=datetime(2025, 3, 3, tzinfo=UTC))
    return docs[0].content, pdf


def test_the_logo_of_the_management_company_is_drawn_in_the_header(town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    _content, without = render_first(town)
    town.org.logo.save("logo.png", ContentFile(png(37, 23)), save=True)
    content, with_logo = render_first(town)
    assert content["brand"]["logo"].endswith(".png")
    assert (37, 23) not in images_on_first_page(without)
    assert (37, 23) in images_on_first_page(with_logo)


def test_a_logo_of_another_format_is_left_out_not_fatal(town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    town.org.logo.save("logo.bmp", ContentFile(b"BM not a picture typst reads"), save=True)
    content, pdf = render_first(town)
    assert content["brand"]["logo"] == ""
    assert pdf.startswith(b"%PDF")


def test_a_broken_logo_file_is_left_out_and_the_page_still_prints(town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    town.org.logo.save("logo.png", ContentFile(png(37, 23)[:60]), save=True)  # cut short
    content, pdf = render_first(town)
    assert content["brand"]["logo"].endswith(".png")  # it looked like a picture…
    assert images_on_first_page(pdf) == images_on_first_page(render_first_without_logo(town))


def render_first_without_logo(town) -> bytes:
    town.org.logo = ""
    town.org.save()
    return render_first(town)[1]


def test_brand_name_and_colour_come_from_the_organization(town):
    town.org.brand_name = "Уютный дом"
    town.org.color_primary = "#7a1f3d"
    town.org.save()
    content, _pdf = render_first(town)
    assert content["brand"]["name"] == "Уютный дом"
    assert content["brand"]["color"] == "#7a1f3d"
