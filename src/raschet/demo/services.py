"""Build the demo billing centre: `demo_build`, `demo_exists`, `demo_logins`.

Everything is drawn from one ``random.Random(seed)`` and fixed dates (the stock as of
2026-10-01), so the same seed gives the same rows. Rows are built in memory and written with
``bulk_create``; this bypasses simple-history on purpose (a demo has no history to keep).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    IntegerField,
    Model,
)
from django.utils import timezone

from raschet.billing.services import billing_month_close, billing_run
from raschet.core.periods import Month
from raschet.demo import orgs
from raschet.demo.appeals import demo_appeals
from raschet.demo.meters import meters_build
from raschet.demo.payments import demo_payment_setup, demo_payments
from raschet.demo.rates import benefit_categories_make, norms_make, tariffs_make
from raschet.demo.stock import AccountServiceRow, Manager, Stock, StockBuilder
from raschet.ledger.guards import purge
from raschet.organizations.models import Organization, Role
from raschet.organizations.services import membership_grant, roles_sync
from raschet.tariffs.models import AccountService
from raschet.tariffs.services import services_install_catalogue

Progress = Callable[[str, int, int], None]
BATCH = 2000
# PBKDF2 rounds for the demo logins: their passwords are printed on screen, so a full-cost
# hash (≈1 s each on a small machine) buys nothing; Django re-hashes at full cost on the
# first login (the hasher's must_update).
DEMO_HASH_ITERATIONS = 1000


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    description: str


@dataclass(frozen=True)
class DemoResult:
    summary: str
    organizations: int
    buildings: int
    accounts: int
    persons: int


@dataclass(frozen=True)
class _Staff:
    username: str
    password: str
    first_name: str
    last_name: str
    organization: str | None  # org code; None for the superuser
    role: str | None
    description: str


_STAFF = (
    _Staff("admin", "demo-admin", "Админ", "Системный", None, None, "суперпользователь"),
    _Staff(
        "rc_admin",
        "demo-rc-admin",
        "Ирина",
        "Волкова",
        orgs.RC,
        Role.ADMINISTRATOR,
        "администратор РЦ «Верхневолжье», видит все УК и ТСЖ",
    ),
    _Staff(
        "operator",
        "demo-operator",
        "Олег",
        "Смирнов",
        orgs.RC,
        Role.OPERATOR,
        "оператор РЦ «Верхневолжье», видит все УК и ТСЖ",
    ),
    _Staff(
        "accountant",
        "demo-accountant",
        "Марина",
        "Кузнецова",
        orgs.UK_MAIN,
        Role.ACCOUNTANT,
        "бухгалтер УК «Уютный дом»",
    ),
    _Staff(
        "cashier",
        "demo-cashier",
        "Анна",
        "Петрова",
        orgs.UK_MAIN,
        Role.CASHIER,
        "кассир УК «Уютный дом»",
    ),
    _Staff(
        "passport",
        "demo-passport",
        "Галина",
        "Морозова",
        orgs.UK_MAIN,
        Role.PASSPORT_OFFICER,
        "паспортист УК «Уютный дом»",
    ),
)
_NUMBERING = {orgs.UK_MAIN: ("11", "УД"), orgs.UK_SECOND: ("12", "ЗВ"), orgs.HOA: ("13", "РД")}


def demo_exists() -> bool:
    """True when a demo billing centre is in the database."""
    return Organization.objects.filter(code=orgs.RC).exists()


def demo_logins() -> list[DemoLogin]:
    """The staff logins `demo_build` creates, with their passwords (printed by the CLI)."""
    return [DemoLogin(s.username, s.password, s.description) for s in _STAFF]


@transaction.atomic
def demo_build(
    *, accounts: int, seed: int, progress: Progress | None = None, today: date | None = None
) -> DemoResult:
    """Wipe any previous demo and build a billing centre with exactly ``accounts`` accounts.

    Only the demo's own organizations (codes ``demo-*``), every row they own and the demo
    logins are removed, so data imported into other organizations survives a ``--reset``.
    """
    if accounts < 1:
        raise ValueError(f"accounts: нужно число больше нуля, получено {accounts}")
    report = progress or (lambda stage, done, total: None)
    rng = random.Random(seed)

    report("Очистка прежних демо-данных", 0, 1)
    _wipe()
    report("Очистка прежних демо-данных", 1, 1)

    report("Организации и сотрудники", 0, 2)
    by_code = _organizations(rng)
    _staff(by_code)
    report("Организации и сотрудники", 1, 2)
    managers = _managers(by_code)
    report("Организации и сотрудники", 2, 2)

    builder = StockBuilder(rng, managers=managers, payees=by_code)
    stock = builder.build(accounts=accounts, progress=report)
    _write(stock, report)
    report("Приборы учёта и показания", 0, 1)
    meters_build(rng, stock)
    report("Приборы учёта и показания", 1, 1)
    _exempt_one(stock, today or timezone.localdate())
    _bill(list(managers.values()), today or timezone.localdate(), report, rng)
    demo_appeals(list(managers.values()), rng, today or timezone.localdate())

    return _result(organizations=len(by_code), stock=stock)


EXEMPT_BUILDING_INDEX = 3


def _exempt_one(stock: Stock, today: date) -> None:
    """One building recognised as emergency from the 15th of the last billed month, so the
    demo shows a contribution charged by days with the reason in its derivation (ЖК ст.169
    ч.2; `raschet.capitalrepair.models.CapitalRepairExemption`): the fourth building, or the
    last of a smaller stock; a stock of one building keeps it charged."""
    from raschet.capitalrepair.models import ExemptionReason
    from raschet.capitalrepair.services import exemption_record

    if len(stock.buildings) < 2:
        return
    last = billing_months(today)[-1]
    exemption_record(
        building=stock.buildings[min(EXEMPT_BUILDING_INDEX, len(stock.buildings) - 1)],
        reason=ExemptionReason.EMERGENCY,
        valid_from=last.replace(day=15),
        document="заключение межведомственной комиссии № 4",
        document_date=last.replace(day=5),
    )


def billing_months(today: date) -> list[date]:
    """The last two full months before ``today``, oldest first."""
    last = Month.of(today).previous()
    return [last.previous().start, last.start]


def _bill(managers: list[Manager], today: date, report: Progress, rng: random.Random) -> None:
    """Bill, post and close the last two full months, so the demo shows real charges; after
    each month, the payments made in the month that follows (up to yesterday)."""
    months = billing_months(today)
    total = len(months) * len(managers)
    done = 0
    demo_payment_setup(managers, months[0])
    report("Начисления и оплаты за два последних месяца", 0, total)
    for period in months:
        for manager in managers:
            organization = manager.organization
            billing_run(organization=organization, period=period)
            billing_month_close(organization=organization, period=period)
            done += 1
            report("Начисления и оплаты за два последних месяца", done, total)
        demo_payments(
            managers, rng, charged=period, paid_in=Month.of(period).next().start, today=today
        )


def _tenant_models() -> list[type[Model]]:
    """Concrete tables of the raschet apps that carry the organization key."""
    result = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.app_config.name.startswith("raschet.") or meta.proxy or not meta.managed:
            continue
        if any(f.name == "organization" for f in meta.concrete_fields):
            result.append(model)
    return result


def _wipe() -> None:
    """Delete every row owned by a demo organization, the organizations and the logins.

    Plain DELETE statements: the collector (and simple-history's signals) would load and
    copy every row. Foreign keys are checked at commit, so the order does not matter.
    """
    demo_ids = list(
        Organization.objects.filter(code__in=[s.code for s in orgs.SPECS]).values_list(
            "pk", flat=True
        )
    )
    if demo_ids:
        _delete_rows(demo_ids)
    get_user_model().objects.filter(username__in=[s.username for s in _STAFF]).delete()


def _delete_rows(demo_ids: list[int]) -> None:
    """The plain DELETEs of `_wipe`, past the ledger's guards (demo organizations only)."""
    with purge("демо: пересоздание"):
        quote = connection.ops.quote_name
        marks = ", ".join(["%s"] * len(demo_ids))
        with connection.cursor() as cursor:
            for model in _tenant_models():
                column = _column(model, "organization")
                cursor.execute(
                    f"DELETE FROM {quote(model._meta.db_table)} "  # noqa: S608 - names are ours
                    f"WHERE {quote(column)} IN ({marks})",
                    demo_ids,
                )
            for model in (Organization, Organization.history.model):
                cursor.execute(
                    f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote('id')} IN ({marks})",  # noqa: S608
                    demo_ids,
                )


