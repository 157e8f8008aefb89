"""Sberbank-style registry files for tests (layout ``sberbank``: cp1251, «;», trailer «=»)."""

from __future__ import annotations

from datetime import date


def sber_line(
    op: str, account: str, kopecks: int, *, day: date = date(2025, 3, 5), period: str = "022025"
) -> str:
    rubles = f"{kopecks // 100}.{kopecks % 100:02d}"
    return (
        f"{day:%d-%m-%Y};10-22-01;8610;8610/0123;77;{op};{account};ИВАНОВ ИВАН ИВАНОВИЧ;"
        f"г. Тверь, ул. Советская, д. 1, кв. 2;{period};{rubles};{rubles};0.00"
    )


def sber_file(
    lines: list[tuple[str, str, int]], *, count: int | None = None, total: int | None = None, **kw
) -> bytes:
    body = [sber_line(op, account, kopecks, **kw) for op, account, kopecks in lines]
    n = len(lines) if count is None else count
    s = sum(k for _, _, k in lines) if total is None else total
    trailer = f"={n};{s // 100}.{s % 100:02d};{s // 100}.{s % 100:02d};0.00;457;06-03-2025"
    return ("\r\n".join([*body, trailer]) + "\r\n").encode("cp1251")
