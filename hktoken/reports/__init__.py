"""Reports rebuilt from a token's events: the cap table, the audit export and a custodian's reconciliation.

Data flows one way: chain -> events -> reports. Nothing here sends a transaction.
"""

from hktoken.reports.audit import AuditRow, Source, audit_rows, write_audit, write_audit_file
from hktoken.reports.captable import CapTable, CapTableMismatch, InvestorHolding, WalletHolding, build_cap_table
from hktoken.reports.logs import fetch_logs
from hktoken.reports.reconcile import LedgerEntry, Reconciliation, read_ledger, reconcile

__all__ = [
    "AuditRow",
    "CapTable",
    "CapTableMismatch",
    "InvestorHolding",
    "LedgerEntry",
    "Reconciliation",
    "Source",
    "WalletHolding",
    "audit_rows",
    "build_cap_table",
    "fetch_logs",
    "read_ledger",
    "reconcile",
    "write_audit",
    "write_audit_file",
]