def _organizations(rng: random.Random) -> dict[str, Organization]:
    made = orgs.organizations_make(rng)
    centre = made[0]
    centre.save()
    served = {s.code for s in orgs.SPECS if s.served}
    for organization in made[1:]:
        if organization.code in served:
            organization.served_by = centre
    Organization.objects.bulk_create(made[1:])
    return {o.code: o for o in made}


def _staff(by_code: dict[str, Organization]) -> None:
    roles_sync()
    user_model = get_user_model()
    hasher = get_hasher()
    for spec in _STAFF:
        if isinstance(hasher, PBKDF2PasswordHasher):
            password = hasher.encode(spec.password, hasher.salt(), DEMO_HASH_ITERATIONS)
        else:
            password = make_password(spec.password)
        user = user_model.objects.create(
            username=spec.username,
            password=password,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=f"{spec.username}@rc-verhnevolzhye.example",
            is_staff=True,
            is_superuser=spec.organization is None,
        )
        if spec.organization is not None and spec.role is not None:
            membership_grant(user=user, organization=by_code[spec.organization], role=spec.role)


def _managers(by_code: dict[str, Organization]) -> dict[str, Manager]:
    """Catalogue, organization-wide tariffs and norms, and benefit categories per manager."""
    from raschet.registry.models import BenefitCategory
    from raschet.tariffs.models import Norm, Tariff

    result = {}
    for code in orgs.MANAGERS:
        organization = by_code[code]
        services = {s.code: s for s in services_install_catalogue(organization=organization)}
        Tariff.objects.bulk_create(tariffs_make(organization, services), batch_size=BATCH)
        Norm.objects.bulk_create(norms_make(organization, services), batch_size=BATCH)
        categories = BenefitCategory.objects.bulk_create(benefit_categories_make(organization))
        prefix, letters = _NUMBERING[code]
        result[code] = Manager(
            organization=organization,
            services=services,
            categories={c.code: c for c in categories},
            number_prefix=prefix,
            gis_letters=letters,
        )
    return result


