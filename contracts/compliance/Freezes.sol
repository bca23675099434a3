// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7943Fungible} from "../interfaces/IERC7943Fungible.sol";
import {IRWATokenAdmin} from "../interfaces/IRWATokenAdmin.sol";
import {AccountWord} from "./AccountWord.sol";
import {ZeroAddress} from "./Errors.sol";
import {TokenStorage} from "./TokenStorage.sol";

/// @title Freezes of the compliance token (ERC-3643 names, ERC-7943 semantics)
/// @notice An address freeze is a bit of the wallet's account word; a partial freeze is an amount in
/// `frozenAmounts`, flagged in the account word so that a transfer reads it only for a sender that has one.
/// The frozen amount may exceed the balance (ERC-7943: future receipts are withheld); a forced transfer or burn
/// takes unfrozen tokens first and releases only what it takes beyond them, keeping any excess.
/// @dev Used by the token (forced transfers, burns, recovery) and by the administration module (agent actions).
library Freezes {
    using AccountWord for uint256;

    /// @notice Freezes or unfreezes a whole address; emits `AddressFrozen`.
    /// @param $ The storage.
    /// @param user The wallet.
    /// @param freeze True to freeze.
    function setAddressFrozen(TokenStorage.Layout storage $, address user, bool freeze) internal {
        if (user == address(0)) revert ZeroAddress();
        uint256 word = $.accounts[user];
        $.accounts[user] = freeze ? word | AccountWord.FROZEN : word & ~AccountWord.FROZEN;
        emit IRWATokenAdmin.AddressFrozen(user, freeze, msg.sender);
    }

    /// @notice The frozen amount of a wallet, read only when its word says it has one.
    /// @param $ The storage.
    /// @param account The wallet.
    /// @param word Its account word.
    /// @return The frozen amount.
    function frozenAmount(TokenStorage.Layout storage $, address account, uint256 word)
        internal
        view
        returns (uint256)
    {
        return word.hasFrozenAmount() ? $.frozenAmounts[account] : 0;
    }

    /// @notice The single writer of a frozen amount. Emits the change as ERC-3643 `TokensFrozen` / `TokensUnfrozen`
    /// (nothing when it does not change), then ERC-7943 `Frozen` with the new total, so both event streams always add
    /// up to the stored amount.
    /// @param $ The storage.
    /// @param account The wallet.
    /// @param word Its account word (the caller stores the returned word).
    /// @param oldAmount Its frozen amount now.
    /// @param newAmount The new frozen amount.
    /// @return The account word with its HAS_FROZEN_AMOUNT bit updated.
    function writeFrozenAmount(
        TokenStorage.Layout storage $,
        address account,
        uint256 word,
        uint256 oldAmount,
        uint256 newAmount
    ) internal returns (uint256) {
        $.frozenAmounts[account] = newAmount;
        unchecked {
            // Each difference is taken in the direction that does not underflow.
            if (newAmount > oldAmount) emit IRWATokenAdmin.TokensFrozen(account, newAmount - oldAmount);
            else if (newAmount < oldAmount) emit IRWATokenAdmin.TokensUnfrozen(account, oldAmount - newAmount);
        }
        emit IERC7943Fungible.Frozen(account, newAmount);
        return newAmount == 0 ? word & ~AccountWord.HAS_FROZEN_AMOUNT : word | AccountWord.HAS_FROZEN_AMOUNT;
    }

    /// @notice Before a forced transfer or burn of `value` from `account`: releases the part of `value` that exceeds
    /// the unfrozen balance (`TokensUnfrozen`, then `Frozen`, both before the ERC-20 `Transfer`). An amount above
    /// the balance is left to `ERC20InsufficientBalance`.
    /// @param $ The storage.
    /// @param account The holder.
    /// @param word Its account word (the caller stores the returned word).
    /// @param value The amount taken.
    /// @return The account word.
    function releaseForSeizure(TokenStorage.Layout storage $, address account, uint256 word, uint256 value)
        internal
        returns (uint256)
    {
        uint256 balance = word.balance();
        if (!word.hasFrozenAmount() || value > balance) return word;
        uint256 frozen = $.frozenAmounts[account];
        uint256 released;
        unchecked {
            // unfrozen = balance - frozen when positive; value <= balance, so released <= frozen.
            uint256 unfrozen = balance > frozen ? balance - frozen : 0;
            if (value <= unfrozen) return word;
            released = value - unfrozen;
        }
        unchecked {
            return writeFrozenAmount($, account, word, frozen, frozen - released);
        }
    }
}
