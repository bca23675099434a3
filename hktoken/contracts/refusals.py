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
from typing import Any

from hktoken.chain.revert import DecodedError, ErrorFactory, RevertDecoder
from hktoken.errors import TransactionReverted, TransferRestricted
from hktoken.models.investor import investor_id_text
from hktoken.models.restrictions import Restriction, message_for
from hktoken.units import from_base_units

# Error parameters that hold token amounts, and bytes32 ones that hold text (investor ids, document names), across
# OpenZeppelin's ERC-20 errors and the contracts' own.
AMOUNT_PARAMETERS = frozenset(
    {"allowance", "amount", "available", "balance", "cap", "frozen", "frozenAfter", "needed", "released",
     "requested", "reserve", "supply", "unfrozen"}
)  # fmt: skip
TEXT_PARAMETERS = frozenset({"id", "investorId", "name"})


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


def _shown(name: str, value: Any, decimals: int | None) -> str:
    if name in AMOUNT_PARAMETERS and isinstance(value, int) and not isinstance(value, bool) and decimals is not None:
        return f"{name}={from_base_units(value, decimals)} ({value} base units)"
    if isinstance(value, bytes):
        text = investor_id_text(value) if name in TEXT_PARAMETERS and len(value) == 32 else None
        return f"{name}={text!r} (0x{value.hex()})" if text and not text.startswith("0x") else f"{name}=0x{value.hex()}"
    return f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"


def explain_units(refusal: TransactionReverted, decimals: int | None) -> None:
    """Rewrite a plainly decoded refusal's message to show amounts in token units (with ``decimals``) and text ids
    beside the raw values: ``balance=100.00 (10000 base units)``, ``investorId='HK-A' (0x484b2d41…)``. The
    exception's ``.arguments`` keep the raw values; typed refusals (MissingRole, TransferRestricted) keep their
    own messages."""
    if type(refusal) is not TransactionReverted or not refusal.arguments:
        return
    if not str(refusal).startswith(f"reverted with {refusal.error}("):
        return
    shown = ", ".join(_shown(name, value, decimals) for name, value in refusal.arguments.items())
    refusal.message = f"reverted with {refusal.error}({shown})"
    refusal.args = (refusal.message,)
