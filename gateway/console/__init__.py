"""The finance console: staff accounts, sessions and roles, and the pages finance staff
use to read reconciliation runs, resolve exceptions, download remittance files and read
the ledger."""
