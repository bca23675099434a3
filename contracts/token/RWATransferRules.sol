// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1404} from "../interfaces/IERC1404.sol";
import {IInvestorRegistry} from "../interfaces/IInvestorRegistry.sol";
import {PackedProfile} from "../compliance/PackedProfile.sol";
import {RestrictionCodes} from "../compliance/RestrictionCodes.sol";
import {RWAHolderAccounting} from "./RWAHolderAccounting.sol";
import {RWAFreezable} from "./RWAFreezable.sol";

/// @title Transfer restriction engine of RWAToken (ERC-1404 + ERC-7943 views)
/// @notice EVERY balance change (mint, burn, transfer, transferFrom, permit + transferFrom, forced transfer,
/// recovery) goes through the single `_update` override below, and one internal view, `_restrictionCode`, decides
/// for `_update`, `detectTransferRestriction` and `canTransfer` alike, so they can never disagree.
/// @dev Hot-path reads: one registry call (`packedProfilesOf`, one slot per wallet), the config slot shared with
/// `Pausable._paused`, one `WalletState` slot per side (only while some wallet has freeze state), and the
/// country status (only while a country rule is on).
abstract contract RWATransferRules is RWAHolderAccounting, RWAFreezable, IERC1404 {
    using PackedProfile for uint256;

    /// @dev Operation kinds. FORCED and RECOVERY are set in transient storage by the privileged entry points;
    /// MINT / BURN / TRANSFER are recognised from the zero address.
    uint8 internal constant OP_TRANSFER = 1;
    uint8 internal constant OP_MINT = 2;
    uint8 internal constant OP_BURN = 3;
    uint8 internal constant OP_FORCED = 4;
    uint8 internal constant OP_RECOVERY = 5;

    uint256 private constant _FROZEN_AMOUNT_MASK = type(uint248).max;

    /// @notice The shared KYC registry (immutable: read without a storage access).
    IInvestorRegistry public immutable registry;

    /// @dev Operation marker for the privileged paths (FORCED / RECOVERY); 0 outside them.
    uint8 internal transient _privilegedOp;

    /// @notice A transfer, mint or agent action was refused with an ERC-1404 restriction `code`.
    error TransferRestricted(address from, address to, uint256 amount, uint8 code);
    /// @notice The registry address has no code.
    error InvalidRegistry(address registry);
    /// @notice The registry returned less data than two profile words.
    error InvalidRegistryResponse();

    /// @param registry_ The investor registry.
    constructor(IInvestorRegistry registry_) {
        if (address(registry_).code.length == 0) revert InvalidRegistry(address(registry_));
        registry = registry_;
    }

    // ------------------------------------------------------------------ ERC-1404 / ERC-7943 views

    /// @notice ERC-1404: restriction code of a transfer (0 = allowed). `from == 0` evaluates a mint.
    /// @dev Never reverts. Plain balance shortfalls are not restrictions (ERC-20 reports them).
    /// @param from The sender (zero for a mint).
    /// @param to The recipient.
    /// @param value The amount.
    /// @return The restriction code (see `RestrictionCodes`).
    function detectTransferRestriction(address from, address to, uint256 value) public view returns (uint8) {
        (uint8 code,,) = _restrictionCode(from == address(0) ? OP_MINT : OP_TRANSFER, from, to, value);
        return code;
    }

    /// @notice ERC-1404: message of a restriction code.
    /// @param restrictionCode The code.
    /// @return The message ("unknown restriction code" outside the table).
    function messageForTransferRestriction(uint8 restrictionCode) external pure returns (string memory) {
        return RestrictionCodes.message(restrictionCode);
    }

    /// @notice ERC-7943: whether the transfer is currently allowed (`detectTransferRestriction == 0`).
    /// @param from The sender.
    /// @param to The recipient.
    /// @param amount The amount.
    /// @return allowed True if allowed.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool allowed) {
        return detectTransferRestriction(from, to, amount) == RestrictionCodes.SUCCESS;
    }

    /// @notice ERC-7943: whether `account` may send at all: any wallet whose address is not frozen.
    /// @dev A holder who lost eligibility (KYC expired, revoked, unregistered) may still exit to the treasury,
    /// so it can send, but only there: `canTransfer` / `detectTransferRestriction` (code 2) say so for any
    /// other recipient. ERC-7943 requires a public transfer to fail wherever `canSend` is false, which a
    /// KYC-only `canSend` would contradict for that exit.
    /// @param account The wallet.
    /// @return allowed True if it may send.
    function canSend(address account) external view returns (bool allowed) {
        return !_walletStates[account].frozen;
    }

    /// @notice ERC-7943: a wallet whose address is not frozen and that is the treasury, or verified with its
    /// country and class admitted.
    /// @param account The wallet.
    /// @return allowed True if it may receive.
    function canReceive(address account) external view returns (bool allowed) {
        if (_walletStates[account].frozen) return false;
        if (account == _treasury) return true;
        (uint256 p,) = _profiles(account, address(0));
        return p.verified() && _recipientCode(_ruleFlags, _requiredClasses, p) == RestrictionCodes.SUCCESS;
    }

    /// @notice Balance of an investor summed over its current wallets.
    /// @param id The investor id.
    /// @return total The balance.
    function investorBalance(bytes32 id) external view returns (uint256 total) {
        return _sumBalances(registry.walletsOf(id));
    }

    // ------------------------------------------------------------------ the one balance hook

    /// @dev The single place every balance change meets its checks.
    function _update(address from, address to, uint256 value) internal virtual override {
        uint8 op = _privilegedOp;
        if (op == 0) op = from == address(0) ? OP_MINT : (to == address(0) ? OP_BURN : OP_TRANSFER);

        uint256 pFrom;
        uint256 pTo;
        if (op != OP_BURN) {
            uint8 code;
            (code, pFrom, pTo) = _restrictionCode(op, from, to, value);
            if (code != RestrictionCodes.SUCCESS) _revertRestricted(from, to, value, code);
        }

        // Effects before OpenZeppelin moves the balance (and emits `Transfer`).
        if (from != address(0)) {
            uint256 fromBalance = balanceOf(from);
            // Burns and forced transfers may dip into frozen tokens: `Frozen` is emitted before `Transfer`.
            if (op == OP_BURN || op == OP_FORCED) _releaseFrozenFor(from, value, fromBalance);
            if (fromBalance == value && value != 0 && from != to) {
                // A burn has no restriction check, so it fetches the holder's key only when it is needed.
                if (op == OP_BURN) (pFrom,) = _profiles(from, address(0));
                _holderLeft(uint48(pFrom));
            }
        }
        if (to != address(0) && value != 0 && from != to && balanceOf(to) == 0) _holderJoined(uint48(pTo));

        super._update(from, to, value);
    }

    // ------------------------------------------------------------------ the one restriction engine

    /// @dev Returns the first failing restriction code for operation `op`, plus the two packed profiles
    /// (so `_update` does not call the registry twice). Never reverts.
    function _restrictionCode(uint8 op, address from, address to, uint256 amount)
        internal
        view
        returns (uint8 code, uint256 pFrom, uint256 pTo)
    {
        (pFrom, pTo) = _profiles(from, to);
        if (op == OP_TRANSFER) {
            code = _transferCode(from, to, amount, pFrom, pTo);
        } else if (op == OP_MINT) {
            code = _mintCode(to, amount, pTo);
        } else if (op != OP_BURN) {
            // FORCED / RECOVERY: ignore pause, freezes, lock-up and rules, but the recipient must be eligible.
            if (to != _treasury && !pTo.verified()) code = RestrictionCodes.RECIPIENT_NOT_VERIFIED;
        }
        // BURN: no restriction (privileged; allowed while paused and for frozen or unverified holders).
    }

    function _transferCode(address from, address to, uint256 amount, uint256 pFrom, uint256 pTo)
        private
        view
        returns (uint8)
    {
        (bool isPaused, address treasury_, uint64 lockup, uint8 classes, uint8 flags) = _hotConfig();
        if (isPaused) return RestrictionCodes.PAUSED;
        bool toTreasury = to == treasury_;
        if (!toTreasury) {
            // Sender verification is waived for exits to the treasury; the treasury itself is exempt.
            if (from != treasury_ && !pFrom.verified()) return RestrictionCodes.SENDER_NOT_VERIFIED;
            if (!pTo.verified()) return RestrictionCodes.RECIPIENT_NOT_VERIFIED;
        }
        if (flags & FLAG_FREEZES != 0) {
            uint8 code = _freezeCode(from, to, amount);
            if (code != RestrictionCodes.SUCCESS) return code;
        }
        if (!toTreasury && flags | classes != 0) {
            uint8 code = _recipientCode(flags, classes, pTo);
            if (code != RestrictionCodes.SUCCESS) return code;
            if (flags & FLAG_MAX_HOLDERS != 0 && _exceedsMaxHolders(from, to, amount, uint48(pFrom), uint48(pTo))) {
                return RestrictionCodes.MAX_HOLDERS_REACHED;
            }
            if (flags & FLAG_MAX_BALANCE != 0 && uint48(pFrom) != uint48(pTo) && _exceedsMaxBalance(amount, pTo)) {
                return RestrictionCodes.MAX_BALANCE_EXCEEDED;
            }
        }
        if (block.timestamp < lockup) return RestrictionCodes.LOCKED_UP;
        if (!toTreasury && flags & (FLAG_MIN_TRANSFER | FLAG_DENOMINATION) != 0) return _amountCode(flags, amount);
        return RestrictionCodes.SUCCESS;
    }

    function _mintCode(address to, uint256 amount, uint256 pTo) private view returns (uint8) {
        (bool isPaused, address treasury_,, uint8 classes, uint8 flags) = _hotConfig();
        if (isPaused) return RestrictionCodes.PAUSED;
        bool toTreasury = to == treasury_;
        if (!toTreasury && !pTo.verified()) return RestrictionCodes.RECIPIENT_NOT_VERIFIED;
        if (flags & FLAG_FREEZES != 0 && _walletWord(to) >> 248 != 0) return RestrictionCodes.RECIPIENT_FROZEN;
        if (!toTreasury) {
            uint8 code = _recipientCode(flags, classes, pTo);
            if (code != RestrictionCodes.SUCCESS) return code;
            if (flags & FLAG_MAX_HOLDERS != 0 && _exceedsMaxHolders(address(0), to, amount, 0, uint48(pTo))) {
                return RestrictionCodes.MAX_HOLDERS_REACHED;
            }
            if (flags & FLAG_MAX_BALANCE != 0 && _exceedsMaxBalance(amount, pTo)) {
                return RestrictionCodes.MAX_BALANCE_EXCEEDED;
            }
            code = _amountCode(flags, amount);
            if (code != RestrictionCodes.SUCCESS) return code;
        }
        if (flags & FLAG_SUPPLY_CAP != 0) {
            uint256 cap = _supplyCap;
            uint256 supply = totalSupply();
            if (supply > cap || amount > cap - supply) return RestrictionCodes.SUPPLY_CAP_EXCEEDED;
        }
        return RestrictionCodes.SUCCESS;
    }

    /// @dev Codes 4, 5 and 6. Code 6 applies only when the amount is within the balance: above it, ERC-20
    /// reports the shortfall (ERC-7943: canTransfer must not fail for plain balance reasons).
    function _freezeCode(address from, address to, uint256 amount) private view returns (uint8) {
        uint256 fromState = _walletWord(from);
        if (fromState >> 248 != 0) return RestrictionCodes.SENDER_FROZEN;
        if (_walletWord(to) >> 248 != 0) return RestrictionCodes.RECIPIENT_FROZEN;
        uint256 frozenAmount = fromState & _FROZEN_AMOUNT_MASK;
        if (frozenAmount != 0) {
            uint256 balance = balanceOf(from);
            if (amount <= balance && amount > _unfrozen(balance, frozenAmount)) {
                return RestrictionCodes.INSUFFICIENT_UNFROZEN_BALANCE;
            }
        }
        return RestrictionCodes.SUCCESS;
    }

    /// @dev Codes 7 and 8: recipient country and class. Reads the country status only if a country rule is on.
    function _recipientCode(uint8 flags, uint8 classes, uint256 pTo) internal view returns (uint8) {
        if (flags & (FLAG_COUNTRY_ALLOWLIST | FLAG_COUNTRY_BLOCKLIST) != 0) {
            uint8 status = _countryStatus[pTo.country()];
            if (status == COUNTRY_BLOCKED || (flags & FLAG_COUNTRY_ALLOWLIST != 0 && status != COUNTRY_ALLOWED)) {
                return RestrictionCodes.COUNTRY_NOT_ALLOWED;
            }
        }
        if (classes != 0 && (classes >> pTo.investorClass()) & 1 == 0) {
            return RestrictionCodes.INVESTOR_CLASS_NOT_ALLOWED;
        }
        return RestrictionCodes.SUCCESS;
    }

    /// @dev Codes 12 and 13.
    function _amountCode(uint8 flags, uint256 amount) private view returns (uint8) {
        if (flags & FLAG_MIN_TRANSFER != 0 && amount < _minimumTransfer) return RestrictionCodes.BELOW_MINIMUM_TRANSFER;
        if (flags & FLAG_DENOMINATION != 0 && amount % _denomination != 0) {
            return RestrictionCodes.NOT_DENOMINATION_MULTIPLE;
        }
        return RestrictionCodes.SUCCESS;
    }

    /// @dev Code 9: the transfer creates a new holder (recipient investor has no funded wallet) while no holder
    /// leaves (the sender's last funded wallet of a different investor emptied), and the count is at the cap.
    function _exceedsMaxHolders(address from, address to, uint256 amount, uint48 fromKey, uint48 toKey)
        private
        view
        returns (bool)
    {
        if (amount == 0 || from == to || toKey == 0) return false;
        if (balanceOf(to) != 0 || _fundedWallets[toKey] != 0) return false;
        if (
            from != address(0) && fromKey != 0 && fromKey != toKey && balanceOf(from) == amount
                && _fundedWallets[fromKey] == 1
        ) return false;
        return _holderCount >= _maxHolders;
    }

    /// @dev Code 10: recipient investor's total over all its wallets, computed on demand (never stored, so it
    /// cannot drift). Omnibus accounts are exempt. The caller skips transfers between wallets of one investor.
    function _exceedsMaxBalance(uint256 amount, uint256 pTo) private view returns (bool) {
        if (pTo.omnibus()) return false;
        uint256 maxBalance = _maxBalancePerInvestor;
        if (amount > maxBalance) return true;
        unchecked {
            // amount <= maxBalance checked above.
            return _sumBalances(registry.walletsOfKey(pTo.key())) > maxBalance - amount;
        }
    }

    function _sumBalances(address[] memory wallets) private view returns (uint256 total) {
        uint256 n = wallets.length; // <= MAX_WALLETS_PER_INVESTOR (16)
        for (uint256 i; i < n; ++i) {
            unchecked {
                // The sum of balances is bounded by totalSupply, which fits in uint256.
                total += balanceOf(wallets[i]);
            }
        }
    }

    function _unfrozen(uint256 balance, uint256 frozenAmount) private pure returns (uint256) {
        unchecked {
            // Subtraction only when balance > frozenAmount.
            return balance > frozenAmount ? balance - frozenAmount : 0;
        }
    }

    /// @dev The hot slot, read ONCE: `Pausable._paused` (byte 0) packed with treasury, lock-up, class mask and
    /// rule flags. The layout is checked against the compiler's storageLayout output (docs/contracts-spec.md).
    function _hotConfig()
        internal
        view
        returns (bool isPaused, address treasury_, uint64 lockup, uint8 classes, uint8 flags)
    {
        assembly ("memory-safe") {
            let w := sload(_treasury.slot)
            isPaused := iszero(iszero(and(w, 0xff)))
            treasury_ := and(shr(mul(8, _treasury.offset), w), 0xffffffffffffffffffffffffffffffffffffffff)
            lockup := and(shr(mul(8, _lockupUntil.offset), w), 0xffffffffffffffff)
            classes := and(shr(mul(8, _requiredClasses.offset), w), 0xff)
            flags := and(shr(mul(8, _ruleFlags.offset), w), 0xff)
        }
    }

    /// @dev Raw `WalletState` word: bits [0,248) frozenAmount, bits [248,256) frozen flag.
    function _walletWord(address account) private view returns (uint256 w) {
        WalletState storage s = _walletStates[account];
        assembly ("memory-safe") {
            w := sload(s.slot)
        }
    }

    /// @dev The ONE registry call of a transfer: two raw profile words (no struct ABI decoding).
    function _profiles(address a, address b) internal view returns (uint256 pa, uint256 pb) {
        address reg = address(registry);
        bytes4 selector = IInvestorRegistry.packedProfilesOf.selector;
        bytes4 badResponse = InvalidRegistryResponse.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), a)
            mstore(add(m, 0x24), b)
            if iszero(staticcall(gas(), reg, m, 0x44, 0x00, 0x40)) {
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
            if lt(returndatasize(), 0x40) {
                mstore(0x00, badResponse)
                revert(0x00, 0x04)
            }
            pa := mload(0x00)
            pb := mload(0x20)
        }
    }

    /// @dev Code 6 reverts with the ERC-7943 error (the standard asks for the specific error); others with
    /// `TransferRestricted`.
    function _revertRestricted(address from, address to, uint256 amount, uint8 code) internal view {
        if (code == RestrictionCodes.INSUFFICIENT_UNFROZEN_BALANCE) {
            revert ERC7943InsufficientUnfrozenBalance(
                from, amount, _unfrozen(balanceOf(from), _walletStates[from].frozenAmount)
            );
        }
        revert TransferRestricted(from, to, amount, code);
    }
}
