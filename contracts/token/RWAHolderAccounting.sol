// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RWACompliancePolicy} from "./RWACompliancePolicy.sol";

/// @title Holder accounting of RWAToken
/// @notice Counts investors (registry keys), not wallets: an investor is a holder while at least one of its
/// wallets has a non-zero balance. An omnibus account is one investor; the treasury (key 0) is not counted.
/// @dev Updated only on zero-crossings of a wallet balance, keyed by the wallet's registry key, which the
/// registry never changes for a wallet (a removed wallet keeps its key). No loop over holders anywhere.
abstract contract RWAHolderAccounting is RWACompliancePolicy {
    /// @dev Number of wallets with a non-zero balance per investor key.
    mapping(uint48 key => uint32 fundedWallets) internal _fundedWallets;

    /// @notice Number of wallets of investor `key` holding a non-zero balance.
    /// @param key The registry key of the investor.
    /// @return The number of funded wallets.
    function fundedWallets(uint48 key) external view returns (uint32) {
        return _fundedWallets[key];
    }

    /// @dev A wallet of investor `key` went from a non-zero balance to zero. Call BEFORE the balance changes.
    function _holderLeft(uint48 key) internal {
        if (key == 0) return;
        uint32 n = _fundedWallets[key];
        // Saturating: a wallet funded while unregistered (an ex-treasury later registered) was never counted.
        if (n == 0) return;
        unchecked {
            // n != 0 checked above; holderCount >= 1 while any investor has a funded wallet.
            _fundedWallets[key] = n - 1;
            if (n == 1) --_holderCount;
        }
    }

    /// @dev A wallet of investor `key` went from a zero balance to non-zero. Call BEFORE the balance changes.
    function _holderJoined(uint48 key) internal {
        if (key == 0) return;
        uint32 n = _fundedWallets[key];
        unchecked {
            // Bounded by the number of wallets ever linked to one investor and by the number of investors,
            // both far below 2^32.
            _fundedWallets[key] = n + 1;
            if (n == 0) ++_holderCount;
        }
    }
}
