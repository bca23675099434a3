// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7943Fungible} from "../interfaces/IERC7943Fungible.sol";
import {RWACompliancePolicy} from "./RWACompliancePolicy.sol";

/// @title Freezing of wallets and of partial amounts (ERC-3643 names, ERC-7943 semantics)
/// @notice AGENT_ROLE freezes a whole address (it can neither send nor receive) or part of a balance.
/// @dev Per-wallet state fits ONE slot so a transfer reads one slot per side. Gas: the number of wallets with any
/// freeze state is counted, and while it is zero the `FLAG_FREEZES` rule flag is clear and transfers skip both
/// wallet-state reads (4,200 gas). Every write of a `WalletState` goes through `_storeWalletState`.
abstract contract RWAFreezable is RWACompliancePolicy, IERC7943Fungible {
    /// @notice Per-wallet freeze state (one slot).
    /// @param frozenAmount Tokens of the wallet that cannot be moved by the holder (may exceed the balance).
    /// @param frozen Whether the whole address is frozen.
    struct WalletState {
        uint248 frozenAmount;
        bool frozen;
    }

    mapping(address wallet => WalletState) internal _walletStates;
    /// @dev Number of wallets whose `WalletState` is non-zero (frozen flag or frozen amount).
    uint256 private _walletsWithFreezeState;

    /// @notice Emitted when an address is frozen or unfrozen.
    /// @param user The wallet.
    /// @param isFrozen The new status.
    /// @param owner The agent who made the change.
    event AddressFrozen(address indexed user, bool indexed isFrozen, address indexed owner);
    /// @notice Emitted when part of a balance is frozen (followed by `Frozen` with the new total).
    /// @param user The wallet.
    /// @param amount The amount added to the frozen amount.
    event TokensFrozen(address indexed user, uint256 amount);
    /// @notice Emitted when part of a frozen amount is released (followed by `Frozen` with the new total).
    /// @param user The wallet.
    /// @param amount The amount released.
    event TokensUnfrozen(address indexed user, uint256 amount);

    /// @notice `freezePartialTokens` would freeze more than the balance.
    error FreezeExceedsBalance(address account, uint256 balance, uint256 frozenAfter);
    /// @notice `unfreezePartialTokens` would release more than is frozen.
    error UnfreezeExceedsFrozen(address account, uint256 frozen, uint256 amount);
    /// @notice The frozen amount does not fit uint248.
    error FrozenAmountTooLarge(uint256 amount);

    // ------------------------------------------------------------------ agent actions

    /// @notice Freezes or unfreezes a whole address.
    /// @param user The wallet.
    /// @param freeze True to freeze.
    function setAddressFrozen(address user, bool freeze) external onlyRole(AGENT_ROLE) {
        _setAddressFrozen(user, freeze);
    }

    /// @notice Freezes `amount` more tokens of `user`; the frozen total may not exceed the balance.
    /// @param user The wallet.
    /// @param amount The amount to add to the frozen amount.
    function freezePartialTokens(address user, uint256 amount) external onlyRole(AGENT_ROLE) {
        _freezePartialTokens(user, amount);
    }

    /// @notice Releases `amount` of the frozen tokens of `user`.
    /// @param user The wallet.
    /// @param amount The amount to release.
    function unfreezePartialTokens(address user, uint256 amount) external onlyRole(AGENT_ROLE) {
        _unfreezePartialTokens(user, amount);
    }

    /// @notice ERC-7943: sets the absolute frozen amount of `account` (may exceed the balance).
    /// @param account The wallet.
    /// @param amount The new frozen amount (at most 2^248 - 1).
    /// @return result Always true (reverts on failure).
    function setFrozenTokens(address account, uint256 amount) external onlyRole(AGENT_ROLE) returns (bool result) {
        if (account == address(0)) revert ZeroAddress();
        _writeFrozenAmount(account, amount);
        return true;
    }

    /// @notice Batch form of `setAddressFrozen` (all-or-nothing).
    /// @param users Wallets.
    /// @param freeze Flags.
    function batchSetAddressFrozen(address[] calldata users, bool[] calldata freeze) external onlyRole(AGENT_ROLE) {
        uint256 n = users.length;
        if (freeze.length != n) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _setAddressFrozen(users[i], freeze[i]);
        }
    }

    /// @notice Batch form of `freezePartialTokens` (all-or-nothing).
    /// @param users Wallets.
    /// @param amounts Amounts.
    function batchFreezePartialTokens(address[] calldata users, uint256[] calldata amounts)
        external
        onlyRole(AGENT_ROLE)
    {
        uint256 n = users.length;
        if (amounts.length != n) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _freezePartialTokens(users[i], amounts[i]);
        }
    }

    /// @notice Batch form of `unfreezePartialTokens` (all-or-nothing).
    /// @param users Wallets.
    /// @param amounts Amounts.
    function batchUnfreezePartialTokens(address[] calldata users, uint256[] calldata amounts)
        external
        onlyRole(AGENT_ROLE)
    {
        uint256 n = users.length;
        if (amounts.length != n) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _unfreezePartialTokens(users[i], amounts[i]);
        }
    }

    // ------------------------------------------------------------------ views

    /// @notice ERC-7943 / ERC-3643: the frozen amount of `account` (may exceed its balance).
    /// @param account The wallet.
    /// @return amount The frozen amount.
    function getFrozenTokens(address account) external view returns (uint256 amount) {
        return _walletStates[account].frozenAmount;
    }

    /// @notice ERC-3643: whether the whole address is frozen.
    /// @param account The wallet.
    /// @return True if frozen.
    function isFrozen(address account) external view returns (bool) {
        return _walletStates[account].frozen;
    }

    /// @notice Number of wallets with an address freeze or a non-zero frozen amount. While it is zero,
    /// transfers skip the per-wallet freeze reads.
    /// @return The number of wallets.
    function walletsWithFreezeState() external view returns (uint256) {
        return _walletsWithFreezeState;
    }

    // ------------------------------------------------------------------ internals

    function _setAddressFrozen(address user, bool freeze) internal {
        if (user == address(0)) revert ZeroAddress();
        _storeWalletState(user, _walletStates[user].frozenAmount, freeze);
        emit AddressFrozen(user, freeze, _msgSender());
    }

    function _freezePartialTokens(address user, uint256 amount) private {
        if (user == address(0)) revert ZeroAddress();
        uint256 balance = balanceOf(user);
        uint256 frozenBefore = _walletStates[user].frozenAmount;
        // Checked addition: overflow reverts (a frozen amount that large cannot be within the balance anyway).
        uint256 frozenAfter = frozenBefore + amount;
        if (frozenAfter > balance) revert FreezeExceedsBalance(user, balance, frozenAfter);
        emit TokensFrozen(user, amount);
        _writeFrozenAmount(user, frozenAfter);
    }

    function _unfreezePartialTokens(address user, uint256 amount) private {
        if (user == address(0)) revert ZeroAddress();
        uint256 frozenBefore = _walletStates[user].frozenAmount;
        if (amount > frozenBefore) revert UnfreezeExceedsFrozen(user, frozenBefore, amount);
        emit TokensUnfrozen(user, amount);
        unchecked {
            // amount <= frozenBefore checked above.
            _writeFrozenAmount(user, frozenBefore - amount);
        }
    }

    /// @dev Single writer of `frozenAmount`; always emits the ERC-7943 `Frozen` event with the new total.
    function _writeFrozenAmount(address account, uint256 amount) internal {
        if (amount > type(uint248).max) revert FrozenAmountTooLarge(amount);
        _storeWalletState(account, uint248(amount), _walletStates[account].frozen);
        emit Frozen(account, amount);
    }

    /// @dev Single writer of `WalletState`; keeps `_walletsWithFreezeState` and `FLAG_FREEZES` in step.
    function _storeWalletState(address account, uint248 frozenAmount, bool frozen) private {
        WalletState storage s = _walletStates[account];
        bool hadState = s.frozenAmount != 0 || s.frozen;
        bool hasState = frozenAmount != 0 || frozen;
        s.frozenAmount = frozenAmount;
        s.frozen = frozen;
        if (hadState == hasState) return;
        uint256 n = _walletsWithFreezeState;
        unchecked {
            // Incremented only when a wallet gains state and decremented only when one loses it, so n >= 1 then.
            n = hasState ? n + 1 : n - 1;
        }
        _walletsWithFreezeState = n;
        _setFlag(FLAG_FREEZES, n != 0);
    }

    /// @dev Burns and forced transfers may take frozen tokens: lower the frozen amount to what remains, first,
    /// so that `Frozen` is emitted before the ERC-20 `Transfer` event (ERC-7943). Amounts above the balance are
    /// left to OpenZeppelin's `ERC20InsufficientBalance`.
    function _releaseFrozenFor(address account, uint256 value, uint256 balance) internal {
        uint256 frozenAmount = _walletStates[account].frozenAmount;
        if (frozenAmount == 0 || value == 0 || value > balance) return;
        uint256 remaining;
        unchecked {
            // value <= balance checked above.
            remaining = balance - value;
        }
        if (frozenAmount > remaining) _writeFrozenAmount(account, remaining);
    }
}
