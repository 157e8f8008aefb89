"""Benchmark: PDF engines for a one-page ЕПД (ADR 0007). Not a test.

    .venv/bin/python bench/pdf_engines.py [--documents 200]
    (ReportLab is measured when installed: .venv/bin/pip install reportlab)

The same synthetic page for each engine: a header of six Cyrillic lines, a payee block with
requisites and a QR code (ГОСТ Р 56042 payload, level M, a 1-bit PNG), a 12-row table of
ten columns, six lines of notes. Each document has its own account number, payer, amounts
and QR code. Measured in one process on this machine, documents per second:

- typst, one compile per document (a fresh page each time);
- typst, all documents in one compile (batched);
- fpdf2, one PDF per document (DejaVu fonts, subset per file);
- ReportLab platypus, one PDF per document (DejaVu registered once).

The last line is ``RESULT typst_separate=… typst_batched=… fpdf2=… reportlab=…``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

FONTS = ROOT / "src" / "raschet" / "payments" / "fonts"


def synthetic(i: int) -> dict[str, Any]:
    rows = [
        [f"Услуга № {k + 1} (холодная вода)", "м³", f"{3 + k},215", "", f"{40 + k},67",
         f"{1000 + 17 * k + i % 7},56", "", "-12,30" if k == 3 else "", "", "",
         f"{1000 + 17 * k + i % 7},56"]
        for k in range(12)
    ]  # fmt: skip
    payload = (
        "ST00012|Name=ООО «УК Пример»|PersonalAcc=40702810938000000001|BankName=ПАО СБЕРБАНК|"
        f"BIC=044525225|CorrespAcc=30101810400000000225|PayeeINN=7701000001|KPP=770101001|"
        f"Sum={1234567 + i}|Purpose=Оплата ЖКУ за январь 2026, л/с {1000000 + i}|"
        f"PersAcc={1000000 + i}|PaymPeriod=012026|LastName=Иванов|"
        "PayerAddress=г. Москва, ул. Ленина, д. 1, кв. 2|TechCode=02"
    )
    return {
        "header": [
            "ЕДИНЫЙ ПЛАТЁЖНЫЙ ДОКУМЕНТ за январь 2026",
            f"Плательщик: Иванов Иван Иванович {i}",
            f"Лицевой счёт: {1000000 + i}",
            "Адрес: г. Москва, ул. Ленина, д. 1, кв. 2",
            "Площадь 54,30 м², проживает 3 чел.",
            "УК «Пример», тел. +7 (495) 000-00-00",
        ],
        "payee": "ООО «УК Пример», ИНН 7701000001, р/с 40702810938000000001, БИК 044525225",
        "due": f"{12345 + i},67",
        "rows": rows,
        "notes": [f"Примечание {k}: показания передавайте до 25 числа месяца." for k in range(6)],
        "qr": payload,
    }


TYPST = r"""
#let data = json(bytes(sys.inputs.data))
#set page(paper: "a4", margin: 10mm)
#set text(font: "DejaVu Sans", size: 7pt, lang: "ru")
#for (n, d) in data.docs.enumerate() {
  if n > 0 { pagebreak() }
  for h in d.header [#h \ ]
  grid(columns: (1fr, 22mm), [#d.payee \ *К оплате: #d.due ₽*],
       image(d.qrfile, width: 22mm, scaling: "pixelated"))
  table(columns: 11, ..d.rows.flatten())
  for x in d.notes [- #x]
}
"""


def bench_typst(docs: list[dict[str, Any]], folder: Path) -> tuple[float, float]:
    import typst

    from raschet.documents.render import qr_png, typst_cache_evictor

    (folder / "main.typ").write_text(TYPST, encoding="utf-8")
    compiler = typst.Compiler(str(folder / "main.typ"), root=str(folder),
                              font_paths=[str(FONTS)], ignore_system_fonts=True)  # fmt: skip
    evict = typst_cache_evictor()
    now = datetime.now(UTC).replace(microsecond=0)

    def prepare(d: dict[str, Any]) -> dict[str, Any]:
        name = f"qr-{d['header'][2][-7:]}.png"
        (folder / name).write_bytes(qr_png(d["qr"]))
        return {**d, "qrfile": "/" + name}

    start = time.perf_counter()
    for d in docs:
        data = json.dumps({"docs": [prepare(d)]}, ensure_ascii=False)
        compiler.compile(format="pdf", sys_inputs={"data": data}, timestamp=now)
        if evict:
            evict(0)
    separate = len(docs) / (time.perf_counter() - start)
    start = time.perf_counter()
    data = json.dumps({"docs": [prepare(d) for d in docs]}, ensure_ascii=False)
    compiler.compile(format="pdf", sys_inputs={"data": data}, timestamp=now)
    batched = len(docs) / (time.perf_counter() - start)
    return separate, batched


def bench_fpdf2(docs: list[dict[str, Any]]) -> float:
    from fpdf import FPDF

    from raschet.documents.render import qr_png

    start = time.perf_counter()
    for d in docs:
        pdf = FPDF(format="A4")
        pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_page()
        pdf.set_font("DejaVu", size=7)
        for h in d["header"]:
            pdf.cell(0, 4, h, new_x="LMARGIN", new_y="NEXT")
        pdf.cell(150, 4, d["payee"])
        pdf.image(io.BytesIO(qr_png(d["qr"])), w=22)
        pdf.cell(0, 4, f"К оплате: {d['due']} ₽", new_x="LMARGIN", new_y="NEXT")
        for row in d["rows"]:
            for k, value in enumerate(row):
                pdf.cell(45 if k == 0 else 14.5, 4, value, border=1)
            pdf.ln(4)
        for x in d["notes"]:
            pdf.cell(0, 4, x, new_x="LMARGIN", new_y="NEXT")
        pdf.output()
    return len(docs) / (time.perf_counter() - start)


def bench_reportlab(docs: list[dict[str, Any]]) -> float | None:
    try:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Table
    except ImportError:
        return None
    from raschet.documents.render import qr_png

    pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
    style = ParagraphStyle("p", fontName="DejaVu", fontSize=7, leading=9)
    start = time.perf_counter()
    for d in docs:
        out = io.BytesIO()
        story: list[Any] = [Paragraph(h, style) for h in d["header"]]
        story.append(Table([[Paragraph(d["payee"], style),
                             Image(io.BytesIO(qr_png(d["qr"])), 22 * mm, 22 * mm)]]))  # fmt: skip
        table = Table([[Paragraph(v, style) for v in row] for row in d["rows"]])
        story += [table, *[Paragraph(x, style) for x in d["notes"]]]
        SimpleDocTemplate(out, pagesize=A4).build(story)
    return len(docs) / (time.perf_counter() - start)


def main() -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args()
    docs = [synthetic(i) for i in range(args.documents)]
    with tempfile.TemporaryDirectory() as folder:
        separate, batched = bench_typst(docs, Path(folder))
    fpdf2 = bench_fpdf2(docs)
    reportlab = bench_reportlab(docs)
    print(f"typst separate {separate:.1f}/s, typst batched {batched:.1f}/s, "
          f"fpdf2 {fpdf2:.1f}/s, reportlab "
          f"{'not installed' if reportlab is None else f'{reportlab:.1f}/s'}")  # fmt: skip
    print(f"RESULT typst_separate={separate:.1f} typst_batched={batched:.1f} fpdf2={fpdf2:.1f} "
          f"reportlab={reportlab or 0:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
