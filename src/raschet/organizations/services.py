"""Writes for organizations and staff: every change goes through here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from raschet.organizations.models import Membership, Organization, Role

# Which apps' permissions each role gets: (app_label, actions).
_ROLE_GRANTS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    # "app" grants the actions on every model of the app, "app.model" on one model
    Role.ADMINISTRATOR: [
        (app, ("view", "add", "change", "delete"))
        for app in ("organizations", "housing", "registry", "tariffs", "metering", "billing")
    ]
    + [
        ("ledger", ("view",)),
        ("payments", ("view", "add", "change", "delete")),
        ("debt", ("view", "add", "change", "delete")),
        ("documents", ("view",)),  # payment documents: the archive is append-only
        ("documents.printjob", ("add",)),  # print and re-issue
        ("documents.gisdocumentid", ("add",)),  # import ГИС ЖКХ identifiers (ИПД)
        ("appeals", ("view", "add", "change")),
        # capital repair: the fund's settings per building and what it paid for works
        ("capitalrepair", ("view", "add", "change", "delete")),
    ],
    Role.OPERATOR: [
        ("organizations", ("view",)),
        ("housing", ("view", "add", "change")),
        ("registry", ("view", "add", "change")),
        ("tariffs", ("view", "add", "change")),
        ("metering", ("view", "add", "change")),
        # runs: compute, post, discard a trial run; acts: absences and quality
        ("billing", ("view", "add", "change", "delete")),
        ("ledger", ("view",)),
        ("documents", ("view",)),
        ("documents.printjob", ("add",)),
        ("documents.gisdocumentid", ("add",)),
        # residents' appeals: the queue, answers, confirming the acts of quality reports
        ("appeals", ("view", "add", "change")),
        ("capitalrepair", ("view",)),
    ],
    Role.ACCOUNTANT: [
        ("organizations", ("view",)),
        ("organizations.closedmonth", ("add",)),  # closes the month
        ("housing", ("view",)),
        ("registry", ("view",)),
        ("tariffs", ("view", "add", "change")),
        ("metering", ("view",)),
        ("billing", ("view", "add", "change", "delete")),
        ("ledger", ("view",)),
        # payments: registry imports, the unidentified queue (assign), reversals, settlements
        ("payments.paymentsource", ("view", "add", "change")),
        ("payments.registryimport", ("view", "add")),
        ("payments.payment", ("view", "change")),
        ("payments.paymenttarget", ("view",)),
        ("payments.payeecommission", ("view", "add", "change", "delete")),
        ("payments.cashshift", ("view",)),
        ("payments.fiscaldocument", ("view",)),
        # credit control: notices, disputes, instalment plans; the rate tables are read only
        ("debt.debtornotice", ("view", "add")),
        ("debt.dispute", ("view", "add", "change")),
        ("debt.instalmentplan", ("view", "add", "change")),
        ("debt.instalment", ("view", "add", "change", "delete")),
        ("debt.keyrate", ("view",)),
        ("debt.specialperiod", ("view",)),
        ("documents", ("view",)),
        ("documents.printjob", ("add",)),
        ("appeals", ("view",)),
        # capital repair: records what the fund paid for works
        ("capitalrepair", ("view",)),
        ("capitalrepair.fundspending", ("add", "change")),
    ],
    Role.CASHIER: [
        ("housing", ("view",)),
        ("registry", ("view",)),
        ("billing.chargeline", ("view",)),
        ("ledger", ("view",)),
        # the cash desk: take payments, open / close one's shift and cancel in it (not
        # payments.change_payment: that reverses and assigns any payment)
        ("payments.payment", ("view", "add")),
        ("payments.cashshift", ("view", "add", "change")),
        ("payments.fiscaldocument", ("view",)),
        ("documents.paymentdocument", ("view",)),  # a copy of the ЕПД for a payer at the desk
    ],
    Role.PASSPORT_OFFICER: [
        ("housing", ("view",)),
        ("registry", ("view", "add", "change")),
    ],
}


def role_group_name(role: str) -> str:
    return f"role:{role}"


def roles_sync() -> None:
    """Create one auth group per role and give it exactly its permissions."""
    for role, grants in _ROLE_GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role_group_name(role))
        perms: list[Permission] = []
        for label, actions in grants:
            app_label, _dot, model = label.partition(".")
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if model:
                qs = qs.filter(content_type__model=model)
            perms.extend(p for p in qs if p.codename.split("_", 1)[0] in actions)
        group.permissions.set(perms)


@transaction.atomic
def membership_grant(*, user: Any, organization: Organization, role: str) -> Membership:
    """Give ``user`` a ``role`` in ``organization`` and put them in the role's group."""
    if role not in Role.values:
        raise ValueError(f"неизвестная роль: {role}")
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=organization, role=role
    )
    group, _ = Group.objects.get_or_create(name=role_group_name(role))
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership) -> None:
    """Take a role away: delete the membership and, when the user holds that role in no
    other organization, take them out of the role's group too."""
    user, role = membership.user, membership.role
    membership.delete()
    if not Membership.objects.filter(user=user, role=role).exists():
        group = Group.objects.filter(name=role_group_name(role)).first()
        if group is not None:
            user.groups.remove(group)
