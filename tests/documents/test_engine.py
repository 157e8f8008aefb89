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
