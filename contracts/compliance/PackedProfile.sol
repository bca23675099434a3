// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Decoder of the one-slot investor profile word
/// @notice Decodes the raw storage word of `IInvestorRegistry.Profile` as returned by `packedProfilesOf`.
/// @dev Solidity packs struct members from the low-order bytes up, in declaration order:
/// key uint48 [0,48) | kycExpiry uint64 [48,112) | country uint16 [112,128) | investorClass uint8 [128,136) |
/// revoked bool [136,144) | omnibus bool [144,152) | retired bool [152,160) | primary bool [160,168). A test checks
/// this against `profileOf`.
library PackedProfile {
    /// @notice The compact investor number (0 = unregistered).
    /// @param word The packed profile.
    /// @return The key.
    function key(uint256 word) internal pure returns (uint48) {
        return uint48(word);
    }

    /// @notice The KYC expiry.
    /// @param word The packed profile.
    /// @return The expiry (unix time).
    function kycExpiry(uint256 word) internal pure returns (uint64) {
        return uint64(word >> 48);
    }

    /// @notice The ISO 3166-1 numeric country.
    /// @param word The packed profile.
    /// @return The country code.
    function country(uint256 word) internal pure returns (uint16) {
        return uint16(word >> 112);
    }

    /// @notice The investor class.
    /// @param word The packed profile.
    /// @return The class (1..3).
    function investorClass(uint256 word) internal pure returns (uint8) {
        return uint8(word >> 128);
    }

    /// @notice The revoked flag.
    /// @param word The packed profile.
    /// @return True if revoked.
    function revoked(uint256 word) internal pure returns (bool) {
        return uint8(word >> 136) != 0;
    }

    /// @notice The omnibus flag.
    /// @param word The packed profile.
    /// @return True if omnibus.
    function omnibus(uint256 word) internal pure returns (bool) {
        return uint8(word >> 144) != 0;
    }

    /// @notice The per-wallet retired flag (the wallet was removed from its investor).
    /// @param word The packed profile.
    /// @return True if retired.
    function retired(uint256 word) internal pure returns (bool) {
        return uint8(word >> 152) != 0;
    }

    /// @notice The per-wallet primary flag (the investor's first wallet).
    /// @param word The packed profile.
    /// @return True if primary.
    function primary(uint256 word) internal pure returns (bool) {
        return uint8(word >> 160) != 0;
    }

    /// @notice Whether the wallet is verified now: registered, not revoked, not retired, KYC not expired.
    /// @param word The packed profile.
    /// @return True if verified.
    function verified(uint256 word) internal view returns (bool) {
        // key != 0, revoked byte and retired byte clear, expiry in the future.
        return uint48(word) != 0 && word & (0xff << 136 | 0xff << 152) == 0 && uint64(word >> 48) > block.timestamp;
    }

    /// @notice Whether the wallet is admitted now, and if not, why: 0 verified, 1 never registered, revoked or
    /// retired, 2 registered and admitted but its KYC has expired.
    /// @param word The packed profile.
    /// @return 0, 1 or 2.
    function verification(uint256 word) internal view returns (uint8) {
        if (uint48(word) == 0 || uint8(word >> 136) != 0 || uint8(word >> 152) != 0) return 1;
        return uint64(word >> 48) > block.timestamp ? 0 : 2;
    }
}
