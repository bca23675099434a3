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

    /// @dev Call BEFORE balances change. `fromBalance`/`toBalance` are the balances before the update.
    /// Skips mint/burn zero addresses, zero amounts and self-transfers.
    function _trackHolders(
        address from,
        address to,
        uint256 value,
        uint256 fromBalance,
        uint256 toBalance,
        uint48 fromKey,
        uint48 toKey
    ) internal {
        if (value == 0 || from == to) return;
        if (fromKey != 0 && from != address(0) && fromBalance == value) {
            uint32 n = _fundedWallets[fromKey];
            // Saturating: a wallet that was funded while unregistered (an ex-treasury) was never counted.
            if (n != 0) {
                unchecked {
                    // n != 0 checked above.
                    _fundedWallets[fromKey] = n - 1;
                    // holderCount >= 1 while any investor has a funded wallet.
                    if (n == 1) --_holderCount;
                }
            }
        }
        if (toKey != 0 && to != address(0) && toBalance == 0) {
            uint32 n = _fundedWallets[toKey];
            unchecked {
                // Bounded by the number of wallets ever linked to one investor, far below 2^32;
                // holderCount is bounded by the number of registry keys with a funded wallet.
                _fundedWallets[toKey] = n + 1;
                if (n == 0) ++_holderCount;
            }
        }
    }
}
