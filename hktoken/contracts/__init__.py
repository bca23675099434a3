"""Typed wrappers of hktoken's contracts, over the plain ABI surface generated from the artifacts."""

from hktoken.contracts.base import ContractWrapper, ERC20Wrapper, deploy_contract, role_id
from hktoken.contracts.bond import BondPayingAgent, BondRoles, BondToken, CallTerms
from hktoken.contracts.dvp import DvPSettlement
from hktoken.contracts.fund import FundAdministrator, FundRoles, FundToken
from hktoken.contracts.gold import GoldCustodian, GoldToken, Redemption
from hktoken.contracts.refusals import register_domain_errors
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.contracts.surface import AbiSurface
from hktoken.contracts.token import Document, RWAToken, SecurityToken, TokenRoles, TransferCheck

__all__ = [
    "AbiSurface",
    "BondPayingAgent",
    "BondRoles",
    "BondToken",
    "CallTerms",
    "ContractWrapper",
    "Document",
    "DvPSettlement",
    "ERC20Wrapper",
    "FundAdministrator",
    "FundRoles",
    "FundToken",
    "GoldCustodian",
    "GoldToken",
    "HKDStablecoin",
    "InvestorRegistry",
    "RWAToken",
    "Redemption",
    "SecurityToken",
    "TokenRoles",
    "TransferCheck",
    "deploy_contract",
    "register_domain_errors",
    "role_id",
]