def _write(stock: Stock, report: Progress) -> None:
    """Parents with ``bulk_create`` (it fills in their keys), leaves with one prepared
    INSERT run by ``executemany`` — about three times faster than ``bulk_create``."""
    parents: list[list] = [stock.buildings, stock.premises, stock.accounts, stock.persons]
    leaves: list[list] = [
        stock.ownerships,
        stock.registrations,
        stock.acts,
        stock.benefits,
        stock.contracts,
        stock.tariffs,
        stock.norms,
    ]
    total = sum(len(rows) for rows in (*parents, *leaves, stock.account_services))
    done = 0
    stage = "Запись в базу данных"
    report(stage, 0, total)
    for rows in parents:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            type(chunk[0])._default_manager.bulk_create(chunk, batch_size=BATCH)
            done += len(chunk)
            report(stage, done, total)
    for rows in leaves:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            _insert(chunk)
            done += len(chunk)
            report(stage, done, total)
    for start in range(0, len(stock.account_services), BATCH):
        tuples = stock.account_services[start : start + BATCH]
        _insert_tuples(AccountService, tuples)
        done += len(tuples)
        report(stage, done, total)


def _insert(objs: list[Model]) -> None:
    """INSERT rows nobody refers to; foreign keys come from the saved related objects.

    Values are adapted once per field kind with the backend's own adapters (what
    ``bulk_create`` does per value through several layers of indirection).
    """
    conn = connections[DEFAULT_DB_ALIAS]
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    readers = [_reader(f, conn) for f in fields]
    rows = [[read(obj) for read in readers] for obj in objs]
    _insert_rows(conn, model, [_column(model, f.name) for f in fields], rows)


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field.column


def _insert_tuples(model: type[Model], rows: list[AccountServiceRow]) -> None:
    """INSERT named tuples whose field names are ``model``'s attnames; a model instance in
    a key column stands for its (by now saved) primary key."""
    conn = connections[DEFAULT_DB_ALIAS]
    columns = [_column(model, n.removesuffix("_id")) for n in rows[0]._fields]
    adapt_date = conn.ops.adapt_datefield_value
    values = [
        [v.pk if isinstance(v, Model) else adapt_date(v) if isinstance(v, date) else v for v in row]
        for row in rows
    ]
    _insert_rows(conn, model, columns, values)


def _insert_rows(
    conn: BaseDatabaseWrapper, model: type[Model], columns: list[str], rows: list[list[Any]]
) -> None:
    """COPY on PostgreSQL (psycopg 3), one prepared INSERT by ``executemany`` elsewhere."""
    quote = conn.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - model names
            cursor.executemany(sql, rows)


def _reader(field: Field, conn: BaseDatabaseWrapper) -> Callable[[Model], Any]:
    """A function giving ``field``'s database value of an unsaved object."""
    attname = field.attname
    if field.is_relation:
        name = field.name

        def related(obj: Model) -> Any:
            value = getattr(obj, attname)
            if value is None:
                cached = obj._state.fields_cache.get(name)
                value = None if cached is None else cached.pk
            return value

        return related
    if isinstance(field, DateField) and not isinstance(field, DateTimeField):
        adapt_date = conn.ops.adapt_datefield_value
        return lambda obj: adapt_date(getattr(obj, attname))
    if isinstance(field, DecimalField):
        adapt_decimal = conn.ops.adapt_decimalfield_value
        digits, places = field.max_digits, field.decimal_places
        return lambda obj: adapt_decimal(getattr(obj, attname), digits, places)
    if isinstance(field, CharField | BooleanField | IntegerField):
        return lambda obj: getattr(obj, attname)
    return lambda obj: field.get_db_prep_save(getattr(obj, attname), conn)


def _plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 житель, 2 жителя, 5 жителей, 21 житель, 11 жителей."""
    if n % 10 == 1 and n % 100 != 11:
        word = one
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = few
    else:
        word = many
    return f"{n} {word}"


def _result(*, organizations: int, stock: Stock) -> DemoResult:
    buildings = len(stock.buildings)
    accounts = len(stock.accounts)
    persons = len(stock.persons)
    summary = ", ".join(
        (
            _plural(organizations, "организация", "организации", "организаций"),
            _plural(buildings, "дом", "дома", "домов"),
            _plural(accounts, "лицевой счёт", "лицевых счёта", "лицевых счетов"),
            _plural(persons, "человек", "человека", "человек"),
        )
    )
    return DemoResult(
        summary=summary,
        organizations=organizations,
        buildings=buildings,
        accounts=accounts,
        persons=persons,
    )
