"""The pure generators behind the demo: names, legal identifiers, bank keys (no database)."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from raschet.core.bankkey import account_key_valid
from raschet.demo import legal, names
from raschet.organizations.validators import validate_snils


@pytest.mark.parametrize(
    ("father", "male", "female"),
    [
        ("Сергей", "Сергеевич", "Сергеевна"),
        ("Иван", "Иванович", "Ивановна"),
        ("Илья", "Ильич", "Ильинична"),
        ("Никита", "Никитич", "Никитична"),
        ("Юрий", "Юрьевич", "Юрьевна"),
        ("Михаил", "Михайлович", "Михайловна"),
        ("Пётр", "Петрович", "Петровна"),
    ],
)
def test_patronymic_forms(father, male, female):
    assert names.patronymic(father, female=False) == male
    assert names.patronymic(father, female=True) == female


def test_every_male_name_has_a_patronymic():
    for name in names.MALE_NAMES:
        assert names.patronymic(name, female=True).endswith("на")


@pytest.mark.parametrize(
    ("male", "female"),
    [
        ("Иванов", "Иванова"),
        ("Соловьёв", "Соловьёва"),
        ("Ильин", "Ильина"),
        ("Троицкий", "Троицкая"),
        ("Толстой", "Толстая"),
        ("Седых", "Седых"),
        ("Шевченко", "Шевченко"),
    ],
)
def test_surname_female_form(male, female):
    assert names.surname(male, female=True) == female
    assert names.surname(male, female=False) == male


def test_inn_and_ogrn_pass_stdnum_for_many_draws():
    rng = random.Random(7)
    for _ in range(500):
        assert stdnum_inn.is_valid(legal.inn10(rng, tax_office="6950"))
        assert stdnum_ogrn.is_valid(legal.ogrn13(rng, year=2011, region="69"))


def test_inn_check_digit_matches_a_known_inn():
    assert legal.inn10_check_digit("770708389") == 3  # 7707083893, rules.md §8.2
    assert legal.ogrn_check_digit("102770013219") == 5  # 1027700132195


def test_snils_passes_the_validator_and_a_wrong_one_fails():
    rng = random.Random(3)
    for _ in range(300):
        validate_snils(legal.snils(rng))
    good = legal.snils(rng)
    wrong = good[:-2] + f"{(int(good[-2:]) + 1) % 100:02d}"
    with pytest.raises(ValidationError):
        validate_snils(wrong)
    assert legal.snils_check("112233445") == 95  # rules.md §8.2 self-check


def test_bank_accounts_carry_a_valid_key():
    rng = random.Random(5)
    for bank in legal.BANKS:
        assert account_key_valid(bank.bic, bank.correspondent_account, correspondent=True)
        for _ in range(50):
            account = bank.settlement_account(rng)
            assert account_key_valid(bank.bic, account)
            assert account.startswith("40702810")
