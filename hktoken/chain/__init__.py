"""Nodes (anvil, Hardhat), connections and their dev-node dialects, signers, the sender and revert decoding."""

from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain, connect
from hktoken.chain.dialects import Dialect
from hktoken.chain.hardhat import HardhatNode
from hktoken.chain.revert import DecodedError, ErrorFactory, RevertDecoder
from hktoken.chain.sender import TransactionSender
from hktoken.chain.signers import dev_accounts, signer_from_env, signer_from_keystore

__all__ = [
    "Anvil",
    "Chain",
    "DecodedError",
    "Dialect",
    "ErrorFactory",
    "HardhatNode",
    "RevertDecoder",
    "TransactionSender",
    "connect",
    "dev_accounts",
    "signer_from_env",
    "signer_from_keystore",
]
