"""ERC-1404 restriction codes of hktoken's compliance core, mirrored from contracts/compliance/RestrictionCodes.sol.

Codes 0-63 belong to the core; an asset token reports its own rules with codes 64 and above.

The test suite checks every entry against the deployed contract's ``messageForTransferRestriction``,
so the two tables cannot drift apart.
"""

from __future__ import annotations

from enum import IntEnum


class Restriction(IntEnum):
    """Why a token refuses a balance change (0 means it does not)."""

    SUCCESS = 0
    PAUSED = 1
    SENDER_NOT_VERIFIED = 2
    RECIPIENT_NOT_VERIFIED = 3
    SENDER_FROZEN = 4
    RECIPIENT_FROZEN = 5
    INSUFFICIENT_UNFROZEN_BALANCE = 6
    COUNTRY_NOT_ALLOWED = 7
    INVESTOR_CLASS_NOT_ALLOWED = 8
    MAX_HOLDERS_REACHED = 9
    MAX_BALANCE_EXCEEDED = 10
    LOCKED_UP = 11
    BELOW_MINIMUM_TRANSFER = 12
    NOT_DENOMINATION_MULTIPLE = 13
    SUPPLY_CAP_EXCEEDED = 14
    SENDER_KYC_EXPIRED = 15
    RECIPIENT_KYC_EXPIRED = 16
    SPENDER_FROZEN = 17


MESSAGES: dict[int, str] = {
    Restriction.SUCCESS: "transfer allowed",
    Restriction.PAUSED: "token is paused",
    Restriction.SENDER_NOT_VERIFIED: "sender not verified",
    Restriction.RECIPIENT_NOT_VERIFIED: "recipient not verified",
    Restriction.SENDER_FROZEN: "sender address frozen",
    Restriction.RECIPIENT_FROZEN: "recipient address frozen",
    Restriction.INSUFFICIENT_UNFROZEN_BALANCE: "amount exceeds unfrozen balance",
    Restriction.COUNTRY_NOT_ALLOWED: "recipient country not allowed",
    Restriction.INVESTOR_CLASS_NOT_ALLOWED: "recipient investor class not allowed",
    Restriction.MAX_HOLDERS_REACHED: "holder limit reached",
    Restriction.MAX_BALANCE_EXCEEDED: "investor balance limit exceeded",
    Restriction.LOCKED_UP: "tokens are locked up",
    Restriction.BELOW_MINIMUM_TRANSFER: "amount below minimum transfer",
    Restriction.NOT_DENOMINATION_MULTIPLE: "amount not a multiple of the denomination",
    Restriction.SUPPLY_CAP_EXCEEDED: "supply cap exceeded",
    Restriction.SENDER_KYC_EXPIRED: "sender KYC expired",
    Restriction.RECIPIENT_KYC_EXPIRED: "recipient KYC expired",
    Restriction.SPENDER_FROZEN: "spender address frozen",
}

UNKNOWN_MESSAGE = "unknown restriction code"
ASSET_CODES_START = 64  # codes from here on are an asset token's own rules (RestrictionCodes.ASSET_CODES_START)


# hktoken's asset tokens each own a block of 8 codes, so a code names its rule whichever token reported it (the
# decoder of a reverted transaction does not know which token it came from). Each asset's enum of codes lives
# with its model (hktoken/models/<asset>.py); the messages are mirrored here, as the contracts say them, and the
# asset's tests check them against its messageForTransferRestriction.
BOND_CODES_START = 64  # contracts/assets/bond
GOLD_CODES_START = 72  # contracts/assets/gold
FUND_CODES_START = 80  # contracts/assets/fund

ASSET_MESSAGES: dict[int, str] = {
    # --- bond (64-71)
    BOND_CODES_START: "bond matured",
    BOND_CODES_START + 1: "bond called",
    BOND_CODES_START + 2: "bond supply bound exceeded",
    # --- gold (72-79)
    GOLD_CODES_START: "mint exceeds gold reserve",  # GoldCode.MINT_EXCEEDS_RESERVE
    GOLD_CODES_START + 1: "gold reserve attestation stale",  # GoldCode.ATTESTATION_STALE
    # --- fund (80-87)
}


def message_for(code: int) -> str:
    """The human-readable reason for a restriction code: the core's, or one of hktoken's asset tokens' (64 and up);
    another token's own asset codes are named by the token (its ``messageForTransferRestriction``), which
    :meth:`RWAToken.check_transfer` asks for."""
    if code >= ASSET_CODES_START:
        return ASSET_MESSAGES.get(code, f"asset rule {code} (the token's messageForTransferRestriction names it)")
    return MESSAGES.get(code, UNKNOWN_MESSAGE)
