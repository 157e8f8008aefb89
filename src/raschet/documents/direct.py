"""A direct PDF writer for bundles of payment documents (ADR 0009).

typst lays out an ЕПД page in ~10 ms; a billing centre prints a million pages an hour on two
cores, which leaves ~6 ms a page for everything — reading the data, the QR codes, the page
and the archive. This module writes the same page as `typst/epd.typ` with a fixed, simple
layout of its own:

- one font pair (DejaVu Sans and Sans Bold), subset once per process to Latin and Cyrillic
  and embedded once per file as CID fonts with a ToUnicode map (the text stays searchable and
  extractable);
- the parts that repeat on every page of an organization's bundle — its branding block and
  the notice — are drawn once per file as form XObjects and placed on each page;
- text is measured with the font's advance widths, wrapped by words, and placed at computed
  positions; table columns are sized to their content as typst's ``auto`` columns are;
- each QR code is a 1-bit image of one pixel per module, drawn without smoothing.

A page that would not fit (an unusually long table, a character outside the embedded set,
a logo the writer cannot read) raises `LayoutError`; the caller then typesets that bundle
with typst, which remains the reference layout and the engine for single documents.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .render import FONTS, qr_matrix

if TYPE_CHECKING:
    from .assemble import Epd

MM = 72 / 25.4
PAGE_W, PAGE_H = 595.28, 841.89
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 10 * MM, 9 * MM, 9 * MM
CONTENT_W = PAGE_W - 2 * MARGIN_X
CAP = 0.73  # cap height of DejaVu Sans, in em: a line's box runs from cap height to baseline
PITCH = 1.11  # baseline to baseline, in em (typst: cap height + leading 0.38 em)
BASE = 6.6  # body text size, pt
GREY = "0.47 G"  # table rules: luma(120)
RULE = 0.4

# Latin, Latin-1, Latin Extended-A, Greek, Cyrillic with its supplement, general
# punctuation, super- and subscripts, currency signs (₽), letterlike symbols (№), arrows and
# mathematical operators (the derivations print →, ×, ≤, ≈).
CHARSET = [
    *range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x370, 0x530), *range(0x2000, 0x20C1),
    *range(0x2100, 0x2300),
]  # fmt: skip


class LayoutError(ValueError):
    """The page cannot be written by the direct writer (typst takes the bundle instead)."""


# ----------------------------------------------------------------------------- fonts


@dataclass(eq=False)
class Font:
    """An embedded font: glyph codes and advance widths per character, and its PDF parts."""

    key: str  # resource name on the page, /F1
    name: str  # PostScript name with the subset tag
    codes: dict[str, str]  # character → 4 hex digits of its glyph id (Identity-H)
    widths: dict[str, float]  # character → advance width in em
    program: bytes  # the subset TrueType file
    glyph_widths: list[int]  # per glyph id, in 1/1000 em
    to_unicode: bytes
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    _word_widths: dict[str, float] = field(default_factory=dict)
    _hex: dict[str, str] = field(default_factory=dict)

    def width(self, text: str, size: float) -> float:
        """The advance width of ``text`` at ``size`` points."""
        known = self._word_widths.get(text)
        if known is None:
            try:
                known = sum(map(self.widths.__getitem__, text))
            except KeyError as exc:
                raise LayoutError(f"символ {exc.args[0]!r} вне набора шрифта") from None
            if len(self._word_widths) < 200_000:
                self._word_widths[text] = known
        return known * size

    def hex(self, text: str) -> str:
        """The glyph codes of ``text`` as hex digits for ``Tj`` (cached: labels and many
        figures repeat from page to page)."""
        known = self._hex.get(text)
        if known is None:
            try:
                known = "".join(map(self.codes.__getitem__, text))
            except KeyError as exc:
                raise LayoutError(f"символ {exc.args[0]!r} вне набора шрифта") from None
            if len(self._hex) < 200_000:
                self._hex[text] = known
        return known


def _load_font(path: Path, key: str, tag: str) -> Font:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(path))
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=CHARSET)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    units = font["head"].unitsPerEm
    order = font.getGlyphOrder()
    gid = {name: i for i, name in enumerate(order)}
    hmtx = font["hmtx"].metrics
    glyph_widths = [round(hmtx[name][0] * 1000 / units) for name in order]
    codes: dict[str, str] = {}
    widths: dict[str, float] = {}
    mapping: list[tuple[int, int]] = []
    for code, name in sorted(font.getBestCmap().items()):
        char = chr(code)
        codes[char] = f"{gid[name]:04X}"
        widths[char] = hmtx[name][0] / units
        mapping.append((gid[name], code))
    head = font["head"]
    scale = 1000 / units
    ps_name = font["name"].getDebugName(6) or path.stem
    return Font(
        key=key,
        name=f"{tag}+{ps_name}",
        codes=codes,
        widths=widths,
        program=buffer.getvalue(),
        glyph_widths=glyph_widths,
        to_unicode=_to_unicode(mapping),
        bbox=(
            round(head.xMin * scale),
            round(head.yMin * scale),
            round(head.xMax * scale),
            round(head.yMax * scale),
        ),
        ascent=round(font["hhea"].ascent * scale),
        descent=round(font["hhea"].descent * scale),
    )


def _to_unicode(mapping: list[tuple[int, int]]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    for start in range(0, len(mapping), 100):
        chunk = mapping[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{g:04X}> <{c:04X}>" for g, c in chunk]
        lines.append("endbfchar")
    lines += ["endcmap CMapName currentdict /CMap defineresource pop end end"]
    return "\n".join(lines).encode("ascii")


@cache
def fonts() -> tuple[Font, Font]:
    """The regular and bold fonts, subset once per process."""
    return (
        _load_font(FONTS / "DejaVuSans.ttf", "F1", "RSCHTA"),
        _load_font(FONTS / "DejaVuSans-Bold.ttf", "F2", "RSCHTB"),
    )


# ----------------------------------------------------------------------------- text


@lru_cache(maxsize=50_000)
def wrap(text: str, bold: bool, size: float, width: float) -> tuple[str, ...]:
    """``text`` broken into lines no wider than ``width`` (at spaces; a word wider than the
    line is broken between characters). A newline always breaks."""
    font = fonts()[bold]
    lines: list[str] = []
    space = font.width(" ", size)
    for paragraph in text.split("\n"):
        line = ""
        used = 0.0
        for word in paragraph.split(" "):
            w = font.width(word, size)
            if line and used + space + w <= width + 0.01:
                line += " " + word
                used += space + w
                continue
            if line:
                lines.append(line)
            while w > width + 0.01 and len(word) > 1:  # a word wider than the line
                cut = len(word) - 1
                while cut > 1 and font.width(word[:cut], size) > width + 0.01:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
                w = font.width(word, size)
            line, used = word, w
        lines.append(line)
    return tuple(lines)


def text_height(lines: int, size: float) -> float:
    return CAP * size + (lines - 1) * PITCH * size if lines else 0.0


class Canvas:
    """Drawing operations in a box whose top-left corner is (0, 0), y growing downwards;
    ``top`` is the PDF y of that corner (the page height for a page, 0 for a form)."""

    def __init__(self, top: float) -> None:
        self.top = top
        self.graphics: list[str] = []
        self.text: list[str] = []
        self.images: list[str] = []
        self._font: tuple[str, float] | None = None
        self._color = "0 g"

    def show(
        self, x: float, y: float, s: str, *, bold: bool = False, size: float = BASE,
        color: str = "0 g", align: str = "l", width: float = 0.0,
    ) -> None:  # fmt: skip
        """One line of text whose box's top is at ``y`` (baseline at cap height below)."""
        if not s:
            return
        font = fonts()[bold]
        if align != "l":
            w = font.width(s, size)
            x += (width - w) if align == "r" else (width - w) / 2
        if self._font != (font.key, size):
            self._font = (font.key, size)
            self.text.append(f"/{font.key} {size:g} Tf")
        if self._color != color:
            self._color = color
            self.text.append(color)
        self.text.append(f"1 0 0 1 {x:.2f} {self.top - y - CAP * size:.2f} Tm <{font.hex(s)}> Tj")

    def paragraph(
        self, x: float, y: float, s: str, width: float, *, bold: bool = False,
        size: float = BASE, color: str = "0 g", align: str = "l",
    ) -> float:  # fmt: skip
        """Wrapped text; returns its height."""
        lines = wrap(s, bold, size, width)
        for i, line in enumerate(lines):
            self.show(
                x, y + i * PITCH * size, line, bold=bold, size=size, color=color,
                align=align, width=width,
            )  # fmt: skip
        return text_height(len(lines), size)

    def rect(
        self, x: float, y: float, w: float, h: float, *, fill: str = "", stroke: bool = False
    ) -> None:
        op = f"{x:.2f} {self.top - y - h:.2f} {w:.2f} {h:.2f} re"
        if fill:
            self.graphics.append(f"{fill} {op} f")
        if stroke:
            self.graphics.append(f"{RULE} w {GREY} {op} S")

    def rules(self, segments: list[tuple[float, float, float, float]]) -> None:
        if segments:
            path = " ".join(
                f"{x1:.2f} {self.top - y1:.2f} m {x2:.2f} {self.top - y2:.2f} l"
                for x1, y1, x2, y2 in segments
            )
            self.graphics.append(f"{RULE} w {GREY} {path} S")

    def image(self, name: str, x: float, y: float, w: float, h: float) -> None:
        self.images.append(f"q {w:.2f} 0 0 {h:.2f} {x:.2f} {self.top - y - h:.2f} cm /{name} Do Q")

    def form(self, name: str, x: float, y: float) -> None:
        self.images.append(f"q 1 0 0 1 {x:.2f} {self.top - y:.2f} cm /{name} Do Q")

    def content(self) -> bytes:
        parts = [*self.graphics]
        if self.text:  # the text's colour starts black whatever the fills left set
            parts += ["BT 0 g", *self.text, "ET"]
        parts += self.images
        return "\n".join(parts).encode("ascii")


