// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {IBondToken} from "../../interfaces/IBondToken.sol";
import {IRWATokenAdmin} from "../../interfaces/IRWATokenAdmin.sol";
import {AccountWord} from "../../compliance/AccountWord.sol";
import {RestrictionCodes} from "../../compliance/RestrictionCodes.sol";
import {TokenStorage} from "../../compliance/TokenStorage.sol";
import {RWATokenBase} from "../../token/RWATokenBase.sol";
import {BondPayingAgent} from "./BondPayingAgent.sol";

/// @title A fixed-rate bond on the compliance token
/// @notice Terms fixed at deployment (ERC-7092-style views). At each coupon's record date a holder's entitlement,
/// floor(balance * couponPerToken / 10**decimals), is fixed by the balance it holds then and survives later
/// transfers. The paying agent created with the token (`payingAgent`, fixed) holds the stablecoin and is the only
/// caller of `collectCoupons`: it funds coupons, pays claims and pushes, and redeems. After maturity (or the call date) transfers and mints stop
/// with codes 64 / 65; burns, forced transfers and recovery stay available.
/// @dev GAS DESIGN (docs/bond.md):
/// - A holder's accrual lives in the 96 asset bits of its balance word: [settled index: 8][owed: 88]. `owed` is what
///   the coupons before `index` paid it and were not yet collected. A transfer reads nothing more: if the date of
///   the holder's next coupon (an immutable) is still ahead, the data is unchanged (the settled path); otherwise the
///   number of recorded coupons is found by binary search over the immutable dates (no loop over past coupons) and
///   the balance held since then earns each one, in the same store as the balance.
/// - A coupon is recorded by time alone (no transaction). The CALLED bit of the hot word's asset byte (read warm)
///   is the only state a transfer consults; the call date is read only once it is set.
/// - Funding needs the outstanding supply (treasury excluded) at each record time: an OpenZeppelin `Checkpoints`
///   trace keyed by the number of coupons recorded when it changed, pushed only when the outstanding supply changes
///   (mints, burns, treasury transfers).
contract BondToken is RWATokenBase, IBondToken {
    using AccountWord for uint256;
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Calls the bond early (the issuer's decision under the terms).
    bytes32 public constant CALLER_ROLE = keccak256("CALLER_ROLE");

    /// @notice Restriction code: the bond has matured (transfers and mints stop).
    uint8 internal constant BOND_MATURED = RestrictionCodes.ASSET_CODES_START;
    /// @notice Restriction code: the bond was called and the call date has passed.
    uint8 internal constant BOND_CALLED = RestrictionCodes.ASSET_CODES_START + 1;
    /// @notice Restriction code: the mint would take the supply above `maxSupply`.
    uint8 internal constant BOND_SUPPLY_BOUND = RestrictionCodes.ASSET_CODES_START + 2;

    /// @dev Most coupons a bond can have: 8 immutable words of 8 uint32 dates.
    uint256 private constant _MAX_COUPONS = 64;
    uint256 private constant _OWED_BITS = 88;
    uint256 private constant _OWED_MASK = (1 << _OWED_BITS) - 1;
    uint8 private constant _CALLED = 1;

    /// @custom:storage-location erc7201:hktoken.storage.BondToken
    struct BondStorage {
        Checkpoints.Trace208 outstanding;
        uint8 funded;
        uint64 callDate;
        uint256 callPrice;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("hktoken.storage.BondToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _BOND_SLOT = 0x0fbcfbd0423c1acb8ee36f71cf0a275794996444b6392493ebf050761ffafa00;

    bytes12 private immutable _ISIN;
    bytes3 private immutable _CURRENCY_CODE;
    address private immutable _PAYMENT_TOKEN;
    address private immutable _PAYING_AGENT;
    uint256 private immutable _DENOMINATION;
    uint256 private immutable _COUPON_PER_TOKEN;
    uint256 private immutable _UNIT;
    uint256 private immutable _MAX_SUPPLY;
    uint16 private immutable _RATE;
    uint8 private immutable _FREQUENCY;
    uint8 private immutable _COUNT;
    uint64 private immutable _ISSUE_DATE;
    uint64 private immutable _MATURITY_DATE;
    uint32 private immutable _CALL_NOTICE;
    uint256 private immutable _DATES0;
    uint256 private immutable _DATES1;
    uint256 private immutable _DATES2;
    uint256 private immutable _DATES3;
    uint256 private immutable _DATES4;
    uint256 private immutable _DATES5;
    uint256 private immutable _DATES6;
    uint256 private immutable _DATES7;

    /// @notice Deploys the bond and its paying agent (the one contract that may collect accruals; `admin`
    /// administers it).
    /// @param name_ ERC-20 name.
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ ERC-20 decimals (at most 36).
    /// @param registry_ The investor registry.
    /// @param admin Receives DEFAULT_ADMIN_ROLE of the token and of its paying agent.
    /// @param treasury_ The issuer's treasury (its bonds are not outstanding and earn no coupon).
    /// @param adminModule_ The shared administration module.
    /// @param isin_ ISO 6166 ISIN, 12 ASCII characters.
    /// @param paymentToken_ The stablecoin coupons and principal are paid in.
    /// @param terms_ [denomination: face value of one whole token in payment-token base units (< 2^96), annual
    /// coupon rate in basis points (1 to 10,000), coupons per year (1, 2, 4 or 12), issue date, maturity date (unix
    /// times), minimum call notice (seconds), ISO 4217 currency code as three ASCII bytes ("HKD" = 0x484b44)]: one
    /// array, as the constructor's arguments must stay within the legacy code generator's stack.
    /// @param couponDates_ The coupon record dates, increasing, after issue and not after maturity (1 to 64).
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IInvestorRegistry registry_,
        address admin,
        address treasury_,
        address adminModule_,
        bytes12 isin_,
        address paymentToken_,
        uint256[7] memory terms_,
        uint64[] memory couponDates_
    ) RWATokenBase(name_, symbol_, decimals_, registry_, admin, treasury_, adminModule_) {
        _PAYING_AGENT = _createAgent(paymentToken_, decimals_, admin);
        _checkTerms(decimals_, isin_, paymentToken_, terms_, couponDates_);
        _ISIN = isin_;
        _CURRENCY_CODE = bytes3(uint24(terms_[6]));
        _PAYMENT_TOKEN = paymentToken_;
        _DENOMINATION = terms_[0];
        _RATE = uint16(terms_[1]);
        _FREQUENCY = uint8(terms_[2]);
        _COUPON_PER_TOKEN = terms_[0] * terms_[1] / (10_000 * terms_[2]);
        _UNIT = 10 ** decimals_;
        _COUNT = uint8(couponDates_.length);
        _MAX_SUPPLY = _supplyBound(_COUPON_PER_TOKEN, decimals_, couponDates_.length);
        _ISSUE_DATE = uint64(terms_[3]);
        _MATURITY_DATE = uint64(terms_[4]);
        _CALL_NOTICE = uint32(terms_[5]);
        uint256[8] memory words = _packDates(couponDates_);
        (_DATES0, _DATES1, _DATES2, _DATES3) = (words[0], words[1], words[2], words[3]);
        (_DATES4, _DATES5, _DATES6, _DATES7) = (words[4], words[5], words[6], words[7]);
    }

    // ------------------------------------------------------------------ terms (ERC-7092 style)

    /// @inheritdoc IBondToken
    function isin() external view returns (string memory) {
        return string(abi.encodePacked(_ISIN));
    }

    /// @inheritdoc IBondToken
    function currency() external view returns (address) {
        return _PAYMENT_TOKEN;
    }

    /// @inheritdoc IBondToken
    function currencyCode() external view returns (bytes3) {
        return _CURRENCY_CODE;
    }

    /// @inheritdoc IBondToken
    function denomination() external view returns (uint256) {
        return _DENOMINATION;
    }

    /// @inheritdoc IBondToken
    function couponRate() external view returns (uint256) {
        return _RATE;
    }

    /// @inheritdoc IBondToken
    function couponFrequency() external view returns (uint256) {
        return _FREQUENCY;
    }

    /// @inheritdoc IBondToken
    function issueDate() external view returns (uint256) {
        return _ISSUE_DATE;
    }

    /// @inheritdoc IBondToken
    function maturityDate() external view returns (uint256) {
        return _MATURITY_DATE;
    }

    /// @inheritdoc IBondToken
    function couponDates() external view returns (uint256[] memory dates) {
        uint256 n = _COUNT;
        dates = new uint256[](n);
        for (uint256 i; i < n; ) {
            uint256 date = _couponDate(i);
            assembly ("memory-safe") {
                // i < n = dates.length: within the array (no bounds check needed).
                mstore(add(dates, shl(5, add(i, 1))), date)
            }
            unchecked {
                ++i; // i < n <= 64
            }
        }
    }

    /// @inheritdoc IBondToken
    function minCallNotice() external view returns (uint256) {
        return _CALL_NOTICE;
    }

    /// @inheritdoc IBondToken
    function payingAgent() external view returns (address) {
        return _PAYING_AGENT;
    }

    // ------------------------------------------------------------------ coupon state

    /// @inheritdoc IBondToken
    function outstandingAtRecord(uint256 index) external view returns (uint256) {
        return _bond().outstanding.upperLookup(uint48(index > _MAX_COUPONS ? _MAX_COUPONS : index));
    }

    /// @inheritdoc IBondToken
    function pendingCoupons(address holder, uint256 limit) external view returns (uint256 amount) {
        uint256 word = TokenStorage.layout().accounts[holder];
        if (word.frozen() || word.assetData() >> _OWED_BITS > limit) return 0;
        return _accrue(holder, word.balance(), word.assetData(), limit) & _OWED_MASK;
    }

    /// @inheritdoc IBondToken
    function callTerms() external view returns (bool called, uint256 callDate, uint256 callPrice) {
        BondStorage storage $ = _bond();
        return (_assetFlags() & _CALLED != 0, $.callDate, $.callPrice);
    }

    // ------------------------------------------------------------------ role-gated entry points

    /// @inheritdoc IBondToken
    function callBond(uint64 callDate, uint256 callPrice) external onlyRole(CALLER_ROLE) {
        BondStorage storage $ = _bond();
        uint8 flags = _assetFlags();
        if (flags & _CALLED != 0) revert BondAlreadyCalled($.callDate);
        uint256 earliest = block.timestamp + _CALL_NOTICE;
        uint256 maturity = _MATURITY_DATE;
        if (callDate < earliest || callDate >= maturity) revert InvalidCallDate(callDate, earliest, maturity);
        if (callPrice == 0) revert InvalidCallPrice();
        $.callDate = callDate;
        $.callPrice = callPrice;
        _setAssetFlags(flags | _CALLED);
        emit BondCalled(callDate, callPrice);
    }

    /// @inheritdoc IBondToken
    function collectCoupons(address holder, uint256 limit, bool redeem)
        external
        returns (uint256 tokens, uint256 coupons)
    {
        if (_msgSender() != _PAYING_AGENT) revert NotPayingAgent(_msgSender());
        uint256 word = TokenStorage.layout().accounts[holder];
        // A partial freeze holds tokens in place: they are not redeemed for cash until it is released.
        if (word.frozen() || (redeem && word.hasFrozenAmount())) revert HolderFrozen(holder);
        if (redeem) {
            tokens = word.balance();
            if (tokens != 0) _burn(holder, tokens); // settles the accrual up to the last recorded coupon
            word = TokenStorage.layout().accounts[holder];
        }
        if (word.assetData() >> _OWED_BITS > limit) revert CouponNotFunded(limit);
        uint256 data = _accrue(holder, word.balance(), word.assetData(), limit);
        coupons = data & _OWED_MASK;
        _setHolderData(holder, data & ~_OWED_MASK);
        emit CouponsCollected(holder, tokens, coupons, data >> _OWED_BITS);
    }

    /// @inheritdoc IRWATokenAdmin
    /// @dev Settles both wallets first, at the number of coupons recorded now (k): the old treasury's index moves to
    /// k earning nothing (its bonds were not outstanding for those coupons), the new one's coupons up to k are added
    /// to what it is owed (they were outstanding); then the outstanding supply without the new treasury's balance is
    /// checkpointed at k. The administration module then checks the caller's role and writes the treasury (a refusal
    /// reverts all of it).
    function setTreasury(address newTreasury) external override(IRWATokenAdmin, RWATokenBase) {
        _settle(_treasury());
        _settle(newTreasury);
        _pushOutstanding(newTreasury);
        _delegateToAdmin();
    }

    // ------------------------------------------------------------------ hooks

    /// @dev Transfers and mints stop at maturity (64) or at the call date (65); a mint beyond `maxSupply` is 66.
    function _assetRestrictionCode(uint8 op, address from, address to, uint256 amount)
        internal
        view
        override
        returns (uint8)
    {
        if (op == OP_TRANSFER || op == OP_MINT) {
            if (block.timestamp >= _MATURITY_DATE) return BOND_MATURED;
            if (_assetFlags() & _CALLED != 0 && block.timestamp >= _bond().callDate) return BOND_CALLED;
            if (op == OP_MINT && amount > _MAX_SUPPLY - totalSupply()) return BOND_SUPPLY_BOUND;
        }
        (from, to);
        return RestrictionCodes.SUCCESS; // a leaf contract: the base adds no asset rule
    }

    function _assetRestrictionMessage(uint8 code) internal view override returns (string memory) {
        if (code == BOND_MATURED) return "bond matured";
        if (code == BOND_CALLED) return "bond called";
        if (code == BOND_SUPPLY_BOUND) return "bond supply bound exceeded";
        return super._assetRestrictionMessage(code);
    }

    /// @dev The settled path reads one immutable date and returns `data` unchanged (the engine then rewrites
    /// nothing); after a record the balance held until now earns every coupon crossed. Never reverts.
    function _onHolderUpdate(address account, uint256 balanceBefore, uint256, uint256 data)
        internal
        view
        override
        returns (uint256)
    {
        uint256 index = data >> _OWED_BITS;
        if (index >= _COUNT || block.timestamp < _couponDate(index)) return data;
        return _accrue(account, balanceBefore, data, _MAX_COUPONS); // a leaf contract: the base keeps data as is
    }

    /// @dev After the engine: pushes the outstanding supply when it may have changed (mint, burn, treasury side),
    /// and on a wallet recovery moves the lost wallet's owed coupons to the new wallet with the balance.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address treasury_ = _treasury();
        if (from == address(0) || to == address(0) || from == treasury_ || to == treasury_) {
            _pushOutstanding(treasury_);
        }
        if (_privilegedOp == OP_RECOVERY) _moveOwed(from, to);
    }

    // ------------------------------------------------------------------ internals

    function _pushOutstanding(address treasury_) private {
        Checkpoints.Trace208 storage trace = _bond().outstanding;
        uint256 value = totalSupply() - balanceOf(treasury_);
        // Keyed by the coupons recorded so far: a change made while `k` coupons are recorded came before coupon k's
        // record. One checkpoint per record period at most, so a gas estimate made a second earlier still holds.
        if (trace.latest() != value) trace.push(uint48(_recordedFrom(0, _hotWord())), uint208(value));
    }

    /// @dev `wallet`'s accrual brought forward to every coupon recorded now (the treasury's index just follows).
    function _settle(address wallet) private {
        _setHolderData(wallet, _accrue(wallet, balanceOf(wallet), _holderData(wallet), _MAX_COUPONS));
    }

    /// @dev Both wallets were just settled to the same recorded index by the engine's hook.
    function _moveOwed(address lostWallet, address newWallet) private {
        uint256 lost = _holderData(lostWallet);
        uint256 moved = lost & _OWED_MASK;
        if (moved == 0) return;
        _setHolderData(lostWallet, lost & ~_OWED_MASK);
        unchecked {
            // Both wallets' owed together never exceed what the whole supply earned: the supply bound keeps that
            // within 88 bits, so the sum never reaches the index bits.
            _setHolderData(newWallet, _holderData(newWallet) + moved);
        }
    }

    /// @dev `data` brought forward to min(recorded, `limit`) coupons: the balance held since its index (unchanged,
    /// or the engine would have settled it) earns each coupon crossed; the treasury's index just follows.
    function _accrue(address account, uint256 balance, uint256 data, uint256 limit) private view returns (uint256) {
        uint256 hot = _hotWord();
        uint256 index = data >> _OWED_BITS;
        uint256 upTo = _recordedFrom(index, hot);
        if (upTo > limit) upTo = limit;
        if (upTo <= index) return data;
        uint256 owed = data & _OWED_MASK;
        if (account != address(uint160(hot >> 8))) {
            unchecked {
                // balance < 2^128, couponPerToken < 2^96 (constructor), upTo - index <= 64: no overflow; the supply
                // bound keeps the sum within 88 bits.
                owed += balance * _COUPON_PER_TOKEN / _UNIT * (upTo - index);
            }
        }
        return (upTo << _OWED_BITS) | owed;
    }

    /// @dev The number of coupons recorded now, knowing the first `from` are, with the call date as the cut-off
    /// once the bond is called (`hot` is the hot word: its asset byte holds the CALLED bit). The usual cases first
    /// (none or one more recorded), then a binary search over the immutable dates: never a loop over past coupons.
    function _recordedFrom(uint256 from, uint256 hot) private view returns (uint256) {
        uint256 cutoff = block.timestamp;
        if ((hot >> 248) & _CALLED != 0) {
            uint256 callDate = _bond().callDate;
            if (callDate < cutoff) cutoff = callDate;
        }
        uint256 hi = _COUNT;
        unchecked {
            // from <= hi <= 64: no overflow.
            if (from < hi && _couponDate(from) <= cutoff) {
                ++from;
                if (from < hi && _couponDate(from) <= cutoff) {
                    ++from;
                    while (from < hi) {
                        uint256 mid = (from + hi) >> 1;
                        if (_couponDate(mid) <= cutoff) from = mid + 1;
                        else hi = mid;
                    }
                }
            }
        }
        return from;
    }

    /// @dev Coupon date `i` (< 64) from the immutable words (no storage read).
    function _couponDate(uint256 i) private view returns (uint256) {
        uint256 j = i >> 3;
        uint256 w;
        if (j < 4) {
            if (j < 2) w = j == 0 ? _DATES0 : _DATES1;
            else w = j == 2 ? _DATES2 : _DATES3;
        } else {
            if (j < 6) w = j == 4 ? _DATES4 : _DATES5;
            else w = j == 6 ? _DATES6 : _DATES7;
        }
        return uint32(w >> ((i & 7) << 5));
    }

    function _treasury() private view returns (address) {
        return address(uint160(_hotWord() >> 8));
    }

    /// @dev The hot word (warm on every balance change): treasury in bits 8-167, the asset flags in bits 248-255.
    function _hotWord() private view returns (uint256 word) {
        bytes32 slot = TokenStorage.SLOT;
        assembly ("memory-safe") {
            word := sload(slot)
        }
    }

    function _bond() private pure returns (BondStorage storage $) {
        assembly {
            $.slot := _BOND_SLOT
        }
    }

    function _checkTerms(
        uint8 decimals_,
        bytes12 isin_,
        address paymentToken_,
        uint256[7] memory terms_,
        uint64[] memory couponDates_
    ) private view {
        (uint256 denomination_, uint256 couponRate_, uint256 couponFrequency_) = (terms_[0], terms_[1], terms_[2]);
        if (decimals_ > 36) revert InvalidBondTerms("decimals");
        if (isin_ == bytes12(0)) revert InvalidBondTerms("isin");
        if (paymentToken_.code.length == 0) revert InvalidBondTerms("paymentToken");
        if (denomination_ == 0 || denomination_ >= 1 << 96) revert InvalidBondTerms("denomination");
        if (couponRate_ == 0 || couponRate_ > 10_000) revert InvalidBondTerms("couponRate");
        if (couponFrequency_ != 1 && couponFrequency_ != 2 && couponFrequency_ != 4 && couponFrequency_ != 12) {
            revert InvalidBondTerms("couponFrequency");
        }
        if (denomination_ * couponRate_ % (10_000 * couponFrequency_) != 0) {
            revert InvalidBondTerms("couponPerToken");
        }
        if (terms_[3] >= terms_[4] || terms_[4] > type(uint32).max) revert InvalidBondTerms("maturityDate");
        if (terms_[5] > type(uint32).max) revert InvalidBondTerms("minCallNotice");
        if (terms_[6] == 0 || terms_[6] > type(uint24).max) revert InvalidBondTerms("currencyCode");
        uint256 n = couponDates_.length;
        if (n == 0 || n > _MAX_COUPONS) revert InvalidBondTerms("couponDates");
        uint256 previous = terms_[3];
        for (uint256 i; i < n; ++i) {
            if (couponDates_[i] <= previous || couponDates_[i] > terms_[4]) revert InvalidBondTerms("couponDates");
            previous = couponDates_[i];
        }
    }

    function _createAgent(address paymentToken_, uint8 decimals_, address admin) private returns (address agent) {
        agent = address(new BondPayingAgent(IBondToken(address(this)), IERC20(paymentToken_), decimals_, admin));
    }

    /// @dev Every holder's accrual, all coupons included, fits its 88 bits (and the supply its 128).
    function _supplyBound(uint256 couponPerToken_, uint8 decimals_, uint256 coupons) private pure returns (uint256) {
        uint256 bound = _OWED_MASK * 10 ** decimals_ / (couponPerToken_ * coupons);
        return bound > type(uint128).max ? type(uint128).max : bound;
    }

    function _packDates(uint64[] memory couponDates_) private pure returns (uint256[8] memory words) {
        for (uint256 i; i < couponDates_.length; ++i) {
            words[i >> 3] |= uint256(couponDates_[i]) << ((i & 7) << 5);
        }
    }
}
