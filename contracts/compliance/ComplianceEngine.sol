// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IInvestorRegistry} from "../interfaces/IInvestorRegistry.sol";
import {IRWAToken} from "../interfaces/IRWAToken.sol";
import {AccountWord} from "./AccountWord.sol";
import {Freezes} from "./Freezes.sol";
import {HolderAccounting} from "./HolderAccounting.sol";
import {PackedProfile} from "./PackedProfile.sol";
import {RestrictionCodes} from "./RestrictionCodes.sol";
import {TokenStorage} from "./TokenStorage.sol";
import {ZeroAddress} from "./Errors.sol";

/// @title The enforcement engine of the compliance token
/// @notice EVERY balance change (mint, burn, transfer, transferFrom, permit + transferFrom, forced transfer,
/// recovery) goes through the single `_update` below, and one view, `_restrictionCode`, decides for `_update`,
/// `detectTransferRestriction` and `canTransfer` alike, so they can never disagree. An asset token adds its own
/// rules through `_assetRestrictionCode`, inside the same engine.
/// @dev Hot-path reads of a transfer: the hot config word, one registry call (`packedProfilesOf`, one slot per
/// wallet), one account word per side (balance and freeze flags together), and the country status only while a
/// country rule is on. Balances live in the token's own storage (`AccountWord`); the ERC-20 behaviour is
/// OpenZeppelin's: the same `Transfer` events, the same `ERC20InsufficientBalance` error, OZ's `transfer`,
/// `transferFrom`, `approve` and permit on top, as the conformance tests check.
abstract contract ComplianceEngine is ERC20Permit, IRWAToken {
    using AccountWord for uint256;
    using PackedProfile for uint256;

    /// @dev Operation kinds passed to the engine and to the asset hooks. FORCED and RECOVERY are set in transient
    /// storage by the privileged entry points; MINT / BURN / TRANSFER are recognised from the zero address.
    uint8 internal constant OP_TRANSFER = 1;
    uint8 internal constant OP_MINT = 2;
    uint8 internal constant OP_BURN = 3;
    uint8 internal constant OP_FORCED = 4;
    uint8 internal constant OP_RECOVERY = 5;

    uint8 private constant _VERIFIED = 0;
    uint8 private constant _KYC_EXPIRED = 2;

    /// @inheritdoc IRWAToken
    IInvestorRegistry public immutable registry;

    /// @dev Operation marker for the privileged paths (FORCED / RECOVERY); 0 outside them.
    uint8 internal transient _privilegedOp;

    /// @notice The registry address has no code.
    error InvalidRegistry(address registry);
    /// @notice The registry returned less data than two profile words.
    error InvalidRegistryResponse();

    /// @param registry_ The investor registry.
    /// @param treasury_ The initial treasury.
    constructor(IInvestorRegistry registry_, address treasury_) {
        if (address(registry_).code.length == 0) revert InvalidRegistry(address(registry_));
        if (treasury_ == address(0)) revert ZeroAddress();
        registry = registry_;
        TokenStorage.layout().config.treasury = treasury_;
        emit TreasuryChanged(address(0), treasury_);
    }

    // ------------------------------------------------------------------ ERC-20 state (own storage)

    /// @notice ERC-20 balance.
    /// @param account The wallet.
    /// @return The balance.
    function balanceOf(address account) public view virtual override(ERC20, IERC20) returns (uint256) {
        return TokenStorage.layout().accounts[account].balance();
    }

    /// @notice ERC-20 total supply (at most 2^128 - 1).
    /// @return The supply.
    function totalSupply() public view virtual override(ERC20, IERC20) returns (uint256) {
        return TokenStorage.layout().totalSupply;
    }

    /// @notice ERC-20 transferFrom; an address-frozen spender is refused (restriction code 17).
    /// @param from The owner.
    /// @param to The recipient.
    /// @param value The amount.
    /// @return True (reverts on failure).
    function transferFrom(address from, address to, uint256 value)
        public
        virtual
        override(ERC20, IERC20)
        returns (bool)
    {
        if (TokenStorage.layout().accounts[_msgSender()].frozen()) {
            revert TransferRestricted(from, to, value, RestrictionCodes.SPENDER_FROZEN);
        }
        return super.transferFrom(from, to, value);
    }

    // ------------------------------------------------------------------ ERC-1404 / ERC-7943 views

    /// @notice ERC-1404: restriction code of a transfer (0 = allowed). `from == 0` evaluates a mint.
    /// @dev Never reverts. Plain balance shortfalls are not restrictions (ERC-20 reports them).
    /// @param from The sender (zero for a mint).
    /// @param to The recipient.
    /// @param value The amount.
    /// @return The restriction code (see `RestrictionCodes`; 64 and above: the asset's own rules).
    function detectTransferRestriction(address from, address to, uint256 value) public view returns (uint8) {
        (uint8 code,,) = _restrictionCode(from == address(0) ? OP_MINT : OP_TRANSFER, from, to, value);
        return code;
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
    /// so it can send, but only there: `canTransfer` / `detectTransferRestriction` say so for any other
    /// recipient. ERC-7943 requires a public transfer to fail wherever `canSend` is false, which a KYC-only
    /// `canSend` would contradict for that exit.
    /// @param account The wallet.
    /// @return allowed True if it may send.
    function canSend(address account) external view returns (bool allowed) {
        return !TokenStorage.layout().accounts[account].frozen();
    }

    /// @notice ERC-7943: a wallet whose address is not frozen and that is the treasury, or verified with its
    /// country and class admitted. Forced transfers and recoveries deliver only where this is true.
    /// @param account The wallet.
    /// @return allowed True if it may receive.
    function canReceive(address account) external view returns (bool allowed) {
        (uint256 p,) = _profiles(account, address(0));
        return _receiveCode(account, p, TokenStorage.layout().accounts[account]) == RestrictionCodes.SUCCESS;
    }

    /// @notice ERC-7943 / ERC-3643: the frozen amount of `account` (may exceed its balance).
    /// @param account The wallet.
    /// @return amount The frozen amount.
    function getFrozenTokens(address account) external view returns (uint256 amount) {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        return Freezes.frozenAmount($, account, $.accounts[account]);
    }

    /// @inheritdoc IRWAToken
    function isFrozen(address account) external view returns (bool) {
        return TokenStorage.layout().accounts[account].frozen();
    }

    /// @inheritdoc IRWAToken
    function investorBalance(bytes32 id) external view returns (uint256 total) {
        return _sumBalances(registry.walletsOfKey(registry.investor(id).key));
    }

    /// @inheritdoc IRWAToken
    function holderCount() external view returns (uint256) {
        return TokenStorage.layout().holderCount;
    }

    // ------------------------------------------------------------------ the one balance hook

    /// @dev The single place every balance change meets its checks. Extensions override it only to act around a
    /// balance change, and must call `super._update`; they never move balances themselves.
    function _update(address from, address to, uint256 value) internal virtual override {
        uint8 op = _privilegedOp;
        if (op == 0) op = from == address(0) ? OP_MINT : (to == address(0) ? OP_BURN : OP_TRANSFER);

        TokenStorage.Layout storage $ = TokenStorage.layout();
        // Each side's account word is read once, for the checks and for the update (never the zero address's).
        uint256 fromWord = from == address(0) ? 0 : $.accounts[from];
        uint256 toWord = to == address(0) ? 0 : $.accounts[to];
        (uint8 code, uint256 pFrom, uint256 pTo) = _restrictionCodeOf(op, from, to, value, fromWord, toWord);
        if (code != RestrictionCodes.SUCCESS) _revertRestricted(from, to, value, code);

        bool reread = from == to;
        if (from == address(0)) {
            uint256 supply = $.totalSupply;
            if (value > AccountWord.BALANCE_MASK - supply) revert SupplyOverflow(supply, value);
            unchecked {
                // Checked above: the supply stays below 2^128.
                $.totalSupply = uint128(supply + value);
            }
        } else {
            uint256 balance = fromWord.balance();
            if (balance < value) revert ERC20InsufficientBalance(from, balance, value);
            // Burns and forced transfers may take frozen tokens: `Frozen` is emitted before `Transfer`.
            if (op == OP_BURN || op == OP_FORCED) fromWord = Freezes.releaseForSeizure($, from, fromWord, value);
            unchecked {
                // value <= balance checked above.
                fromWord = _updateAccount(from, fromWord, balance, balance - value);
            }
            if (!reread && _holderStateChanges(fromWord)) {
                fromWord = HolderAccounting.settle($, registry, fromWord, pFrom);
                reread = true; // settling may have written the investor's primary word, which may be `to`'s
            }
            $.accounts[from] = fromWord;
        }
        if (to == address(0)) {
            unchecked {
                // value <= a balance <= totalSupply.
                $.totalSupply -= uint128(value);
            }
        } else {
            if (reread) toWord = $.accounts[to];
            uint256 balance = toWord.balance();
            unchecked {
                // The sum of balances is the total supply, below 2^128.
                toWord = _updateAccount(to, toWord, balance, balance + value);
            }
            if (from != to && _holderStateChanges(toWord)) toWord = HolderAccounting.settle($, registry, toWord, pTo);
            $.accounts[to] = toWord;
        }
        emit Transfer(from, to, value);
    }

    /// @dev Whether holder accounting has anything to do for a word with its new balance: a counted wallet that is
    /// now empty, or an uncounted one that now holds (the common transfer between holders does neither).
    function _holderStateChanges(uint256 word) private pure returns (bool) {
        return word.counted() == (word.balance() == 0);
    }

    /// @dev Sets the new balance and lets the asset update its per-holder data, in the same word.
    function _updateAccount(address account, uint256 word, uint256 balanceBefore, uint256 balanceAfter)
        private
        returns (uint256)
    {
        uint256 data = word.assetData();
        uint256 updated = _onHolderUpdate(account, balanceBefore, balanceAfter, data);
        word = word.withBalance(balanceAfter);
        return updated == data ? word : word.withAssetData(updated);
    }

    // ------------------------------------------------------------------ extension hooks

    /// @dev ASSET RULE HOOK. Return 0 to allow, or a code >= 64 (`RestrictionCodes.ASSET_CODES_START`) to refuse.
    /// Runs after every core check has passed, for every operation (`op`: OP_TRANSFER, OP_MINT, OP_BURN,
    /// OP_FORCED, OP_RECOVERY), inside the engine that `_update`, `detectTransferRestriction` and `canTransfer`
    /// share, so the three always agree. MUST NOT revert and MUST NOT change state (it is a view). An override
    /// that only adds rules should end with `return super._assetRestrictionCode(...)`.
    function _assetRestrictionCode(uint8 op, address from, address to, uint256 amount)
        internal
        view
        virtual
        returns (uint8)
    {
        (op, from, to, amount);
        return RestrictionCodes.SUCCESS;
    }

    /// @dev Message of an asset code (>= 64); override with the asset's messages and fall back to `super`.
    function _assetRestrictionMessage(uint8 code) internal view virtual returns (string memory) {
        code;
        return "unknown restriction code";
    }

    /// @dev HOLDER DATA HOOK. Called inside `_update` for each non-zero side of every balance change, with the 96
    /// bits the asset keeps in the holder's account word (`data`), which the engine has already loaded: return the
    /// new data (truncated to 96 bits) and the engine writes it with the new balance, in the same store. For per-
    /// holder lifecycle state such as a coupon accrual, at no extra cold storage access. MUST NOT revert (it would
    /// block forced transfers and burns too); read shared asset state here, never the holder's other slots.
    function _onHolderUpdate(address account, uint256 balanceBefore, uint256 balanceAfter, uint256 data)
        internal
        virtual
        returns (uint256)
    {
        (account, balanceBefore, balanceAfter);
        return data;
    }

    /// @dev ASSET FLAGS. 8 bits the asset keeps in the hot word (bits 248-255), which every transfer has already
    /// read: a flag its rules check on each transfer (a bond called early, say) costs a warm read, not a cold one.
    /// The core never reads or writes them; the asset emits its own event when it changes them.
    function _assetFlags() internal view returns (uint8) {
        return TokenStorage.layout().config.assetFlags;
    }

    /// @dev Writes the asset flags (see `_assetFlags`).
    function _setAssetFlags(uint8 flags) internal {
        TokenStorage.layout().config.assetFlags = flags;
    }

    /// @dev The asset data of a holder (for the asset's views).
    function _holderData(address account) internal view returns (uint256) {
        return TokenStorage.layout().accounts[account].assetData();
    }

    /// @dev Writes the asset data of a holder outside a balance change (e.g. when a coupon is claimed).
    function _setHolderData(address account, uint256 data) internal {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        $.accounts[account] = $.accounts[account].withAssetData(data);
    }

    // ------------------------------------------------------------------ the one restriction engine

    /// @dev Returns the first failing restriction code for operation `op`, plus the two packed profiles (so
    /// `_update` does not call the registry twice). Never reverts.
    function _restrictionCode(uint8 op, address from, address to, uint256 amount)
        internal
        view
        returns (uint8 code, uint256 pFrom, uint256 pTo)
    {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        return _restrictionCodeOf(op, from, to, amount, $.accounts[from], $.accounts[to]);
    }

    /// @dev `_restrictionCode` with the two account words already read.
    function _restrictionCodeOf(uint8 op, address from, address to, uint256 amount, uint256 fromWord, uint256 toWord)
        private
        view
        returns (uint8 code, uint256 pFrom, uint256 pTo)
    {
        (pFrom, pTo) = _profiles(from, to);
        if (op == OP_TRANSFER) {
            code = _transferCode(from, to, amount, pFrom, pTo, _freezeCode(from, amount, fromWord, toWord));
        } else if (op == OP_MINT) {
            code = _mintCode(to, amount, pTo, toWord);
        } else if (op == OP_FORCED) {
            // A forced transfer ignores pause, the sender's freezes, lock-up and the holder rules, but delivers only
            // to a wallet that can receive (ERC-7943). RECOVERY makes the same `_receiveCode` check in
            // `recoveryAddress`, before it moves the freezes; BURN has no core restriction.
            code = _receiveCode(to, pTo, toWord);
        }
        if (code == RestrictionCodes.SUCCESS) code = _assetRestrictionCode(op, from, to, amount);
    }

    /// @dev `freezeCode` (4, 5 or 6, from `_freezeCode`) is computed up front and reported in its place in the order.
    function _transferCode(address from, address to, uint256 amount, uint256 pFrom, uint256 pTo, uint8 freezeCode)
        private
        view
        returns (uint8 code)
    {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        (bool isPaused, address treasury_, uint64 lockup, uint8 classes, uint8 flags) = _hotConfig();
        if (isPaused) return RestrictionCodes.PAUSED;
        bool toTreasury = to == treasury_;
        if (!toTreasury) {
            // Sender verification is waived for exits to the treasury; the treasury itself is exempt.
            if (from != treasury_) {
                code = _verificationCode(pFrom, RestrictionCodes.SENDER_NOT_VERIFIED);
                if (code != RestrictionCodes.SUCCESS) return code;
            }
            code = _verificationCode(pTo, RestrictionCodes.RECIPIENT_NOT_VERIFIED);
            if (code != RestrictionCodes.SUCCESS) return code;
        }
        if (freezeCode != RestrictionCodes.SUCCESS) return freezeCode;
        if (!toTreasury && flags | classes != 0) {
            code = _recipientCode(flags, classes, pTo);
            if (code != RestrictionCodes.SUCCESS) return code;
            if (flags & TokenStorage.FLAG_MAX_HOLDERS != 0 && _exceedsMaxHolders($, from, to, amount, pFrom, pTo)) {
                return RestrictionCodes.MAX_HOLDERS_REACHED;
            }
            if (flags & TokenStorage.FLAG_MAX_BALANCE != 0 && uint48(pFrom) != uint48(pTo)) {
                if (_exceedsMaxBalance($, amount, pTo)) return RestrictionCodes.MAX_BALANCE_EXCEEDED;
            }
        } else if (toTreasury && flags & TokenStorage.FLAG_MAX_HOLDERS != 0) {
            // An exit to the treasury never adds the treasury, but a partial one may make the sender counted.
            if (_exceedsMaxHolders($, from, to, amount, pFrom, 0)) return RestrictionCodes.MAX_HOLDERS_REACHED;
        }
        if (block.timestamp < lockup) return RestrictionCodes.LOCKED_UP;
        if (!toTreasury && flags & (TokenStorage.FLAG_MIN_TRANSFER | TokenStorage.FLAG_DENOMINATION) != 0) {
            return _amountCode($, flags, amount);
        }
        return RestrictionCodes.SUCCESS;
    }

    function _mintCode(address to, uint256 amount, uint256 pTo, uint256 toWord) private view returns (uint8 code) {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        (bool isPaused, address treasury_,, uint8 classes, uint8 flags) = _hotConfig();
        if (isPaused) return RestrictionCodes.PAUSED;
        bool toTreasury = to == treasury_;
        if (!toTreasury) {
            code = _verificationCode(pTo, RestrictionCodes.RECIPIENT_NOT_VERIFIED);
            if (code != RestrictionCodes.SUCCESS) return code;
        }
        if (toWord.frozen()) return RestrictionCodes.RECIPIENT_FROZEN;
        if (!toTreasury) {
            code = _recipientCode(flags, classes, pTo);
            if (code != RestrictionCodes.SUCCESS) return code;
            if (flags & TokenStorage.FLAG_MAX_HOLDERS != 0 && _exceedsMaxHolders($, address(0), to, amount, 0, pTo)) {
                return RestrictionCodes.MAX_HOLDERS_REACHED;
            }
            if (flags & TokenStorage.FLAG_MAX_BALANCE != 0 && _exceedsMaxBalance($, amount, pTo)) {
                return RestrictionCodes.MAX_BALANCE_EXCEEDED;
            }
            code = _amountCode($, flags, amount);
            if (code != RestrictionCodes.SUCCESS) return code;
        }
        if (flags & TokenStorage.FLAG_SUPPLY_CAP != 0) {
            uint256 cap = $.supplyCap;
            uint256 supply = $.totalSupply;
            if (supply > cap || amount > cap - supply) return RestrictionCodes.SUPPLY_CAP_EXCEEDED;
        }
        return RestrictionCodes.SUCCESS;
    }

    /// @dev Codes 4, 5 and 6, from the two account words. Code 6 applies only when the amount is within the balance:
    /// above it, ERC-20 reports the shortfall (ERC-7943: canTransfer must not fail for plain balance reasons).
    function _freezeCode(address from, uint256 amount, uint256 fromWord, uint256 toWord)
        private
        view
        returns (uint8)
    {
        if ((fromWord | toWord) & (AccountWord.FROZEN | AccountWord.HAS_FROZEN_AMOUNT) == 0) {
            return RestrictionCodes.SUCCESS; // the common case: neither side has any freeze
        }
        if (fromWord.frozen()) return RestrictionCodes.SENDER_FROZEN;
        if (toWord.frozen()) return RestrictionCodes.RECIPIENT_FROZEN;
        if (fromWord.hasFrozenAmount()) {
            uint256 balance = fromWord.balance();
            if (amount <= balance && amount > _unfrozen(balance, TokenStorage.layout().frozenAmounts[from])) {
                return RestrictionCodes.INSUFFICIENT_UNFROZEN_BALANCE;
            }
        }
        return RestrictionCodes.SUCCESS;
    }

    /// @dev `canReceive` as a code: 5 frozen, then (unless treasury) 3 / 16 verification, 7 / 8 country and class.
    function _receiveCode(address to, uint256 pTo, uint256 toWord) internal view returns (uint8 code) {
        if (toWord.frozen()) return RestrictionCodes.RECIPIENT_FROZEN;
        (, address treasury_,, uint8 classes, uint8 flags) = _hotConfig();
        if (to == treasury_) return RestrictionCodes.SUCCESS;
        code = _verificationCode(pTo, RestrictionCodes.RECIPIENT_NOT_VERIFIED);
        if (code != RestrictionCodes.SUCCESS) return code;
        return _recipientCode(flags, classes, pTo);
    }

    /// @dev `notVerified` (2 sender / 3 recipient) for an unregistered, revoked or retired wallet; the matching
    /// KYC-expired code (15 / 16) for a wallet admitted but past its KYC expiry.
    function _verificationCode(uint256 profile, uint8 notVerified) private view returns (uint8) {
        if (profile.verified()) return RestrictionCodes.SUCCESS;
        uint8 status = profile.verification();
        if (status == _VERIFIED) return RestrictionCodes.SUCCESS;
        if (status == _KYC_EXPIRED) {
            return notVerified == RestrictionCodes.SENDER_NOT_VERIFIED
                ? RestrictionCodes.SENDER_KYC_EXPIRED
                : RestrictionCodes.RECIPIENT_KYC_EXPIRED;
        }
        return notVerified;
    }

    /// @dev Codes 7 and 8: recipient country and class. Reads the country status only if a country rule is on.
    function _recipientCode(uint8 flags, uint8 classes, uint256 pTo) private view returns (uint8) {
        if (flags & (TokenStorage.FLAG_COUNTRY_ALLOWLIST | TokenStorage.FLAG_COUNTRY_BLOCKLIST) != 0) {
            uint8 status = TokenStorage.layout().countryStatus[pTo.country()];
            if (
                status == TokenStorage.COUNTRY_BLOCKED
                    || (flags & TokenStorage.FLAG_COUNTRY_ALLOWLIST != 0 && status != TokenStorage.COUNTRY_ALLOWED)
            ) {
                return RestrictionCodes.COUNTRY_NOT_ALLOWED;
            }
        }
        if (classes != 0 && (classes >> pTo.investorClass()) & 1 == 0) {
            return RestrictionCodes.INVESTOR_CLASS_NOT_ALLOWED;
        }
        return RestrictionCodes.SUCCESS;
    }

    /// @dev Codes 12 and 13.
    function _amountCode(TokenStorage.Layout storage $, uint8 flags, uint256 amount) private view returns (uint8) {
        if (flags & TokenStorage.FLAG_MIN_TRANSFER != 0 && amount < $.minimumTransfer) {
            return RestrictionCodes.BELOW_MINIMUM_TRANSFER;
        }
        if (flags & TokenStorage.FLAG_DENOMINATION != 0 && amount % $.denomination != 0) {
            return RestrictionCodes.NOT_DENOMINATION_MULTIPLE;
        }
        return RestrictionCodes.SUCCESS;
    }

    /// @dev Code 9: the balance change would leave more investors holding than the cap. A change can make up to two
    /// investors holders: the recipient's, and the sender's when the sender is a wallet funded before it was registered
    /// that keeps a balance (it is counted at this change); the sender's investor may stop holding.
    function _exceedsMaxHolders(
        TokenStorage.Layout storage $,
        address from,
        address to,
        uint256 amount,
        uint256 pFrom,
        uint256 pTo
    ) private view returns (bool) {
        if (amount == 0 || from == to) return false;
        uint256 joins;
        if (pTo.key() != 0 && !HolderAccounting.investorHolds($, registry, $.accounts[to], pTo)) joins = 1;
        if (from != address(0)) {
            uint256 fromWord = $.accounts[from];
            if (uint48(pFrom) == uint48(pTo)) {
                // One investor: the recipient's join already covers it, and it cannot stop holding.
            } else if (_senderJoins($, fromWord, pFrom, amount)) {
                ++joins;
            } else if (joins != 0 && HolderAccounting.investorLeaves($, registry, fromWord, pFrom, amount)) {
                --joins;
            }
        }
        return joins != 0 && $.holderCount + joins > $.maxHolders;
    }

    /// @dev Whether sending `amount` makes the sender's investor a holder: the wallet is registered, not yet counted,
    /// keeps a balance, and its investor holds nothing counted.
    function _senderJoins(TokenStorage.Layout storage $, uint256 fromWord, uint256 pFrom, uint256 amount)
        private
        view
        returns (bool)
    {
        if (pFrom.key() == 0 || fromWord.counted() || fromWord.balance() <= amount) return false;
        return !HolderAccounting.investorHolds($, registry, fromWord, pFrom);
    }

    /// @dev Code 10: recipient investor's total over every wallet it ever had, computed on demand (never stored, so
    /// it cannot drift). Omnibus accounts are exempt. The caller skips transfers between wallets of one investor.
    function _exceedsMaxBalance(TokenStorage.Layout storage $, uint256 amount, uint256 pTo)
        private
        view
        returns (bool)
    {
        if (pTo.omnibus()) return false;
        uint256 maxBalance = $.maxBalancePerInvestor;
        if (amount > maxBalance) return true;
        unchecked {
            // amount <= maxBalance checked above.
            return _sumBalances(registry.walletsOfKey(pTo.key())) > maxBalance - amount;
        }
    }

    function _sumBalances(address[] memory wallets) private view returns (uint256 total) {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        uint256 n = wallets.length; // <= MAX_WALLETS_PER_INVESTOR (16)
        for (uint256 i; i < n; ++i) {
            unchecked {
                // The sum of balances is bounded by totalSupply (< 2^128).
                total += $.accounts[wallets[i]].balance();
            }
        }
    }

    function _unfrozen(uint256 balance, uint256 frozenAmount) internal pure returns (uint256) {
        unchecked {
            // Subtraction only when balance > frozenAmount.
            return balance > frozenAmount ? balance - frozenAmount : 0;
        }
    }

    /// @dev The hot word, read ONCE: paused flag, treasury, lock-up, class mask and rule flags.
    function _hotConfig()
        internal
        view
        returns (bool isPaused, address treasury_, uint64 lockup, uint8 classes, uint8 flags)
    {
        bytes32 slot = TokenStorage.SLOT;
        assembly ("memory-safe") {
            let w := sload(slot)
            isPaused := and(w, 0xff)
            treasury_ := and(shr(8, w), 0xffffffffffffffffffffffffffffffffffffffff)
            lockup := and(shr(168, w), 0xffffffffffffffff)
            classes := and(shr(232, w), 0xff)
            flags := and(shr(240, w), 0xff)
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
            TokenStorage.Layout storage $ = TokenStorage.layout();
            uint256 word = $.accounts[from];
            revert ERC7943InsufficientUnfrozenBalance(
                from, amount, _unfrozen(word.balance(), Freezes.frozenAmount($, from, word))
            );
        }
        revert TransferRestricted(from, to, amount, code);
    }
}