# ----------------------------------------------------------------------------- tables


@dataclass(slots=True)
class Cell:
    text: str
    align: str = "l"
    bold: bool = False
    span: int = 1


def column_widths(
    rows: Sequence[Sequence[Cell]], flexible: Sequence[bool], total: float, size: float,
    inset: float, *, head: int = 0,
) -> list[float]:  # fmt: skip
    """typst-like columns: an ``auto`` column as wide as its widest one-column cell (the
    first ``head`` rows, the column headings, may wrap: their longest word counts), the
    flexible ones sharing what is left (refused when that is less than a fifth of the table)."""
    n = len(flexible)
    widths = [0.0] * n
    for k, row in enumerate(rows):
        i = 0
        for cell in row:
            if cell.span == 1 and not flexible[i]:
                font = fonts()[cell.bold]
                if k < head:
                    w = max(font.width(word, size) for word in cell.text.split(" "))
                else:
                    w = font.width(cell.text, size)
                widths[i] = max(widths[i], w + 2 * inset)
            i += cell.span
    fixed = sum(w for w, f in zip(widths, flexible, strict=True) if not f)
    flex = flexible.count(True)
    rest = total - fixed
    if flex and rest < total / 5:
        raise LayoutError("таблица не помещается по ширине")
    if not flex and rest < 0:
        raise LayoutError("таблица не помещается по ширине")
    return [rest / flex if f else w for w, f in zip(widths, flexible, strict=True)]


