import pytest
from hypothesis import given
from hypothesis import strategies as st

from raschet.core.bankkey import (
    BankDetailsError,
    account_key,
    account_key_valid,
    validate_bank_account,
)

SBER_BIC = "044525225"


def test_worked_examples_from_rules():
    # rules.md §8.3, self-checked examples
    assert account_key_valid(SBER_BIC, "30101810400000000225", correspondent=True)
    assert account_key(SBER_BIC, "40702810038000000001") == 9
    assert account_key_valid(SBER_BIC, "40702810938000000001")
    assert not account_key_valid(SBER_BIC, "40702810138000000001")


def test_error_names_account_and_expected_digit():
    with pytest.raises(BankDetailsError, match=r"40702810138000000001.*цифра 9"):
        validate_bank_account(SBER_BIC, "40702810138000000001")


@pytest.mark.parametrize(
    ("bic", "acc"), [("04452522", "4" * 20), (SBER_BIC, "123"), (SBER_BIC, "4070281093800000000X")]
)
def test_malformed_input(bic, acc):
    with pytest.raises(BankDetailsError, match="цифр"):
        account_key_valid(bic, acc)


@given(st.from_regex(r"\A04\d{7}\Z"), st.from_regex(r"\A\d{20}\Z"), st.booleans())
def test_key_makes_any_account_valid(bic, account, correspondent):
    key = account_key(bic, account, correspondent=correspondent)
    fixed = account[:8] + str(key) + account[9:]
    assert account_key_valid(bic, fixed, correspondent=correspondent)
    # every other digit in that position fails: the key is unique
    for other in set("0123456789") - {str(key)}:
        assert not account_key_valid(
            bic, account[:8] + other + account[9:], correspondent=correspondent
        )
