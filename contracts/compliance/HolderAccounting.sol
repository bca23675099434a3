// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvestorRegistry} from "../interfaces/IInvestorRegistry.sol";
import {AccountWord} from "./AccountWord.sol";
import {PackedProfile} from "./PackedProfile.sol";
import {TokenStorage} from "./TokenStorage.sol";

/// @title Holder accounting of the compliance token
/// @notice Counts investors, not wallets: an investor is a holder while any of its COUNTED wallets has a balance.
/// An omnibus account is one investor; an unregistered wallet (the treasury, usually) is not counted.
/// @dev No loop over holders and no extra slot per investor. Each wallet's word records whether its balance is
/// counted (COUNTED), and the investor's primary wallet's word counts its other counted wallets. A wallet's
/// registry key never changes, so a counted wallet is always uncounted under the same investor: no registry change
/// can make the count drift. A wallet funded while unregistered is counted the next time its balance changes after
/// it is registered. Single-wallet investors never touch any slot but their own account word.
library HolderAccounting {
    using AccountWord for uint256;
    using PackedProfile for uint256;

    /// @notice Brings the holder accounting of a wallet in line with its new balance.
    /// @param $ The storage.
    /// @param registry The investor registry.
    /// @param word The wallet's account word, new balance included (the caller stores the returned word).
    /// @param profile The wallet's packed registry profile.
    /// @return The account word.
    function settle(TokenStorage.Layout storage $, IInvestorRegistry registry, uint256 word, uint256 profile)
        internal
        returns (uint256)
    {
        if (word.counted()) {
            if (word.balance() == 0) return _left($, registry, word, profile);
        } else if (word.balance() != 0 && profile.key() != 0) {
            return _joined($, registry, word, profile);
        }
        return word;
    }

    /// @notice Whether the investor of a wallet is a holder now.
    /// @param $ The storage.
    /// @param registry The investor registry.
    /// @param word The wallet's account word.
    /// @param profile The wallet's packed registry profile (registered).
    /// @return True if the investor holds tokens in a counted wallet.
    function investorHolds(TokenStorage.Layout storage $, IInvestorRegistry registry, uint256 word, uint256 profile)
        internal
        view
        returns (bool)
    {
        if (word.counted()) return true;
        if (profile.primary()) return word.secondaries() != 0;
        return $.accounts[registry.primaryWalletOfKey(profile.key())].investorHolds();
    }

    /// @notice Whether sending `amount` from a wallet ends its investor's holding.
    /// @param $ The storage.
    /// @param registry The investor registry.
    /// @param word The wallet's account word.
    /// @param profile The wallet's packed registry profile.
    /// @param amount The amount sent.
    /// @return True if the investor stops being a holder.
    function investorLeaves(
        TokenStorage.Layout storage $,
        IInvestorRegistry registry,
        uint256 word,
        uint256 profile,
        uint256 amount
    ) internal view returns (bool) {
        if (!word.counted() || word.balance() != amount) return false;
        if (profile.primary()) return word.secondaries() == 0;
        uint256 primaryWord = $.accounts[registry.primaryWalletOfKey(profile.key())];
        return !primaryWord.counted() && primaryWord.secondaries() == 1;
    }

    function _joined(TokenStorage.Layout storage $, IInvestorRegistry registry, uint256 word, uint256 profile)
        private
        returns (uint256)
    {
        bool wasHolder;
        if (profile.primary()) {
            wasHolder = word.secondaries() != 0;
        } else {
            address primary = registry.primaryWalletOfKey(profile.key());
            uint256 primaryWord = $.accounts[primary];
            wasHolder = primaryWord.investorHolds();
            unchecked {
                // At most MAX_WALLETS_PER_INVESTOR - 1 (15) other wallets: the 8-bit field never overflows.
                $.accounts[primary] = primaryWord + AccountWord.ONE_SECONDARY;
            }
        }
        if (!wasHolder) {
            unchecked {
                // Bounded by the number of investors, far below 2^32.
                ++$.holderCount;
            }
        }
        return word | AccountWord.COUNTED;
    }

    function _left(TokenStorage.Layout storage $, IInvestorRegistry registry, uint256 word, uint256 profile)
        private
        returns (uint256)
    {
        word &= ~AccountWord.COUNTED;
        bool stillHolder;
        if (profile.primary()) {
            stillHolder = word.secondaries() != 0;
        } else {
            address primary = registry.primaryWalletOfKey(profile.key());
            uint256 primaryWord;
            unchecked {
                // A secondary is COUNTED only after incrementing its primary's field, so the field is >= 1 here.
                primaryWord = $.accounts[primary] - AccountWord.ONE_SECONDARY;
            }
            $.accounts[primary] = primaryWord;
            stillHolder = primaryWord.investorHolds();
        }
        if (!stillHolder) {
            unchecked {
                // This investor was counted, so holderCount >= 1.
                --$.holderCount;
            }
        }
        return word;
    }
}
