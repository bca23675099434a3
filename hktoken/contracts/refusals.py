"""The domain's custom errors as typed exceptions: what the token contracts' refusals mean in Python.

``chain/`` decodes any custom error generically; this module teaches a chain's decoder that a token's
``TransferRestricted(from, to, amount, code)`` and ERC-7943's ``ERC7943InsufficientUnfrozenBalance`` are
:class:`~hktoken.errors.TransferRestricted` with an ERC-1404 code and reason. Every wrapper registers them on its
chain when it is built (idempotently); call :func:`register_domain_errors` yourself to decode them on a chain you
only send raw transactions to.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hktoken.chain.revert import DecodedError, ErrorFactory, RevertDecoder
from hktoken.errors import TransactionReverted, TransferRestricted
from hktoken.models.restrictions import Restriction, message_for


def transfer_restricted(decoded: DecodedError) -> TransactionReverted:
    """``TransferRestricted(from, to, amount, code)`` -> TransferRestricted(code, reason)."""
    code = decoded.args.get("code")
    if not isinstance(code, int):
        return decoded.generic()
    return TransferRestricted(
        code, message_for(code), error=decoded.error, args=decoded.args, data=decoded.data, tx_hash=decoded.tx_hash
    )


def insufficient_unfrozen_balance(decoded: DecodedError) -> TransactionReverted:
    """ERC-7943 ``ERC7943InsufficientUnfrozenBalance(account, amount, unfrozen)`` -> TransferRestricted code 6."""
    code = int(Restriction.INSUFFICIENT_UNFROZEN_BALANCE)
    return TransferRestricted(
        code, message_for(code), error=decoded.error, args=decoded.args, data=decoded.data, tx_hash=decoded.tx_hash
    )


DOMAIN_ERRORS: Mapping[str, ErrorFactory] = MappingProxyType(
    {
        "TransferRestricted": transfer_restricted,
        "ERC7943InsufficientUnfrozenBalance": insufficient_unfrozen_balance,
    }
)


def register_domain_errors(decoder: RevertDecoder) -> None:
    """Teach ``decoder`` the domain's typed exceptions (safe to call any number of times)."""
    for error, factory in DOMAIN_ERRORS.items():
        decoder.register(error, factory)
