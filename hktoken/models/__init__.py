"""pydantic models for everything that crosses a boundary: investors, compliance rules, addresses; and the
ERC-1404 restriction codes the rules are enforced with."""

from hktoken.models.common import Address, to_address
from hktoken.models.investor import Investor, InvestorClass, InvestorProfile, investor_id_bytes, investor_id_text
from hktoken.models.restrictions import Restriction, message_for
from hktoken.models.rules import ComplianceRules

__all__ = [
    "Address",
    "ComplianceRules",
    "Investor",
    "InvestorClass",
    "InvestorProfile",
    "Restriction",
    "investor_id_bytes",
    "investor_id_text",
    "message_for",
    "to_address",
]
