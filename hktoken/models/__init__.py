"""pydantic models for everything that crosses a boundary: investors, compliance rules, addresses."""

from hktoken.models.common import Address, to_address
from hktoken.models.investor import Investor, InvestorClass, InvestorProfile, investor_id_bytes, investor_id_text
from hktoken.models.rules import ComplianceRules

__all__ = [
    "Address",
    "ComplianceRules",
    "Investor",
    "InvestorClass",
    "InvestorProfile",
    "investor_id_bytes",
    "investor_id_text",
    "to_address",
]
