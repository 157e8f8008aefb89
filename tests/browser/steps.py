"""Steps of a resident's visit to the portal, as a phone browser shows it.

Each step is a small function of the browser (`Portal`) and the household's data
(`Household`): it starts from a page it opens itself (the account overview is the hub), acts
as a resident does — links, labels, buttons — and asserts what the resident SEES. Every page
shown is checked for horizontal scrolling at phone width and photographed (`Portal.seen`).
A new step (say, filing an appeal) is one more function here and one more line in the
scenario test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from raschet.core.money import format_rubles

OVERFLOW_JS = """(width) => {
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5 && !e.closest('.scroll'))
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
               + (e.className && typeof e.className === 'string' ? '.' + e.className : ''));
  return {scroll: document.documentElement.scrollWidth,
          layout: document.documentElement.clientWidth, wide: wide.slice(0, 10)};
}"""
"""The page's width against the phone's. Not ``window.innerWidth``: a mobile browser zooms
out a page wider than the screen, and innerWidth grows with it."""


@dataclass
class Portal:
    """The resident's phone browser on the live server."""

    page: Page
    base_url: str
    shots: Path
    step: int = 0
    visited: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # requests aborted: not the live server

    def go(self, path: str) -> None:
        self.page.goto(path)

    def shot(self, name: str) -> Path:
        """A full-page screenshot ``NN-name.png`` in the test's artifacts directory."""
        self.step += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self.step:02d}-{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def seen(self, name: str) -> None:
        """The page as shown now: laid out at the phone's width (the viewport meta) and not
        scrolling sideways; photographed."""
        self.page.wait_for_load_state()
        self.visited.append(self.page.url)
        phone = (self.page.viewport_size or {"width": 0})["width"]
        measure: dict[str, Any] = self.page.evaluate(OVERFLOW_JS, phone)
        self.shot(name)
        assert measure["layout"] == phone, (
            f"{self.page.url} is laid out {measure['layout']} px wide, not at the phone's "
            f"{phone} px: is the viewport meta missing?"
        )
        assert measure["scroll"] <= phone, (
            f"{self.page.url} scrolls sideways at {phone} px "
            f"(content {measure['scroll']} px wide): {measure['wide']}"
        )
        assert measure["wide"] == [], (
            f"{self.page.url}: these stick out of the {phone} px screen (a section scrolls "
            f"sideways): {measure['wide']}"
        )

    def main(self) -> Locator:
        return self.page.locator("main")


def rubles(kopecks: int) -> str:
    """An amount as the portal prints it (``1 500,00``, a no-break space between thousands)."""
    return format_rubles(kopecks)


@dataclass
class Household:
    """What the scenario needs to know of the account it visits (built by the fixture)."""

    account_id: int
    number: str
    address: str
    premises: str
    access_code: str
    manager: str
    email: str
    password: str
    billed: date  # the closed month with posted charges
    balances: list[tuple[str, str, int]]  # (service, payee, kopecks) as the ledger has them
    charges: list[tuple[str, int, str]]  # (service, kopecks, derivation) of `billed`
    meter: str  # "<service> № <serial>"
    meter_last: Decimal
    meter_last_on: date
    reading_month: date  # the billing month a reading sent today counts for

    @property
    def debt(self) -> int:
        return sum(kopecks for _s, _p, kopecks in self.balances)

    @property
    def account_url(self) -> str:
        return f"/portal/accounts/{self.account_id}/"


# --- steps ------------------------------------------------------------------------------------


def sign_up(ui: Portal, home: Household) -> None:
    """A new resident signs up with an e-mail and a password; a mistyped confirmation is
    refused first."""
    ui.go("/portal/")
    expect(ui.page.locator("h1")).to_have_text("Личный кабинет жильца")
    ui.seen("portal")
    ui.main().get_by_role("link", name="Зарегистрироваться").click()
    expect(ui.page.locator("h1")).to_have_text("Зарегистрироваться")
    form = ui.page.locator("form#signup")
    form.get_by_label("Электронная почта").fill(home.email)
    form.get_by_label("Пароль", exact=True).fill(home.password)
    form.get_by_label("Подтверждение пароля").fill(home.password + "x")
    form.get_by_role("button", name="Зарегистрироваться").click()
    expect(form.locator(".error")).to_have_text("Пароли не совпадают.")
    ui.seen("signup-refused")
    form.get_by_label("Пароль", exact=True).fill(home.password)
    form.get_by_label("Подтверждение пароля").fill(home.password)
    ui.seen("signup")
    form.get_by_role("button", name="Зарегистрироваться").click()
    expect(ui.page.locator("h1")).to_have_text("Привязать лицевой счёт")


def link_account(ui: Portal, home: Household) -> None:
    """The resident links the account by its number and the access code of the payment
    document; a wrong code is refused with the reason."""
    ui.go("/portal/link/")
    form = ui.page.locator("form#link")
    form.get_by_label("Номер лицевого счёта").fill(home.number)
    wrong = "".join(reversed(home.access_code))
    form.get_by_label("Код доступа").fill(wrong if wrong != home.access_code else "ABCDEFGH")
    form.get_by_role("button", name="Привязать").click()
    expect(ui.page.locator("#form-errors")).to_contain_text(
        "Неверный номер лицевого счёта или код доступа"
    )
    ui.seen("link-refused")
    form.get_by_label("Код доступа").fill(home.access_code.lower())  # as typed on a phone
    ui.seen("link")
    form.get_by_role("button", name="Привязать").click()
    expect(ui.page.locator("h1")).to_have_text(f"Лицевой счёт {home.number}")
    ui.go("/portal/")
    expect(ui.page.locator("#accounts")).to_contain_text(home.number)
    expect(ui.page.locator("#accounts")).to_contain_text(home.address)
    ui.seen("my-accounts")


def overview(ui: Portal, home: Household) -> None:
    """The overview shows the balance per service and payee and the month's charges."""
    ui.go(home.account_url)
    expect(ui.page.locator("h1")).to_have_text(f"Лицевой счёт {home.number}")
    expect(ui.main()).to_contain_text(f"{home.address}, {home.premises}")
    rows = ui.page.locator("#balances tbody tr")
    expect(rows).to_have_count(len(home.balances))
    for service, payee, kopecks in home.balances:
        row = rows.filter(has_text=service)
        expect(row).to_contain_text(payee)
        expect(row.locator("td.num")).to_have_text(f"{rubles(abs(kopecks))} долг")
    expect(ui.page.locator("#balance-total")).to_have_text(f"{rubles(home.debt)} долг")
    charges = ui.page.locator("#charges")
    expect(charges.locator("h2")).to_have_text(f"Начисления {home.billed:%m.%Y}")
    lines = charges.locator("ul.lines > li:not(.total)")
    expect(lines).to_have_count(len(home.charges))
    for service, kopecks, _derivation in home.charges:
        expect(lines.filter(has_text=service)).to_contain_text(f"{rubles(kopecks)} ₽")
    total = sum(kopecks for _s, kopecks, _d in home.charges)
    expect(ui.page.locator("#charges-total")).to_have_text(f"{rubles(total)} ₽")
    expect(ui.page.locator("#payments p")).to_have_text("Платежей пока нет.")
    ui.seen("overview")


def derivation(ui: Portal, home: Household) -> None:
    """«Как рассчитано» of each charge line opens its derivation."""
    ui.go(home.account_url)
    lines = ui.page.locator("#charges ul.lines > li:not(.total)")
    for service, _kopecks, text in home.charges:
        line = lines.filter(has_text=service)
        explanation = line.locator("details pre")
        expect(explanation).to_be_hidden()
        line.get_by_text("Как рассчитано").click()
        expect(explanation).to_be_visible()
        expect(explanation).to_have_text(text)
    ui.seen("derivation")


def meter_reading(ui: Portal, home: Household, bad: str, good: str) -> None:
    """A reading lower than the last one is refused with the metering rule's message and what
    was typed is kept; a good one is accepted and becomes the last reading."""
    ui.go(home.account_url)
    ui.page.get_by_role("link", name="Показания приборов учёта").click()
    expect(ui.page.locator("h1")).to_have_text("Показания приборов учёта")
    expect(ui.page.locator("#window")).to_contain_text(
        f"Показания учитываются в расчётном месяце {home.reading_month:%m.%Y}"
    )
    card = ui.page.locator("section.meter").filter(has_text=home.meter)
    expect(card.locator("table.last")).to_contain_text(f"{home.meter_last_on:%d.%m.%Y}")
    ui.seen("readings")
    field = card.get_by_label("Текущее показание")
    field.fill(bad)
    card.get_by_role("button", name="Передать показание").click()
    card = ui.page.locator("section.meter").filter(has_text=home.meter)
    last = f"{home.meter_last:.3f}".replace(".", ",")
    typed = f"{Decimal(bad.replace(',', '.')):.3f}".replace(".", ",")
    expect(card.locator(".errors")).to_have_text(
        f"Показание {typed} меньше предыдущего {last} от {home.meter_last_on:%d.%m.%Y}"
    )
    expect(card.get_by_label("Текущее показание")).to_have_value(bad)
    ui.seen("reading-refused")
    card.get_by_label("Текущее показание").fill(good)
    card.get_by_role("button", name="Передать показание").click()
    expect(ui.page.locator("#notices")).to_have_text(f"{home.meter}: Принято")
    card = ui.page.locator("section.meter").filter(has_text=home.meter)
    value = f"{Decimal(good.replace(',', '.')):.3f}".replace(".", ",")
    expect(card.locator("table.last tbody")).to_contain_text(value)
    expect(card.locator(".errors")).to_have_count(0)
    ui.seen("reading-accepted")


def pay(ui: Portal, home: Household, kopecks: int) -> None:
    """The resident pays part of the debt through the sandbox payment page and comes back."""
    ui.go(home.account_url)
    ui.page.get_by_role("link", name="Оплатить онлайн").click()
    expect(ui.page.locator("#debt")).to_have_text(f"Задолженность: {rubles(home.debt)} ₽")
    form = ui.page.locator("#pay-form")
    expect(form.get_by_label("Вся задолженность")).to_be_checked()
    amount = form.get_by_label("Сумма, ₽", exact=True)
    expect(amount).to_have_value(format_rubles(home.debt, thousands=""))
    amount.fill(format_rubles(kopecks, thousands=""))
    ui.seen("pay")
    form.get_by_role("button", name="Перейти к оплате").click()
    expect(ui.page.locator("h1")).to_have_text("Тестовая страница оплаты")
    expect(ui.page.locator("#order-amount")).to_have_text(f"{rubles(kopecks)} ₽")
    expect(ui.page.locator("#sandbox")).to_contain_text(f"Лицевой счёт {home.number}")
    ui.seen("sandbox")
    ui.page.get_by_role("button", name="Оплатить").click()
    result = ui.page.locator("#payment-result")
    expect(result).to_contain_text(f"Платёж на {rubles(kopecks)} ₽ получен. Спасибо!")
    ui.seen("payment-result")
    result.get_by_role("link", name="К лицевому счёту").click()
    expect(ui.page.locator("h1")).to_have_text(f"Лицевой счёт {home.number}")


def payment_shown(ui: Portal, home: Household, kopecks: int, paid_on: date) -> None:
    """The payment is in the account's payment history and the debt is less by it."""
    ui.go(home.account_url)
    rows = ui.page.locator("#payments tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(0)).to_have_text(f"{paid_on:%d.%m.%Y}")
    expect(rows.first.locator("td.num")).to_have_text(rubles(kopecks))
    expect(ui.page.locator("#balance-total")).to_have_text(f"{rubles(home.debt - kopecks)} долг")
    ui.seen("payment-history")


def download_document(ui: Portal, home: Household) -> bytes:
    """The payment document of the billed month downloads as a PDF of this account."""
    ui.go(home.account_url)
    ui.page.get_by_role("link", name="Платёжные документы").click()
    expect(ui.page.locator("h1")).to_have_text("Платёжные документы")
    row = ui.page.locator(f"#document-{home.billed:%Y-%m}")
    expect(row).to_contain_text(f"{home.billed:%m.%Y}")
    expect(row).to_contain_text("ещё не напечатан")
    ui.seen("documents")
    with ui.page.expect_download() as info:
        row.get_by_role("link", name="Скачать PDF").click()
    download = info.value
    assert download.suggested_filename == f"epd-{home.billed:%Y-%m}-{home.number}.pdf"
    saved = ui.shots / download.suggested_filename
    download.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert home.number in text
    ui.page.reload()
    expect(ui.page.locator(f"#document-{home.billed:%Y-%m}")).not_to_contain_text(
        "ещё не напечатан"
    )
    ui.seen("documents-printed")
    return pdf


def building(ui: Portal, home: Household) -> None:
    """The building page opens with the managing organization and the building's address."""
    ui.go(home.account_url)
    ui.page.get_by_role("link", name="Мой дом").click()
    expect(ui.page.locator("h1")).to_have_text("Мой дом")
    expect(ui.main()).to_contain_text(home.address)
    expect(ui.page.locator("#manager")).to_contain_text(home.manager)
    expect(ui.page.locator("#manager")).to_contain_text("Управляющая организация")
    ui.seen("building")


#: A photo as a phone sends it (the signature is what the portal checks).
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 256


def file_appeal(ui: Portal, home: Household, started: str, ended: str) -> str:
    """The resident reports a cold-water interruption with a photo: choosing the category
    swaps the report's fields in (HTMX), the appeal is registered with its deadline, and its
    page shows the draft act awaiting an operator. Returns the appeal's number."""
    ui.go(home.account_url)
    ui.page.get_by_role("link", name="Обращения").click()
    expect(ui.page.locator("h1")).to_have_text("Обращения")
    ui.page.get_by_role("link", name="Новое обращение").click()
    expect(ui.page.locator("h1")).to_have_text("Новое обращение")
    ui.page.wait_for_load_state("load")  # HTMX (a deferred script) is ready
    form = ui.page.locator("#appeal-form")
    expect(form.locator("#quality-fields")).to_be_hidden()
    form.get_by_label("Категория").select_option(
        label="Ненадлежащее качество или отсутствие услуги"
    )
    expect(form.get_by_label("Услуга")).to_be_visible()  # swapped in by HTMX
    form.get_by_label("Услуга").select_option(label="Холодное водоснабжение")
    form.get_by_label("Вид нарушения").select_option(label="Перерыв в предоставлении услуги")
    form.get_by_label("С", exact=True).fill(started)
    form.get_by_label("По", exact=True).fill(ended)
    form.get_by_label("Тема").fill("Нет холодной воды")
    form.get_by_label("Текст").fill("Воды не было весь день, аварийная служба не ответила.")
    form.get_by_label("Файлы").set_input_files(
        files=[{"name": "кран.png", "mimeType": "image/png", "buffer": PHOTO}]
    )
    ui.seen("appeal-form")
    form.get_by_role("button", name="Отправить").click()
    notice = ui.page.locator("#notices")
    expect(notice).to_contain_text("зарегистрировано. Срок ответа — до")
    number = ui.page.locator("h1").inner_text().removeprefix("Обращение № ").strip()
    expect(ui.page.locator("#appeal-state")).to_have_text("Принято")
    expect(ui.main()).to_contain_text("кран.png")
    expect(ui.page.locator("#acts")).to_contain_text("Холодное водоснабжение")
    expect(ui.page.locator("#acts")).to_contain_text("Проект")
    expect(ui.page.locator("#history")).to_contain_text("Обращение принято")
    ui.seen("appeal")
    ui.page.get_by_role("link", name="← Обращения").click()
    expect(ui.page.locator("#appeals")).to_contain_text(f"№ {number} · Нет холодной воды")
    ui.seen("appeals")
    return number
