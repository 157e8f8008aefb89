"""Debt: ageing of the ledger's unpaid debt, debtor lists, the collection rate and their
exports (selectors over `raschet.ledger`); later the credit-control models (key rates,
notices, instalment plans)."""
