"""Addresses in one city (Тверь-like), unique per generated stock."""

from __future__ import annotations

import random

CITY = "г. Тверь"
POSTCODES = ("170000", "170001", "170003", "170006", "170008", "170021", "170024", "170100")

STREETS = (
    "ул. Советская",
    "пр-т Чайковского",
    "ул. Склизкова",
    "пр-т Победы",
    "Волоколамский пр-т",
    "ул. Хромова",
    "б-р Радищева",
    "ул. Новоторжская",
    "пр-т Ленина",
    "ул. Горького",
    "ул. Вагжанова",
    "ул. Брагина",
    "Октябрьский пр-т",
    "ул. Орджоникидзе",
    "пр-т Калинина",
    "ул. Коминтерна",
    "ул. Благоева",
    "ул. Ерофеева",
    "ул. Можайского",
    "ул. Паши Савельевой",
    "ул. Королёва",
    "ул. Озёрная",
    "ул. Оснабрюкская",
    "ул. Фадеева",
    "Комсомольский пр-т",
    "ул. Левитана",
    "ул. Бобкова",
    "Петербургское ш.",
    "ул. Спартака",
    "ул. Строителей",
    "ул. Маршала Конева",
    "б-р Гусева",
    "ул. Луначарского",
    "ул. Медниковская",
    "ул. Трудолюбия",
    "наб. Афанасия Никитина",
    "ул. Веселова",
    "ул. Кольцевая",
    "ул. Железнодорожников",
    "ул. Румянцева",
)

OTHER_TOWNS = (
    "г. Москва",
    "г. Санкт-Петербург",
    "г. Торжок",
    "г. Ржев",
    "г. Вышний Волочёк",
    "г. Кимры",
    "г. Конаково",
    "г. Бежецк",
    "г. Осташков",
    "г. Великий Новгород",
    "г. Ярославль",
    "пгт Редкино Тверской обл.",
)


class AddressBook:
    """Hands out distinct building addresses; the house-number range grows with demand so
    any number of buildings gets an address."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def building(self) -> str:
        rng = self._rng
        while True:
            top = 120 + len(self._used) // 10
            number = rng.randint(1, top)
            letter = rng.choice(("", "", "", "", "", "", "а", "б"))
            corpus = rng.choice(("", "", "", "", "", " корп. 1", " корп. 2", " корп. 3"))
            street = rng.choice(STREETS)
            address = f"{CITY}, {street}, д. {number}{letter}{corpus}"
            if address not in self._used:
                self._used.add(address)
                return address


def address_elsewhere(rng: random.Random) -> str:
    """An address in another town (where a person came from or left for)."""
    street = rng.choice(("Ленина", "Мира", "Садовая", "Школьная", "Заводская"))
    return f"{rng.choice(OTHER_TOWNS)}, ул. {street}, д. {rng.randint(1, 60)}"


def legal_address(rng: random.Random) -> str:
    return f"{rng.choice(POSTCODES)}, {CITY}, {rng.choice(STREETS)}, д. {rng.randint(1, 90)}"
