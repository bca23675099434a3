"""hktoken: compile, deploy and test tokenized real-world-asset contracts from Python."""

from hktoken.errors import (
    ChainError,
    CompileError,
    HKTokenError,
    SignerError,
    SpecError,
    ToolchainError,
    TransactionReverted,
    TransferRestricted,
    UnknownContractError,
)

__version__ = "0.1.0"

__all__ = [
    "ChainError",
    "CompileError",
    "HKTokenError",
    "SignerError",
    "SpecError",
    "ToolchainError",
    "TransactionReverted",
    "TransferRestricted",
    "UnknownContractError",
    "__version__",
]
