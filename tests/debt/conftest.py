from tests.payments.conftest import books  # noqa: F401 - the shared ledger fixture