def table(
    canvas: Canvas, x: float, y: float, widths: Sequence[float], rows: Sequence[Sequence[Cell]],
    *, size: float = BASE, inset_x: float = 2.0, inset_y: float = 1.6, ruled: bool = True,
) -> float:  # fmt: skip
    """Draw the table with its top-left corner at (x, y); returns its height."""
    edges = [x]
    for w in widths:
        edges.append(edges[-1] + w)
    top = y
    segments: list[tuple[float, float, float, float]] = []
    last = len(widths)
    rising: dict[int, float] = {}  # a vertical rule's edge → where it started
    for row in rows:
        wrapped = []
        i = 0
        for cell in row:
            width = edges[i + cell.span] - edges[i] - 2 * inset_x
            text = cell.text
            if "\n" not in text and fonts()[cell.bold].width(text, size) <= width + 0.01:
                lines: tuple[str, ...] = (text,)  # the usual cell: one line, no wrapping
            else:
                lines = wrap(text, cell.bold, size, max(width, 1.0))
            wrapped.append((i, width, lines))
            i += cell.span
        height = max(text_height(len(lines), size) for _, _, lines in wrapped) + 2 * inset_y
        for cell, (i, width, lines) in zip(row, wrapped, strict=True):
            for k, line in enumerate(lines):
                canvas.show(
                    edges[i] + inset_x, y + inset_y + k * PITCH * size, line, bold=cell.bold,
                    size=size, align=cell.align, width=width,
                )  # fmt: skip
        if ruled:  # vertical rules run on while the next row has the same column edge
            present = {i for i, _, _ in wrapped} | {last}
            for edge in [e for e in rising if e not in present]:
                segments.append((edges[edge], rising.pop(edge), edges[edge], y))
            for edge in present:
                rising.setdefault(edge, y)
            segments.append((edges[0], y, edges[-1], y))
        y += height
    if ruled and rows:
        segments += [(edges[e], start, edges[e], y) for e, start in rising.items()]
        segments.append((edges[0], y, edges[-1], y))
        canvas.rules(segments)
    return y - top


