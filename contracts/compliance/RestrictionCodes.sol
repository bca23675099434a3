// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ERC-1404 restriction codes of hktoken
/// @notice One table for every token. Codes 0-63 belong to the compliance core; an asset token reports its own
/// rules with codes 64-255 (`ASSET_CODES_START`) through `_assetRestrictionCode` / `_assetRestrictionMessage`.
/// @dev Codes are stable: new core codes are appended, never renumbered. The order in which checks run is listed
/// in docs/contracts-spec.md; the first failing check is reported.
library RestrictionCodes {
    uint8 internal constant SUCCESS = 0;
    uint8 internal constant PAUSED = 1;
    uint8 internal constant SENDER_NOT_VERIFIED = 2;
    uint8 internal constant RECIPIENT_NOT_VERIFIED = 3;
    uint8 internal constant SENDER_FROZEN = 4;
    uint8 internal constant RECIPIENT_FROZEN = 5;
    uint8 internal constant INSUFFICIENT_UNFROZEN_BALANCE = 6;
    uint8 internal constant COUNTRY_NOT_ALLOWED = 7;
    uint8 internal constant INVESTOR_CLASS_NOT_ALLOWED = 8;
    uint8 internal constant MAX_HOLDERS_REACHED = 9;
    uint8 internal constant MAX_BALANCE_EXCEEDED = 10;
    uint8 internal constant LOCKED_UP = 11;
    uint8 internal constant BELOW_MINIMUM_TRANSFER = 12;
    uint8 internal constant NOT_DENOMINATION_MULTIPLE = 13;
    uint8 internal constant SUPPLY_CAP_EXCEEDED = 14;
    uint8 internal constant SENDER_KYC_EXPIRED = 15;
    uint8 internal constant RECIPIENT_KYC_EXPIRED = 16;
    uint8 internal constant SPENDER_FROZEN = 17;

    /// @notice First code an asset token may use for its own rules.
    uint8 internal constant ASSET_CODES_START = 64;

    /// @notice Human-readable message of a core restriction code.
    /// @param code The restriction code.
    /// @return The message; "unknown restriction code" for codes outside the table.
    function message(uint8 code) internal pure returns (string memory) {
        if (code == SUCCESS) return "transfer allowed";
        if (code == PAUSED) return "token is paused";
        if (code == SENDER_NOT_VERIFIED) return "sender not verified";
        if (code == RECIPIENT_NOT_VERIFIED) return "recipient not verified";
        if (code == SENDER_FROZEN) return "sender address frozen";
        if (code == RECIPIENT_FROZEN) return "recipient address frozen";
        if (code == INSUFFICIENT_UNFROZEN_BALANCE) return "amount exceeds unfrozen balance";
        if (code == COUNTRY_NOT_ALLOWED) return "recipient country not allowed";
        if (code == INVESTOR_CLASS_NOT_ALLOWED) return "recipient investor class not allowed";
        if (code == MAX_HOLDERS_REACHED) return "holder limit reached";
        if (code == MAX_BALANCE_EXCEEDED) return "investor balance limit exceeded";
        if (code == LOCKED_UP) return "tokens are locked up";
        if (code == BELOW_MINIMUM_TRANSFER) return "amount below minimum transfer";
        if (code == NOT_DENOMINATION_MULTIPLE) return "amount not a multiple of the denomination";
        if (code == SUPPLY_CAP_EXCEEDED) return "supply cap exceeded";
        if (code == SENDER_KYC_EXPIRED) return "sender KYC expired";
        if (code == RECIPIENT_KYC_EXPIRED) return "recipient KYC expired";
        if (code == SPENDER_FROZEN) return "spender address frozen";
        return "unknown restriction code";
    }
}
