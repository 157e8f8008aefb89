"""The standard service catalogue (codes from the glossary) an organization starts with."""

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
)

CATALOGUE_CODES = frozenset(e.code for e in CATALOGUE)