# ----------------------------------------------------------------------------- the page


def _rgb(color: str) -> str:
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    try:
        r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        r, g, b = 0x1F / 255, 0x4E / 255, 0x79 / 255
    return f"{r:.3f} {g:.3f} {b:.3f}"


BAR_SIZE = 7.0
BAR_HEIGHT = CAP * BAR_SIZE + 4.0


def heading_bar(canvas: Canvas, y: float, title: str, accent: str) -> float:
    """The coloured section heading (typst: ``heading-bar``); returns the y below it."""
    y += 4.0
    canvas.rect(MARGIN_X, y, CONTENT_W, BAR_HEIGHT, fill=f"{accent} rg")
    canvas.show(MARGIN_X + 3, y + 2.0, title, bold=True, size=BAR_SIZE, color="1 g")
    return y + BAR_HEIGHT + 2.0


@dataclass
class _Static:
    """A form XObject drawn once per file and its height."""

    number: int
    name: str
    height: float


class _Pdf:
    """Objects of one PDF file: numbered, written in order, with the cross-reference table."""

    def __init__(self) -> None:
        self.objects: list[bytes | None] = []

    def reserve(self) -> int:
        self.objects.append(None)
        return len(self.objects)

    def put(self, number: int, body: bytes) -> int:
        self.objects[number - 1] = body
        return number

    def add(self, body: bytes) -> int:
        return self.put(self.reserve(), body)

    def stream(self, entries: str, data: bytes, *, compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data, 3)
            entries += " /Filter /FlateDecode"
        head = f"<< {entries} /Length {len(data)} >>\nstream\n".encode("ascii")
        return self.add(head + data + b"\nendstream")

    def finish(self, root: int, info: int) -> bytes:
        out = io.BytesIO()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            assert body is not None, number  # noqa: S101 - every reserved object is written
            offsets.append(out.tell())
            out.write(f"{number} 0 obj\n".encode("ascii"))
            out.write(body)
            out.write(b"\nendobj\n")
        xref = out.tell()
        out.write(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode("ascii"))
        out.write("".join(f"{o:010d} 00000 n \n" for o in offsets).encode("ascii"))
        out.write(
            f"trailer\n<< /Size {len(offsets) + 1} /Root {root} 0 R /Info {info} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n".encode("ascii")
        )
        return out.getvalue()


def _font_objects(pdf: _Pdf, font: Font) -> int:
    program = pdf.stream(f"/Length1 {len(font.program)}", font.program)
    x0, y0, x1, y1 = font.bbox
    descriptor = pdf.add(
        (
            f"<< /Type /FontDescriptor /FontName /{font.name} /Flags 32 "
            f"/FontBBox [{x0} {y0} {x1} {y1}] /ItalicAngle 0 /Ascent {font.ascent} "
            f"/Descent {font.descent} /CapHeight {round(CAP * 1000)} /StemV 80 "
            f"/FontFile2 {program} 0 R >>"
        ).encode("ascii")
    )
    widths = " ".join(map(str, font.glyph_widths))
    cid = pdf.add(
        (
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{font.name} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {descriptor} 0 R /W [0 [{widths}]] /CIDToGIDMap /Identity >>"
        ).encode("ascii")
    )
    to_unicode = pdf.stream("", font.to_unicode)
    return pdf.add(
        (
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{font.name} /Encoding /Identity-H "
            f"/DescendantFonts [{cid} 0 R] /ToUnicode {to_unicode} 0 R >>"
        ).encode("ascii")
    )


def _qr_image(pdf: _Pdf, payload: str) -> int:
    light = ~qr_matrix(payload)
    height, width = light.shape
    data = np.packbits(light, axis=1).tobytes()
    return pdf.stream(
        f"/Type /XObject /Subtype /Image /Width {width} /Height {height} "
        "/ColorSpace /DeviceGray /BitsPerComponent 1 /Interpolate false",
        data,
    )


