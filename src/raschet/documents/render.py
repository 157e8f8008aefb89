"""Typeset payment documents into PDF with typst (ADR 0007).

One `Renderer` per process keeps a typst compiler with the fonts loaded once and a private
folder for the QR images. `Renderer.render` turns a list of documents into one PDF (a
page each): a single account's document, or a building's bundle in one compile — batching
is where typst's speed comes from (docs/benchmarks.md).

The QR code is a 1-bit PNG (a few hundred bytes) drawn without smoothing, error correction
level M, the payload in UTF-8 (rules.md §6); `raschet.core.qrcode` encodes it.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import shutil
import struct
import sys
import tempfile
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import typst

from raschet.core import qrcode
from raschet.core.qr import QR_ENCODINGS, qr_encoding

if TYPE_CHECKING:  # no Django here: bench/pdf_engines.py imports this module bare
    from .assemble import Epd

TEMPLATE = Path(__file__).parent / "typst" / "epd.typ"
FONTS = Path(__file__).resolve().parent.parent / "payments" / "fonts"


class RenderError(RuntimeError):
    """typst refused the document: the message carries typst's own diagnostic."""


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def qr_matrix(payload: str) -> np.ndarray:
    """The QR symbol of ``payload`` (byte mode, level M, quiet zone included): True where
    dark. `raschet.core.qrcode` encodes it (~0.1 ms; zxing-cpp's encoder took ~1.7 ms, the
    largest part of a bundled page — ADR 0009)."""
    data = payload.encode(qr_encoding(payload) if payload.startswith("ST0001") else "utf-8")
    return qrcode.qr_matrix(data, ec_level="M")


def qr_png(payload: str) -> bytes:
    """A 1-bit greyscale PNG of the QR code, one pixel per module."""
    light = ~qr_matrix(payload)
    height, width = light.shape
    rows = np.packbits(light, axis=1)
    raw = np.hstack([np.zeros((height, 1), np.uint8), rows]).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )


_EVICT_SUFFIX = b"6comemo7memoize5evict"  # Rust v0 mangling of comemo::memoize::evict


def _elf_symbol(path: str, suffix: bytes) -> int | None:
    """The address (relative to the load base) of the first symbol of a 64-bit little-endian
    ELF file's symbol table whose name ends with ``suffix``; None when there is none."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    for section in sections:
        if section[1] != 2:  # SHT_SYMTAB
            continue
        strings = sections[section[6]][4]
        for k in range(section[5] // 24):
            name, _info, _other, _index, value, _size = struct.unpack_from(
                "<IBBHQQ", data, section[4] + k * 24
            )
            start = strings + name
            end = data.index(b"\0", start)
            if value and data[start:end].endswith(suffix):
                return int(value)
    return None


@cache
def typst_cache_evictor() -> Callable[[int], None] | None:
    """typst's ``comemo::evict``, or None where it cannot be found.

    typst memoizes layout in a process-wide cache (comemo) that its command-line tool evicts
    after every compile; the Python binding never does, so a process printing thousands of
    distinct pages grows by megabytes a page (measured: +350 MB per 100 documents). The
    function is not exported, so it is found in the binding's ELF symbol table and called
    through ctypes with ``max_age=0`` after each compile (ADR 0007). A test fails when an
    upgrade of typst loses it.
    """
    if not sys.platform.startswith("linux"):
        return None
    binary = typst._typst.__file__  # type: ignore[attr-defined]
    offset = _elf_symbol(binary, _EVICT_SUFFIX)
    if offset is None:
        return None
    with open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == binary and int(fields[2], 16) == 0:
                base = int(fields[0].split("-")[0], 16)
                function = ctypes.CFUNCTYPE(None, ctypes.c_size_t)(base + offset)
                return lambda max_age: function(max_age)
    return None


class Renderer:
    """A typst compiler for ЕПД pages; close it (or use ``with``) to remove its files."""

    def __init__(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="raschet-epd-"))
        (self._root / "logo").mkdir()
        shutil.copy(TEMPLATE, self._root / "epd.typ")
        self._compiler = typst.Compiler(
            str(self._root / "epd.typ"),
            root=str(self._root),
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,
        )
        self._logos: dict[str, str] = {}

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)

    def logo(self, source: Path) -> str:
        """Copy a logo into the compiler's folder once; returns the path for the template,
        or "" when typst cannot read the picture (a broken upload must not stop printing)."""
        key = str(source)
        if key not in self._logos:
            data = source.read_bytes()
            name = f"logo/{hashlib.sha1(data).hexdigest()}{source.suffix.lower()}"  # noqa: S324
            (self._root / name).write_bytes(data)
            probe = self._root / "logo-probe.typ"
            probe.write_text(f'#image("/{name}", height: 1cm)', encoding="utf-8")
            try:
                typst.compile(str(probe), root=str(self._root), format="pdf")
            except typst.TypstError:
                self._logos[key] = ""
            else:
                self._logos[key] = "/" + name
        return self._logos[key]

    def page_data(self, doc: Epd) -> dict[str, Any]:
        """The document's content with its QR codes as PNG bytes (a list of byte values the
        template turns into an image). Not files: typst numbers every file it reads with a
        16-bit id for the life of the process, and a printing process reads more than 65,535
        QR codes (it panicked with "out of file ids" at about 32,000 documents)."""
        content = dict(doc.content)
        payees = [dict(p) for p in content["payees"]]
        for block, qr in zip(payees, doc.qr, strict=True):
            block["qr"] = list(qr_png(qr.payload)) if qr.payload else ""
        content["payees"] = payees
        logo = content["brand"].get("logo")
        if logo:
            content["brand"] = {**content["brand"], "logo": self.logo(Path(logo))}
        return content

    def render(self, docs: Sequence[Epd], *, timestamp: datetime) -> bytes:
        """One PDF, a page per document, in the given order."""
        data = json.dumps(
            {"docs": [self.page_data(d) for d in docs]}, ensure_ascii=False, separators=(",", ":")
        )
        try:
            pdf = self._compiler.compile(
                format="pdf",
                sys_inputs={"data": data},
                timestamp=timestamp.replace(microsecond=0),
                pdf_tags=False,
            )
        except typst.TypstError as exc:  # pragma: no cover - a template bug, not user input
            raise RenderError(f"Ошибка вёрстки ЕПД: {exc.message}\n{exc.diagnostic}") from exc
        finally:
            evict = typst_cache_evictor()
            if evict is not None:
                evict(0)
        assert isinstance(pdf, bytes)  # noqa: S101 - typst returns bytes for a PDF
        return pdf


__all__ = ["QR_ENCODINGS", "RenderError", "Renderer", "qr_matrix", "qr_png"]
