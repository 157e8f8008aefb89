"""The standard service catalogue (codes from the glossary) an organization starts with.

A service's place in the payment document is its ``sort_order``: the catalogue's position
× 10, or the entry's own ``sort_order`` for entries added later, so that the housing
sub-lines sit together at the top (rules.md §2.1: «наём», «содержание», «управление»,
«текущий ремонт», then the capital repair) and organizations that installed the catalogue
earlier keep the order they have.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name: str
    kind: str
    unit: str
    basis: str
    resource: str = ""
    metered: bool = False
    max_zones: int = 1
    sort_order: int = 0  # 0: the catalogue's position × 10


CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("maintenance", "Содержание жилого помещения", "housing", "m2", "area"),
    CatalogueEntry("capital_repair", "Взнос на капитальный ремонт", "housing", "m2", "area"),
    CatalogueEntry("heating", "Отопление", "communal", "gcal", "area", metered=True),
    CatalogueEntry(
        "cold_water", "Холодное водоснабжение", "communal", "m3", "volume", metered=True
    ),
    CatalogueEntry("hot_water", "Горячее водоснабжение", "communal", "m3", "volume", metered=True),
    CatalogueEntry("wastewater", "Водоотведение", "communal", "m3", "volume", metered=True),
    CatalogueEntry(
        "electricity", "Электроснабжение", "communal", "kwh", "volume", metered=True, max_zones=3
    ),
    CatalogueEntry("gas", "Газоснабжение", "communal", "m3", "volume", metered=True),
    # gas for heating (rules.md §1.10): by the norm per m² of the premises where there is no
    # gas meter; with one, all the gas is metered on the `gas` line
    CatalogueEntry("gas_heating", "Газоснабжение на отопление", "communal", "m3", "volume"),
    CatalogueEntry("solid_waste", "Обращение с ТКО", "communal", "person", "person"),
    CatalogueEntry(
        "common_cold_water",
        "ХВС на содержание общего имущества",
        "housing",
        "m3",
        "common",
        resource="cold_water",
    ),
    CatalogueEntry(
        "common_hot_water",
        "ГВС на содержание общего имущества",
        "housing",
        "m3",
        "common",
        resource="hot_water",
    ),
    CatalogueEntry(
        "common_wastewater",
        "Водоотведение на содержание общего имущества",
        "housing",
        "m3",
        "common",
        resource="wastewater",
    ),
    CatalogueEntry(
        "common_electricity",
        "Электроэнергия на содержание общего имущества",
        "housing",
        "kwh",
        "common",
        resource="electricity",
    ),
    # rules.md §2.1, ЖК ст.154 ч.1 п.1, ст.156 ч.4: the social tenant's rent per m², set by
    # the municipality and paid to it (its payee contract names the municipality, a payee
    # block of its own on the ЕПД)
    CatalogueEntry("social_rent", "Плата за наём", "housing", "m2", "area", sort_order=5),
    # rules.md §2.1, ЖК ст.154 ч.2 п.1: the sub-lines of «содержание» shown separately when
    # the owners' decision sets a rate for each; ``maintenance`` then carries the upkeep of
    # the common property only (docs/billing.md "Housing sub-lines")
    CatalogueEntry(
        "management", "Управление многоквартирным домом", "housing", "m2", "area", sort_order=12
    ),
    CatalogueEntry(
        "current_repair", "Текущий ремонт общего имущества", "housing", "m2", "area", sort_order=14
    ),
)

CATALOGUE_CODES = frozenset(e.code for e in CATALOGUE)