def _logo_image(pdf: _Pdf, path: str) -> tuple[int, float] | None:
    """The logo as an image XObject (with its transparency as a soft mask) and its aspect
    ratio; None when it is not a picture Pillow reads (an SVG goes to typst instead)."""
    if not path:
        return None
    if path.lower().endswith(".svg"):
        raise LayoutError("логотип в SVG")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            picture.thumbnail((600, 600))
            rgba = picture.convert("RGBA")
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    width, height = rgba.size
    pixels = np.asarray(rgba)
    entries = f"/Type /XObject /Subtype /Image /Width {width} /Height {height} /BitsPerComponent 8"
    mask = ""
    if (pixels[:, :, 3] < 255).any():
        alpha = pdf.stream(f"{entries} /ColorSpace /DeviceGray", pixels[:, :, 3].tobytes())
        mask = f" /SMask {alpha} 0 R"
    image = pdf.stream(f"{entries} /ColorSpace /DeviceRGB{mask}", pixels[:, :, :3].tobytes())
    return image, width / height


class DirectWriter:
    """Writes a bundle of ЕПД pages as one PDF (the same interface as `render.Renderer`)."""

    def __enter__(self) -> DirectWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: the fonts are shared by the process."""

    def render(self, docs: Sequence[Epd], *, timestamp: datetime) -> bytes:
        """One PDF, a page per document, in the given order; `LayoutError` when a page
        does not fit this writer's layout."""
        regular, bold = fonts()
        pdf = _Pdf()
        catalog, pages = pdf.reserve(), pdf.reserve()
        font_refs = " ".join(f"/{f.key} {_font_objects(pdf, f)} 0 R" for f in (regular, bold))
        statics: dict[Any, _Static] = {}
        kids = []
        for doc in docs:
            kids.append(self._page(pdf, doc, pages, font_refs, statics))
        refs = " ".join(f"{k} 0 R" for k in kids)
        pdf.put(
            pages,
            f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode("ascii"),
        )
        pdf.put(catalog, f"<< /Type /Catalog /Pages {pages} 0 R >>".encode("ascii"))
        stamp = timestamp.strftime("%Y%m%d%H%M%SZ")
        info = pdf.add(
            f"<< /Title (EPD) /Producer (Raschet) /CreationDate (D:{stamp}) >>".encode("ascii")
        )
        return pdf.finish(catalog, info)

    # ------------------------------------------------------------------ static blocks

    def _static(
        self, pdf: _Pdf, statics: dict[Any, _Static], key: Any, width: float,
        draw: Any, font_refs: str,
    ) -> _Static:  # fmt: skip
        if key not in statics:
            canvas = Canvas(0.0)
            xobjects: dict[str, int] = {}
            height = draw(canvas, xobjects)
            resources = f"/Font << {font_refs} >>"
            if xobjects:
                resources += (
                    " /XObject << " + " ".join(f"/{n} {r} 0 R" for n, r in xobjects.items()) + " >>"
                )
            number = pdf.stream(
                f"/Type /XObject /Subtype /Form /BBox [0 {-height - 2:.2f} {width:.2f} 0] "
                f"/Resources << {resources} >>",
                canvas.content(),
            )
            statics[key] = _Static(number, f"S{len(statics)}", height)
        return statics[key]

    def _brand(self, pdf: _Pdf, brand: dict[str, Any], width: float) -> Any:
        def draw(canvas: Canvas, xobjects: dict[str, int]) -> float:
            x = 0.0
            logo = _logo_image(pdf, brand.get("logo", ""))
            height = 0.0
            if logo is not None:
                image, aspect = logo
                h = 11 * MM
                w = min(h * aspect, width / 2)
                xobjects["Logo"] = image
                canvas.image("Logo", 0, 0, w, h)
                x = w + 4
                height = h
            y = canvas_y = 0.0
            name_h = canvas.paragraph(
                x,
                y,
                brand["name"],
                width - x,
                bold=True,
                size=10.0,
                color=f"{_rgb(brand['color'])} rg",
            )
            canvas_y = max(height, name_h) + 0.5 * BASE
            text = "\n".join(brand.get("lines", []))
            if text:
                canvas_y += canvas.paragraph(0, canvas_y, text, width)
            return canvas_y

        return draw

    # ------------------------------------------------------------------ a page

    def _page(
        self, pdf: _Pdf, doc: Epd, parent: int, font_refs: str, statics: dict[Any, _Static]
    ) -> int:
        c = doc.content
        brand = c["brand"]
        accent = _rgb(brand["color"])
        canvas = Canvas(PAGE_H)
        xobjects: dict[str, int] = {}
        y = MARGIN_TOP
        half = (CONTENT_W - 8) / 2

        # header: the branding (static) and the document's title with the payer
        brand_key = ("brand", brand["name"], brand["color"], tuple(brand["lines"]), brand["logo"])
        static = self._static(
            pdf, statics, brand_key, half, self._brand(pdf, brand, half), font_refs
        )
        xobjects[static.name] = static.number
        canvas.form(static.name, MARGIN_X, y)
        right = MARGIN_X + half + 8
        ry = y
        canvas.show(right, ry, "ЕДИНЫЙ ПЛАТЁЖНЫЙ ДОКУМЕНТ", bold=True, size=10.0)
        ry += PITCH * 10.0
        canvas.show(right, ry, f"за {c['period_name']}", size=8.0)
        ry += PITCH * 8.0 + 1
        acc = c["account"]
        rows = [
            [Cell("Плательщик:"), Cell(acc["payer"], bold=True)],
            [Cell("Адрес:"), Cell(acc["address"])],
            [Cell("Лицевой счёт:"), Cell(acc["number"], bold=True)],
        ]
        if acc["gis_id"]:
            rows.append([Cell("ЕЛС:"), Cell(acc["gis_id"])])
        if acc.get("ipd"):
            rows.append([Cell("ИПД:"), Cell(acc["ipd"])])
        rows += [
            [Cell("Площадь:"), Cell(f"{acc['area']} м²")],
            [
                Cell("Проживает / зарегистрировано:"),
                Cell(f"{acc['residing']} / {acc['registered']} чел."),
            ],
        ]
        widths = column_widths(rows, (False, True), half, BASE, 1.5)
        ry += table(canvas, right, ry, widths, rows, inset_x=1.5, inset_y=1.0, ruled=False)
        y = max(y + static.height, ry)

        # payees: two cards a row, each with its QR code
        title = "Информация для внесения платы получателям платежа"
        y = heading_bar(canvas, y, f"{title} · всего к оплате {c['due_total']} ₽", accent)
        card_w = (CONTENT_W - 3) / 2
        qr_size = 20 * MM
        cards = c["payees"]
        for start in range(0, len(cards), 2):
            row_h = 0.0
            for k, payee in enumerate(cards[start : start + 2]):
                index = start + k
                x = MARGIN_X + k * (card_w + 3)
                h = self._payee(
                    canvas,
                    x,
                    y,
                    card_w,
                    qr_size,
                    payee,
                    doc.qr[index].payload,
                    pdf,
                    xobjects,
                    index,
                )
                row_h = max(row_h, h)
            for k in range(len(cards[start : start + 2])):
                canvas.rect(MARGIN_X + k * (card_w + 3), y, card_w, row_h, stroke=True)
            y += row_h + 3
        if c["advance_note"]:
            y += canvas.paragraph(MARGIN_X, y + 2, c["advance_note"], CONTENT_W) + 2

        # charges
        y = heading_bar(
            canvas, y,
            "Расчёт размера платы за содержание жилого помещения и коммунальные услуги", accent,
        )  # fmt: skip
        head = [
            "Услуга", "Ед.", "Объём инд.", "Объём СОИ", "Тариф, ₽", "Начислено", "Повыш. коэф.",
            "Перерасчёт", "Льготы", "Снижение", "Итого",
        ]  # fmt: skip
        rows = [[Cell(t, "l" if i == 0 else "c" if i == 1 else "r") for i, t in enumerate(head)]]
        for line in c["lines"]:
            rows.append(
                [Cell(line["service"]), Cell(line["unit"], "c")]
                + [
                    Cell(line[k], "r")
                    for k in (
                        "volume",
                        "common_volume",
                        "tariff",
                        "charged",
                        "coefficient",
                        "recalculation",
                        "benefit",
                        "reduction",
                    )
                ]
                + [Cell(line["total"], "r", bold=True)]
            )
        t = c["totals"]
        rows.append(
            [
                Cell("Итого за расчётный период", bold=True, span=5),
                Cell(t["charged"], "r", bold=True),
                *(
                    Cell(t[k], "r")
                    for k in ("coefficient", "recalculation", "benefit", "reduction")
                ),
                Cell(t["total"], "r", bold=True),
            ]
        )
        widths = column_widths(rows, (True, *([False] * 10)), CONTENT_W, BASE, 2.0, head=1)
        y += table(canvas, MARGIN_X, y, widths, rows)

        if c["recalculations"]:
            y = heading_bar(canvas, y, "Перерасчёты", accent)
            rows = [[Cell("Услуга"), Cell("Месяц"), Cell("Сумма, ₽"), Cell("Основание")]]
            rows += [
                [Cell(x["service"]), Cell(x["month"]), Cell(x["amount"], "r"), Cell(x["reason"])]
                for x in c["recalculations"]
            ]
            widths = column_widths(rows, (False, False, False, True), CONTENT_W, BASE, 2.0, head=1)
            y += table(canvas, MARGIN_X, y, widths, rows)

        if c.get("fines"):
            title = "Штраф исполнителя за нарушение порядка расчёта платы (ЖК РФ ст.157 ч.6)"
            y = heading_bar(canvas, y, title, accent)
            rows = [[Cell("Услуга"), Cell("Уменьшение платы, ₽", "r")]]
            rows += [[Cell(x["service"]), Cell(x["amount"], "r")] for x in c["fines"]]
            widths = column_widths(rows, (True, False), CONTENT_W, BASE, 2.0, head=1)
            y += table(canvas, MARGIN_X, y, widths, rows)

        # reference: readings and norms side by side, then the notes
        y = heading_bar(canvas, y, "Справочная информация", accent)
        col = (CONTENT_W - 6) / 2
        rows = [[Cell("Прибор учёта"), Cell("Пред."), Cell("Тек."), Cell("Расход")]]
        rows += [
            [
                Cell(m["name"]),
                Cell(m["previous"], "r"),
                Cell(m["current"], "r"),
                Cell(m["volume"], "r"),
            ]
            for m in c["readings"]
        ]
        if not c["readings"]:
            rows.append([Cell("Индивидуальных приборов учёта нет", span=4)])
        widths = column_widths(rows, (True, False, False, False), col, BASE, 2.0, head=1)
        left_h = table(canvas, MARGIN_X, y, widths, rows)
        rows = [[Cell("Услуга"), Cell("Норматив инд."), Cell("Объём по дому")]]
        rows += [
            [Cell(n["service"]), Cell(n["norm"], "r"), Cell(n["building"], "r")] for n in c["norms"]
        ]
        widths = column_widths(rows, (True, False, False), col, BASE, 2.0, head=1)
        right_h = table(canvas, MARGIN_X + col + 6, y, widths, rows)
        y += max(left_h, right_h)
        notes = (
            (c["penalty_note"], False),
            (c.get("instalment_note", ""), True),
            (c.get("cash_benefit_note", ""), False),  # ЕДК, ПП 354 п.69 «з»: information only
        )
        for note, bold in notes:
            if note:
                y += 3 + canvas.paragraph(MARGIN_X, y + 3, note, CONTENT_W, bold=bold)

        # the notice at the foot of the page (static), «как рассчитано» in the room between
        notice = self._static(
            pdf, statics, ("notice", c["notice"], accent), PAGE_W,
            self._notice(c["notice"], accent), font_refs,
        )  # fmt: skip
        foot = PAGE_H - MARGIN_BOTTOM - notice.height
        xobjects[notice.name] = notice.number
        canvas.form(notice.name, 0.0, foot)
        if y + 4 + BAR_HEIGHT + 2 + text_height(1, 5.6) > foot:
            raise LayoutError("страница переполнена")
        y = heading_bar(canvas, y, "Как рассчитано", accent)
        self._explanations(canvas, y, foot, c["lines"])

        content = pdf.stream("", canvas.content())
        resources = (
            f"/Font << {font_refs} >> /XObject << "
            + " ".join(f"/{n} {r} 0 R" for n, r in xobjects.items())
            + " >>"
        )
        return pdf.add(
            (
                f"<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                f"/Resources << {resources} >> /Contents {content} 0 R >>"
            ).encode("ascii")
        )

    def _payee(
        self, canvas: Canvas, x: float, y: float, width: float, qr_size: float,
        p: dict[str, Any], payload: str, pdf: _Pdf, xobjects: dict[str, int], index: int,
    ) -> float:  # fmt: skip
        """One payee's card (typst: ``payee-card``); returns its height."""
        inner = width - 4 - qr_size - 3
        cx, cy = x + 2, y + 2
        cy += canvas.paragraph(cx, cy, p["name"], inner, bold=True) + (PITCH - CAP) * BASE
        kpp = f", КПП {p['kpp']}" if p["kpp"] else ""
        requisites = (
            f"ИНН {p['inn']}{kpp}, р/с {p['account']}, {p['bank']}, БИК {p['bic']}, к/с {p['corr']}"
        )
        cy += canvas.paragraph(cx, cy, requisites, inner, size=5.4) + 2
        rows = [
            [Cell("Долг (−аванс) на начало месяца"), Cell(p["opening"], "r")],
            [Cell("Начислено за месяц"), Cell(p["charged"], "r")],
        ]
        if p["penalties"] != "0,00":
            rows.append([Cell("Пени"), Cell(p["penalties"], "r")])
        rows += [
            [Cell("Оплачено в месяце"), Cell(p["paid"], "r")],
            [Cell("Последняя оплата"), Cell(p["last_payment"], "r")],
        ]
        widths = column_widths(rows, (True, False), inner, BASE, 0.0)
        cy += table(canvas, cx, cy, widths, rows, inset_x=0.0, inset_y=0.7, ruled=False)
        total = [[Cell("Итого к оплате", bold=True), Cell(p["due"], "r", bold=True)]]
        widths = column_widths(total, (True, False), inner, 7.4, 0.0)
        cy += table(canvas, cx, cy, widths, total, size=7.4, inset_x=0.0, inset_y=0.7, ruled=False)
        qx = x + width - 2 - qr_size
        if payload:
            name = f"Q{index}"
            xobjects[name] = _qr_image(pdf, payload)
            canvas.image(name, qx, y + 2, qr_size, qr_size)
        else:
            advance = f": аванс {p['advance']} ₽" if p["advance"] else ""
            lines = wrap(f"Оплата не требуется{advance}", False, 5.5, qr_size)
            top = y + 2 + (qr_size - text_height(len(lines), 5.5)) / 2
            for k, line in enumerate(lines):
                canvas.show(qx, top + k * PITCH * 5.5, line, size=5.5, align="c", width=qr_size)
        return max(cy - y, qr_size + 2) + 2

    @staticmethod
    def _notice(text: str, accent: str) -> Any:
        def draw(canvas: Canvas, _xobjects: dict[str, int]) -> float:
            y = heading_bar(canvas, 0.0, "Уведомление", accent)
            return y + canvas.paragraph(MARGIN_X, y, text, CONTENT_W, size=5.8)

        return draw

    @staticmethod
    def _explanations(canvas: Canvas, y: float, bottom: float, lines: list[dict[str, str]]) -> None:
        """«Как рассчитано»: a bullet per service, as many lines as fit above ``bottom``."""
        size = 5.6
        regular, bold = fonts()
        indent = regular.width("• ", size)
        width = CONTENT_W - indent
        step = PITCH * size
        for line in lines:
            if not line["how"]:
                continue
            head = f"{line['service']}:"
            head_w = bold.width(head + " ", size)
            if y + text_height(1, size) > bottom:
                return
            canvas.show(MARGIN_X, y, "•", size=size)
            if head_w > width / 2:  # a long service name takes a line of its own
                for text in wrap(head, True, size, width):
                    if y + text_height(1, size) > bottom:
                        return
                    canvas.show(MARGIN_X + indent, y, text, bold=True, size=size)
                    y += step
                tail = wrap(line["how"], False, size, width)
            else:
                rest = wrap(line["how"], False, size, width - head_w)
                first, more = rest[0], rest[1:]
                # the continuation lines run the full width
                tail = wrap(" ".join(more), False, size, width) if more else ()
                canvas.show(MARGIN_X + indent, y, head, bold=True, size=size)
                canvas.show(MARGIN_X + indent + head_w, y, first, size=size)
                y += step
            for text in tail:
                if y + text_height(1, size) > bottom:
                    return
                canvas.show(MARGIN_X + indent, y, text, size=size)
                y += step
            y += 0.3 * size


__all__ = ["DirectWriter", "LayoutError", "fonts", "wrap"]
