"""Payments: bank and agent registries, the cash desk, online and API payments; allocation
to the ledger, the unidentified queue, reversals, splitting to payees and settlements."""
