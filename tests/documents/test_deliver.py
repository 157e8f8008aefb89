"""`documents_deliver`: the archived ЕПД e-mailed through a real (local) SMTP server to the
accounts that chose paper-free delivery; once per document, a refused send retried."""

from __future__ import annotations

import re
import socket
from email.header import decode_header, make_header
from email.message import Message

import pytest

from raschet.documents.models import DeliveryState, DocumentDelivery, PaymentDocument
from raschet.documents.services import documents_deliver, documents_print
from raschet.housing.models import Account
from tests.documents.conftest import FEB, kopecks, page_texts, pdf_pages

pytestmark = pytest.mark.django_db


def header(message: Message, name: str) -> str:
    return str(make_header(decode_header(message[name])))


def attachments(message: Message) -> list[tuple[str, bytes]]:
    return [
        (part.get_filename() or "", part.get_payload(decode=True))
        for part in message.walk()
        if part.get_content_type() == "application/pdf"
    ]


def body(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def test_paperless_accounts_get_their_document_once(town, smtp, tmp_path):
    # flat 1 chose e-mail before printing (its own PDF); flat 2 after (its page of the bundle)
    Account.objects.filter(pk=town.flat1.pk).update(paperless=True, email="one@example.org")
    documents_print(organization=town.org, period=FEB, out_dir=tmp_path / "out", bundle=True)
    Account.objects.filter(pk=town.flat2.pk).update(paperless=True, email="two@example.org")
    Account.objects.filter(pk=town.flat10.pk).update(paperless=True)  # no address: no mail

    assert documents_deliver(organization=town.org, period=FEB) == (2, 0)
    by_address = {m["To"]: m for m in smtp.messages}
    assert set(by_address) == {"one@example.org", "two@example.org"}
    for address, account in (("one@example.org", town.flat1), ("two@example.org", town.flat2)):
        message = by_address[address]
        subject = header(message, "Subject")
        assert "ЕПД" in subject and account.number in subject
        [(name, pdf)] = attachments(message)
        assert name == f"epd-2025-02-{account.number}.pdf"
        assert pdf.startswith(b"%PDF-")
        assert pdf_pages(pdf) == 1
        [text] = page_texts(pdf, tmp_path)
        assert f"Лицевой счёт: {account.number}" in text
        document = PaymentDocument.objects.get(account=account.pk)
        due = re.search(r"К оплате: (\d[\d\s]*,\d\d) ₽", body(message))
        assert due, body(message)
        assert kopecks(due.group(1)) == document.amount_due
        delivery = DocumentDelivery.objects.get(document=document)
        assert (delivery.state, delivery.address, delivery.error) == (
            DeliveryState.SENT,
            address,
            "",
        )

    assert documents_deliver(organization=town.org, period=FEB) == (0, 0)
    assert len(smtp.messages) == 2
    assert DocumentDelivery.objects.count() == 2


def test_a_refused_message_is_recorded_and_sent_next_time(town, smtp, tmp_path):
    Account.objects.filter(pk=town.flat1.pk).update(paperless=True, email="one@example.org")
    documents_print(
        organization=town.org, period=FEB, out_dir=tmp_path / "out", account_numbers=["100001"]
    )
    smtp.refuse = True
    assert documents_deliver(organization=town.org, period=FEB) == (0, 1)
    assert smtp.messages == []
    failed = DocumentDelivery.objects.get()
    assert failed.state == DeliveryState.FAILED
    assert "550" in failed.error or "rejected" in failed.error

    smtp.refuse = False
    assert documents_deliver(organization=town.org, period=FEB) == (1, 0)
    assert len(smtp.messages) == 1
    assert sorted(DocumentDelivery.objects.values_list("state", flat=True)) == [
        DeliveryState.FAILED,
        DeliveryState.SENT,
    ]
    assert documents_deliver(organization=town.org, period=FEB) == (0, 0)
    assert len(smtp.messages) == 1


def test_an_unreachable_server_fails_every_message_without_stopping(town, settings, tmp_path):
    Account.objects.filter(pk__in=[town.flat1.pk, town.flat2.pk]).update(
        paperless=True, email="x@example.org"
    )
    documents_print(organization=town.org, period=FEB, out_dir=tmp_path / "out")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    assert documents_deliver(organization=town.org, period=FEB) == (0, 2)
    assert set(DocumentDelivery.objects.values_list("state", flat=True)) == {DeliveryState.FAILED}


def test_a_reissue_is_sent_again(town, smtp, tmp_path):
    """The latest version is what the resident gets; a re-issued document is a new one."""
    Account.objects.filter(pk=town.flat1.pk).update(paperless=True, email="one@example.org")

    def print_flat1() -> None:
        documents_print(
            organization=town.org,
            period=FEB,
            out_dir=tmp_path / "out",
            account_numbers=["100001"],
        )

    print_flat1()
    assert documents_deliver(organization=town.org, period=FEB) == (1, 0)
    print_flat1()
    assert documents_deliver(organization=town.org, period=FEB) == (1, 0)
    sent = DocumentDelivery.objects.order_by("pk").values_list("document__version", flat=True)
    assert list(sent) == [1, 2]
