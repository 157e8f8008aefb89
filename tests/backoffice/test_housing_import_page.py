"""The housing import page: permission, the error table, the counts, the template files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from raschet.housing.models import Account, Building

housing = pytest.importorskip("raschet.importers.housing")

URL = "backoffice:housing_import"


def upload(client, organization, name: str, content: bytes, *, dry_run: bool):
    data = {"organization": organization.pk, "file": SimpleUploadedFile(name, content)}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(reverse(URL), data)


def test_page_needs_the_add_account_permission(client, cashier_a, operator_a) -> None:
    client.force_login(cashier_a)
    assert client.get(reverse(URL)).status_code == 403
    client.force_login(operator_a)
    response = client.get(reverse(URL))
    assert response.status_code == 200
    assert reverse("backoffice:housing_import_template_xlsx") in response.content.decode()


def test_organization_choices_are_the_users(client, operator_a, stock_a, stock_b) -> None:
    client.force_login(operator_a)
    form = client.get(reverse(URL)).context["form"]
    assert list(form.fields["organization"].queryset) == [stock_a.organization]
    response = upload(client, stock_b.organization, "x.csv", b"a;b\r\n", dry_run=True)
    assert "organization" in response.context["form"].errors


def test_error_table_is_rendered(client, operator_a, stock_a, monkeypatch) -> None:
    """The view shows every issue of a rejected file (the importer is faked here)."""
    seen = {}

    def fake_import(*, path: Path, organization, dry_run, user, file_name, progress=None):
        seen.update(
            exists=path.exists(),
            suffix=path.suffix,
            content=path.read_bytes(),
            organization=organization,
            dry_run=dry_run,
            user=user,
            file_name=file_name,
        )
        seen["path"] = path
        issues = [
            housing.ImportIssue("Жилфонд", 7, "Площадь помещения, м²", "-5", "Площадь < 0"),
            housing.ImportIssue("Жилфонд", 9, "Лицевой счёт", "A-1", "Номер повторяется"),
        ]
        return housing.ImportReport(ok=False, dry_run=dry_run, file_name=file_name, errors=issues)

    monkeypatch.setattr(housing, "housing_import", fake_import)
    client.force_login(operator_a)
    response = upload(client, stock_a.organization, "дом.xlsx", b"PK-fake", dry_run=False)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="import-errors"' in text
    assert "Площадь &lt; 0" in text
    assert "Номер повторяется" in text
    assert "Площадь помещения, м²" in text
    assert seen["exists"] and seen["suffix"] == ".xlsx" and seen["content"] == b"PK-fake"
    assert seen["organization"] == stock_a.organization
    assert seen["dry_run"] is False
    assert seen["user"] == operator_a
    assert seen["file_name"] == "дом.xlsx"
    assert not seen["path"].exists()  # the temporary copy is removed


def test_wrong_suffix_is_refused_before_import(client, operator_a, stock_a, monkeypatch) -> None:
    called = []
    monkeypatch.setattr(housing, "housing_import", lambda **kw: called.append(kw))
    client.force_login(operator_a)
    response = upload(client, stock_a.organization, "дом.pdf", b"%PDF", dry_run=True)
    assert response.status_code == 200
    assert "дом.pdf" in str(response.context["form"].errors["file"])
    assert called == []


def _template_csv(address: str, area: str) -> bytes:
    text = housing.template_bytes("csv").decode("utf-8-sig")
    header, example = text.splitlines()[:2]
    cells = example.split(";")
    columns = header.split(";")
    cells[columns.index("Адрес дома")] = address
    cells[columns.index("Площадь помещения, м²")] = area
    return ("\ufeff" + header + "\r\n" + ";".join(cells) + "\r\n").encode()


def test_real_file_with_a_mistake_writes_nothing(client, operator_a, stock_a) -> None:
    client.force_login(operator_a)
    before = Building.objects.count()
    content = _template_csv("г. Тверь, ул. Новая, д. 1", "-54,3")
    response = upload(client, stock_a.organization, "bad.csv", content, dry_run=False)
    assert response.status_code == 200
    report = response.context["report"]
    assert not report.ok
    assert any(issue.column == "Площадь помещения, м²" for issue in report.errors)
    assert 'id="import-errors"' in response.content.decode()
    assert Building.objects.count() == before


def test_real_file_dry_run_then_import(client, operator_a, stock_a) -> None:
    client.force_login(operator_a)
    content = _template_csv("г. Тверь, ул. Новая, д. 1", "54,3")
    checked = upload(client, stock_a.organization, "good.csv", content, dry_run=True)
    assert checked.context["report"].ok, checked.context["report"].errors
    assert 'id="import-counts"' in checked.content.decode()
    assert not Building.objects.filter(address="г. Тверь, ул. Новая, д. 1").exists()

    done = upload(client, stock_a.organization, "good.csv", content, dry_run=False)
    assert done.context["report"].ok
    assert done.context["changed"]
    building = Building.objects.get(address="г. Тверь, ул. Новая, д. 1")
    assert building.organization == stock_a.organization
    assert Account.objects.filter(premises__building=building).count() == 1


@pytest.mark.parametrize(("fmt", "magic"), [("xlsx", b"PK"), ("csv", "\ufeff".encode())])
def test_template_download(client, operator_a, fmt, magic) -> None:
    client.force_login(operator_a)
    response = client.get(reverse(f"backoffice:housing_import_template_{fmt}"))
    assert response.status_code == 200
    assert response.content.startswith(magic)
    assert f"raschet-housing.{fmt}" in response["Content-Disposition"]
    assert io.BytesIO(response.content).getbuffer().nbytes > 100


def test_template_download_needs_staff(client, db) -> None:
    response = client.get(reverse("backoffice:housing_import_template_csv"))
    assert response.status_code == 302
