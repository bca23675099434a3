// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The per-wallet word of the compliance token
/// @notice One storage word per wallet holds its balance and everything a transfer needs to know about the wallet:
///   bits [0,128)   balance (total supply is capped at 2^128 - 1, so no balance overflows it)
///   bit  128       FROZEN: the whole address is frozen (ERC-3643 `setAddressFrozen`)
///   bit  129       HAS_FROZEN_AMOUNT: a partial freeze is stored in `frozenAmounts` (read only when set)
///   bit  130       COUNTED: the wallet's balance is counted toward its investor in holder accounting
///   bits [136,144) on an investor's primary wallet: how many of its other wallets are COUNTED
///   bits [160,256) 96 bits an asset token keeps per holder (`_onHolderUpdate`), e.g. a coupon accrual
/// @dev Packing these with the balance is why the token keeps its own balance storage instead of OpenZeppelin's
/// private `_balances`: freeze checks, holder accounting and per-holder asset state then cost no extra storage
/// read on a transfer. The ERC-20 behaviour and events are OpenZeppelin's (see `ComplianceEngine._update`).
library AccountWord {
    uint256 internal constant BALANCE_MASK = type(uint128).max;
    uint256 internal constant FROZEN = 1 << 128;
    uint256 internal constant HAS_FROZEN_AMOUNT = 1 << 129;
    uint256 internal constant COUNTED = 1 << 130;
    uint256 internal constant SECONDARIES_SHIFT = 136;
    uint256 internal constant ONE_SECONDARY = 1 << 136;
    uint256 internal constant ASSET_SHIFT = 160;
    uint256 internal constant ASSET_MASK = type(uint96).max;

    /// @notice The balance.
    /// @param word The account word.
    /// @return The balance.
    function balance(uint256 word) internal pure returns (uint256) {
        return word & BALANCE_MASK;
    }

    /// @notice The word with another balance (`value` must fit 128 bits).
    /// @param word The account word.
    /// @param value The new balance.
    /// @return The new word.
    function withBalance(uint256 word, uint256 value) internal pure returns (uint256) {
        return (word & ~BALANCE_MASK) | value;
    }

    /// @notice Whether the address is frozen.
    /// @param word The account word.
    /// @return True if frozen.
    function frozen(uint256 word) internal pure returns (bool) {
        return word & FROZEN != 0;
    }

    /// @notice Whether a partial freeze is stored for the wallet.
    /// @param word The account word.
    /// @return True if a frozen amount is stored.
    function hasFrozenAmount(uint256 word) internal pure returns (bool) {
        return word & HAS_FROZEN_AMOUNT != 0;
    }

    /// @notice Whether the wallet is counted in holder accounting.
    /// @param word The account word.
    /// @return True if counted.
    function counted(uint256 word) internal pure returns (bool) {
        return word & COUNTED != 0;
    }

    /// @notice On a primary wallet: the number of the investor's other wallets that are counted.
    /// @param word The account word.
    /// @return The count.
    function secondaries(uint256 word) internal pure returns (uint256) {
        return uint8(word >> SECONDARIES_SHIFT);
    }

    /// @notice On a primary wallet: whether its investor holds tokens in any counted wallet.
    /// @param word The primary wallet's account word.
    /// @return True if the investor is a holder.
    function investorHolds(uint256 word) internal pure returns (bool) {
        return word & (COUNTED | (uint256(type(uint8).max) << SECONDARIES_SHIFT)) != 0;
    }

    /// @notice The asset's 96 bits.
    /// @param word The account word.
    /// @return The asset data.
    function assetData(uint256 word) internal pure returns (uint256) {
        return word >> ASSET_SHIFT;
    }

    /// @notice The word with other asset data (truncated to 96 bits).
    /// @param word The account word.
    /// @param data The new asset data.
    /// @return The new word.
    function withAssetData(uint256 word, uint256 data) internal pure returns (uint256) {
        return (word & ((1 << ASSET_SHIFT) - 1)) | ((data & ASSET_MASK) << ASSET_SHIFT);
    }
}
