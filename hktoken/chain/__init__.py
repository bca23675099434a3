"""Nodes, connections, signers, the transaction sender and revert decoding."""

from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain, connect
from hktoken.chain.revert import DecodedError, ErrorFactory, RevertDecoder
from hktoken.chain.sender import TransactionSender
from hktoken.chain.signers import dev_accounts, signer_from_env, signer_from_keystore

__all__ = [
    "Anvil",
    "Chain",
    "DecodedError",
    "ErrorFactory",
    "RevertDecoder",
    "TransactionSender",
    "connect",
    "dev_accounts",
    "signer_from_env",
    "signer_from_keystore",
]
