"""Helpers that post admin change forms back the way a browser would."""

from __future__ import annotations


def form_data(page) -> dict[str, str]:
    """The values a browser would post back from an admin change form."""
    data: dict[str, str] = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if hasattr(value, "pk"):
            value = value.pk
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = str(value)
    for formset in page.context["inline_admin_formsets"]:
        fs = formset.formset
        for key, value in fs.management_form.initial.items():
            data[f"{fs.prefix}-{key}"] = str(value)
        for row in fs.forms:
            for name, field in row.fields.items():
                value = row.initial.get(name, field.initial)
                if value is None:
                    continue
                if hasattr(value, "pk"):
                    value = value.pk
                if isinstance(value, bool):
                    if value:
                        data[row.add_prefix(name)] = "on"
                    continue
                data[row.add_prefix(name)] = str(value)
    return data


def form_errors(response) -> object:
    if response.context is None:
        return response.status_code
    errors = [response.context["adminform"].form.errors]
    errors += [fs.formset.errors for fs in response.context["inline_admin_formsets"]]
    return errors
