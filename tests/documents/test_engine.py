"""The typst binding's memo cache must be evictable (ADR 0007): without it a printing process
grows by megabytes per page. These tests fail when an upgrade of typst loses the symbol."""

from __future__ import annotations

import sys

import pytest

from raschet.documents.render import _EVICT_SUFFIX, _elf_symbol, qr_matrix, typst_cache_evictor


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF symbol lookup: Linux only")
def test_the_typst_memo_cache_evictor_is_found_and_callable():
    import typst

    evict = typst_cache_evictor()
    assert evict is not None
    evict(0)
    # typst still compiles after its cache was emptied
    pdf = typst.compile('#set text(lang: "ru")\nПривет'.encode(), format="pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    evict(0)


def test_elf_symbol_lookup_refuses_a_file_that_is_not_elf(tmp_path):
    not_elf = tmp_path / "x.so"
    not_elf.write_bytes(b"MZ\x90\x00 not an ELF file at all")
    assert _elf_symbol(str(not_elf), _EVICT_SUFFIX) is None


def test_elf_symbol_lookup_misses_an_absent_name():
    import typst

    assert _elf_symbol(typst._typst.__file__, b"no_such_symbol_anywhere_42") is None


def test_qr_matrix_has_a_quiet_zone_and_finder_patterns():
    m = qr_matrix("ST00012|Name=X|PersonalAcc=40702810938000000001|BankName=Б|BIC=044525225|"
                  "CorrespAcc=30101810400000000225")  # fmt: skip
    assert m.shape[0] == m.shape[1]
    assert not m[0].any() and not m[:, 0].any()  # the light border
    # a finder pattern's dark 7-module ring starts inside the border
    border = next(i for i in range(m.shape[0]) if m[i, i])
    assert m[border, border : border + 7].all()


def test_qr_codes_are_not_files_typst_would_number(tmp_path):
    """typst gives each file it reads a 16-bit id for the life of the process: QR codes go
    in as bytes, so a printing process never runs out of ids (it did at ~32,000 pages)."""
    from raschet.documents.assemble import Epd, PayeeQr
    from raschet.documents.render import Renderer

    payload = (
        "ST00012|Name=X|PersonalAcc=40702810938000000001|BankName=Б|BIC=044525225|"
        "CorrespAcc=30101810400000000225|Sum=100"
    )
    doc = Epd(
        account_id=1, account_number="1", building_id=1, premises_number="1", email="",
        paperless=False, amount_due=100,
        content={"payees": [{"due": "1,00"}], "brand": {"logo": ""}},
        qr=[PayeeQr(1, payload)],
    )  # fmt: skip
    with Renderer() as renderer:
        data = renderer.page_data(doc)
        files = sorted(p.name for p in renderer._root.rglob("*") if p.is_file())
    qr = data["payees"][0]["qr"]
    assert bytes(qr).startswith(b"\x89PNG")
    assert files == ["epd.typ"]
