"""Finance services: `ledger` (dues, payments, balances), `statements` (import and matching)."""
