"""hktoken: compile, deploy and test tokenized real-world-asset contracts from Python."""

from hktoken.chain import Anvil, Chain, HardhatNode, connect, dev_accounts, signer_from_env, signer_from_keystore
from hktoken.contracts import (
    BondPayingAgent,
    BondRoles,
    BondToken,
    DvPSettlement,
    FundAdministrator,
    FundRoles,
    FundToken,
    GoldCustodian,
    GoldToken,
    HKDStablecoin,
    InvestorRegistry,
    RWAToken,
    SecurityToken,
    TokenRoles,
    TransferCheck,
)
from hktoken.errors import (
    ChainError,
    CompileError,
    HKTokenError,
    MissingRole,
    SignerError,
    SpecError,
    ToolchainError,
    TransactionReverted,
    TransferRestricted,
    UnknownContractError,
)
from hktoken.models import ComplianceRules, Investor, InvestorClass, InvestorProfile
from hktoken.models.bond import BondRestriction, BondTerms
from hktoken.models.dvp import DvPDomain, Trade, TradeRefused
from hktoken.models.fund import FundTerms, NavStrike
from hktoken.models.gold import Attestation, GoldBar
from hktoken.models.restrictions import Restriction

__version__ = "0.1.0"

__all__ = [
    "Anvil",
    "Attestation",
    "BondPayingAgent",
    "BondRestriction",
    "BondRoles",
    "BondTerms",
    "BondToken",
    "Chain",
    "ChainError",
    "CompileError",
    "ComplianceRules",
    "DvPDomain",
    "DvPSettlement",
    "FundAdministrator",
    "FundRoles",
    "FundTerms",
    "FundToken",
    "GoldBar",
    "GoldCustodian",
    "GoldToken",
    "HKDStablecoin",
    "HKTokenError",
    "HardhatNode",
    "Investor",
    "InvestorClass",
    "InvestorProfile",
    "InvestorRegistry",
    "MissingRole",
    "NavStrike",
    "RWAToken",
    "Restriction",
    "SecurityToken",
    "SignerError",
    "SpecError",
    "TokenRoles",
    "ToolchainError",
    "Trade",
    "TradeRefused",
    "TransactionReverted",
    "TransferCheck",
    "TransferRestricted",
    "UnknownContractError",
    "__version__",
    "connect",
    "dev_accounts",
    "signer_from_env",
    "signer_from_keystore",
]
