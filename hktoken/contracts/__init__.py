"""Typed wrappers of hktoken's contracts."""

from hktoken.contracts.base import ContractWrapper, role_id
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.contracts.token import Document, RWAToken, TokenRoles, TransferCheck

__all__ = [
    "ContractWrapper",
    "Document",
    "HKDStablecoin",
    "InvestorRegistry",
    "RWAToken",
    "TokenRoles",
    "TransferCheck",
    "role_id",
]
