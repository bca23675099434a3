// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {RWAAccess} from "./RWAAccess.sol";

/// @title Compliance policy (rule configuration) of RWAToken
/// @notice Holds every rule the transfer checks read, their setters (COMPLIANCE_ROLE) and getters, and the treasury.
/// @dev STORAGE LAYOUT IS A GAS DECISION. This module directly follows OpenZeppelin `Pausable` in the
/// linearisation so that `_paused`, `_treasury`, `_lockupUntil`, `_requiredClasses` and `_ruleFlags` share ONE
/// slot (1 + 20 + 8 + 1 + 1 = 31 bytes): a transfer reads it once. `_ruleFlags` says which costlier rules are
/// active, so an inactive rule costs no storage read. Each rule group has its own slot.
abstract contract RWACompliancePolicy is ERC20, RWAAccess, Pausable {
    using EnumerableSet for EnumerableSet.UintSet;

    /// @notice Snapshot of every rule (0 = off for each limit).
    /// @param lockupUntil Transfers are locked until this unix time.
    /// @param requiredInvestorClasses Bit mask `1 << class` of allowed recipient classes (0 = any).
    /// @param ruleFlags Bit set of active costlier rules and of freeze activity (see the FLAG_ constants).
    /// @param maxHolders Maximum number of investors holding tokens.
    /// @param holderCount Current number of investors holding tokens.
    /// @param allowedCountryCount Number of countries on the allow-list (0 = no allow-list).
    /// @param blockedCountryCount Number of blocked countries.
    /// @param maxBalancePerInvestor Maximum balance of one investor over all its wallets.
    /// @param minimumTransfer Minimum amount of a transfer or mint.
    /// @param denomination Amounts must be a multiple of this (0 or 1 = off).
    /// @param supplyCap Maximum total supply.
    struct Rules {
        uint64 lockupUntil;
        uint8 requiredInvestorClasses;
        uint8 ruleFlags;
        uint32 maxHolders;
        uint32 holderCount;
        uint32 allowedCountryCount;
        uint32 blockedCountryCount;
        uint256 maxBalancePerInvestor;
        uint256 minimumTransfer;
        uint256 denomination;
        uint256 supplyCap;
    }

    /// @notice `_ruleFlags` bit: the country allow-list is active.
    uint8 public constant FLAG_COUNTRY_ALLOWLIST = 1 << 0;
    /// @notice `_ruleFlags` bit: at least one country is blocked.
    uint8 public constant FLAG_COUNTRY_BLOCKLIST = 1 << 1;
    /// @notice `_ruleFlags` bit: the holder limit is active.
    uint8 public constant FLAG_MAX_HOLDERS = 1 << 2;
    /// @notice `_ruleFlags` bit: the per-investor balance limit is active.
    uint8 public constant FLAG_MAX_BALANCE = 1 << 3;
    /// @notice `_ruleFlags` bit: the minimum transfer is active.
    uint8 public constant FLAG_MIN_TRANSFER = 1 << 4;
    /// @notice `_ruleFlags` bit: the denomination rule is active.
    uint8 public constant FLAG_DENOMINATION = 1 << 5;
    /// @notice `_ruleFlags` bit: the supply cap is active.
    uint8 public constant FLAG_SUPPLY_CAP = 1 << 6;
    /// @notice `_ruleFlags` bit: at least one wallet has an address freeze or a frozen amount.
    uint8 public constant FLAG_FREEZES = 1 << 7;

    /// @notice `countryStatus` value: no rule for the country.
    uint8 public constant COUNTRY_NONE = 0;
    /// @notice `countryStatus` value: the country is on the allow-list.
    uint8 public constant COUNTRY_ALLOWED = 1;
    /// @notice `countryStatus` value: the country is blocked.
    uint8 public constant COUNTRY_BLOCKED = 2;

    /// @dev Valid class bits: 1 << 1 (RETAIL) | 1 << 2 (PROFESSIONAL) | 1 << 3 (INSTITUTIONAL).
    uint8 private constant _VALID_CLASS_MASK = 0x0E;
    uint16 private constant _MAX_COUNTRY = 999;

    // ---- hot slot, packed with Pausable._paused (keep these four declarations first and in this order) ----
    /// @dev The issuer's treasury: exempt from verification, an always-open exit for holders.
    address internal _treasury;
    /// @dev Lock-up end (unix time); 0 = none.
    uint64 internal _lockupUntil;
    /// @dev Allowed recipient classes as a bit mask `1 << class`; 0 = any.
    uint8 internal _requiredClasses;
    /// @dev Active costlier rules (FLAG_ bits).
    uint8 internal _ruleFlags;

    // ---- amount rules slot ----
    uint128 internal _minimumTransfer;
    uint128 internal _denomination;

    // ---- holder slot: limit and count together (a new holder reads/writes one slot) ----
    uint32 internal _maxHolders;
    uint32 internal _holderCount;

    // ---- one slot each ----
    uint256 internal _maxBalancePerInvestor;
    uint256 internal _supplyCap;

    /// @dev ISO 3166-1 numeric country => COUNTRY_NONE / COUNTRY_ALLOWED / COUNTRY_BLOCKED.
    mapping(uint16 country => uint8 status) internal _countryStatus;
    /// @dev The same lists, enumerable for administrators and auditors (transfers never read them).
    EnumerableSet.UintSet private _allowedCountries;
    EnumerableSet.UintSet private _blockedCountries;

    /// @notice Emitted when the treasury changes.
    /// @param previousTreasury The old treasury.
    /// @param newTreasury The new treasury.
    event TreasuryChanged(address indexed previousTreasury, address indexed newTreasury);
    /// @notice Emitted when a country is added to or removed from the allow-list.
    /// @param country ISO 3166-1 numeric code.
    /// @param allowed Whether it is now allowed.
    event CountryAllowed(uint16 indexed country, bool allowed);
    /// @notice Emitted when a country is blocked or unblocked.
    /// @param country ISO 3166-1 numeric code.
    /// @param blocked Whether it is now blocked.
    event CountryBlocked(uint16 indexed country, bool blocked);
    /// @notice Emitted when the required recipient class mask changes.
    /// @param mask Bit mask `1 << class` (0 = any).
    event RequiredInvestorClassesSet(uint8 mask);
    /// @notice Emitted when the holder limit changes.
    /// @param maxHolders New limit (0 = off).
    event MaxHoldersSet(uint32 maxHolders);
    /// @notice Emitted when the per-investor balance limit changes.
    /// @param maxBalance New limit (0 = off).
    event MaxBalancePerInvestorSet(uint256 maxBalance);
    /// @notice Emitted when the lock-up date changes.
    /// @param lockupUntil New lock-up end (0 = off).
    event LockupUntilSet(uint64 lockupUntil);
    /// @notice Emitted when the minimum transfer changes.
    /// @param minimumTransfer New minimum (0 = off).
    event MinimumTransferSet(uint256 minimumTransfer);
    /// @notice Emitted when the denomination changes.
    /// @param denomination New denomination (0 or 1 = off).
    event DenominationSet(uint256 denomination);
    /// @notice Emitted when the supply cap changes.
    /// @param supplyCap New cap (0 = off).
    event SupplyCapSet(uint256 supplyCap);

    /// @notice The class mask has bits other than 1 << 1, 1 << 2, 1 << 3.
    error InvalidInvestorClassMask(uint8 mask);
    /// @notice The country code is not in 1..999.
    error InvalidCountry(uint16 country);
    /// @notice The cap is below the current total supply.
    error SupplyCapBelowSupply(uint256 cap, uint256 supply);
    /// @notice The value does not fit the rule's storage (uint128).
    error RuleValueTooLarge(uint256 value);

    /// @param treasury_ The initial treasury.
    constructor(address treasury_) {
        if (treasury_ == address(0)) revert ZeroAddress();
        _treasury = treasury_;
        emit TreasuryChanged(address(0), treasury_);
    }

    // ------------------------------------------------------------------ setters

    /// @notice Sets the issuer's treasury (exempt from verification; holders can always exit to it).
    /// @param newTreasury The new treasury.
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert ZeroAddress();
        address previous = _treasury;
        _treasury = newTreasury;
        emit TreasuryChanged(previous, newTreasury);
    }

    /// @notice Adds countries to (or removes them from) the recipient allow-list. A non-empty allow-list admits
    /// only its countries. Allowing a blocked country unblocks it.
    /// @param countries ISO 3166-1 numeric codes (1..999).
    /// @param allowed True to allow, false to remove from the allow-list.
    function setAllowedCountries(uint16[] calldata countries, bool allowed) external onlyRole(COMPLIANCE_ROLE) {
        uint256 n = countries.length;
        for (uint256 i; i < n; ++i) {
            uint16 c = countries[i];
            uint8 status = _checkedCountryStatus(c);
            if (allowed) {
                if (status == COUNTRY_BLOCKED) emit CountryBlocked(c, false);
                _setCountryStatus(c, status, COUNTRY_ALLOWED);
            } else if (status == COUNTRY_ALLOWED) {
                _setCountryStatus(c, status, COUNTRY_NONE);
            }
            emit CountryAllowed(c, allowed);
        }
        _refreshCountryFlags();
    }

    /// @notice Blocks (or unblocks) recipient countries. Blocking an allowed country removes it from the allow-list.
    /// @param countries ISO 3166-1 numeric codes (1..999).
    /// @param blocked True to block, false to unblock.
    function setBlockedCountries(uint16[] calldata countries, bool blocked) external onlyRole(COMPLIANCE_ROLE) {
        uint256 n = countries.length;
        for (uint256 i; i < n; ++i) {
            uint16 c = countries[i];
            uint8 status = _checkedCountryStatus(c);
            if (blocked) {
                if (status == COUNTRY_ALLOWED) emit CountryAllowed(c, false);
                _setCountryStatus(c, status, COUNTRY_BLOCKED);
            } else if (status == COUNTRY_BLOCKED) {
                _setCountryStatus(c, status, COUNTRY_NONE);
            }
            emit CountryBlocked(c, blocked);
        }
        _refreshCountryFlags();
    }

    /// @notice Restricts recipients to investor classes (bit `1 << class`; 0 = any class).
    /// @param mask Bits 1 (RETAIL), 2 (PROFESSIONAL), 3 (INSTITUTIONAL) only.
    function setRequiredInvestorClasses(uint8 mask) external onlyRole(COMPLIANCE_ROLE) {
        if (mask & ~_VALID_CLASS_MASK != 0) revert InvalidInvestorClassMask(mask);
        _requiredClasses = mask;
        emit RequiredInvestorClassesSet(mask);
    }

    /// @notice Sets the maximum number of investors holding tokens (0 = off). May be below the current count:
    /// then no new holder is admitted until the count drops.
    /// @param maxHolders_ The limit.
    function setMaxHolders(uint32 maxHolders_) external onlyRole(COMPLIANCE_ROLE) {
        _maxHolders = maxHolders_;
        _setFlag(FLAG_MAX_HOLDERS, maxHolders_ != 0);
        emit MaxHoldersSet(maxHolders_);
    }

    /// @notice Sets the maximum balance of one investor summed over all its wallets (0 = off).
    /// @param maxBalance The limit.
    function setMaxBalancePerInvestor(uint256 maxBalance) external onlyRole(COMPLIANCE_ROLE) {
        _maxBalancePerInvestor = maxBalance;
        _setFlag(FLAG_MAX_BALANCE, maxBalance != 0);
        emit MaxBalancePerInvestorSet(maxBalance);
    }

    /// @notice Locks holder transfers until `lockupUntil` (0 = off). Mints, burns and agent actions are not locked.
    /// @param lockupUntil_ Unix time.
    function setLockupUntil(uint64 lockupUntil_) external onlyRole(COMPLIANCE_ROLE) {
        _lockupUntil = lockupUntil_;
        emit LockupUntilSet(lockupUntil_);
    }

    /// @notice Sets the minimum amount of a transfer or mint (0 = off).
    /// @param minimum The minimum (must fit uint128).
    function setMinimumTransfer(uint256 minimum) external onlyRole(COMPLIANCE_ROLE) {
        if (minimum > type(uint128).max) revert RuleValueTooLarge(minimum);
        _minimumTransfer = uint128(minimum);
        _setFlag(FLAG_MIN_TRANSFER, minimum != 0);
        emit MinimumTransferSet(minimum);
    }

    /// @notice Requires amounts to be a multiple of `denomination` (0 or 1 = off).
    /// @param denomination_ The denomination (must fit uint128).
    function setDenomination(uint256 denomination_) external onlyRole(COMPLIANCE_ROLE) {
        if (denomination_ > type(uint128).max) revert RuleValueTooLarge(denomination_);
        _denomination = uint128(denomination_);
        _setFlag(FLAG_DENOMINATION, denomination_ > 1);
        emit DenominationSet(denomination_);
    }

    /// @notice Caps the total supply (0 = off); the cap cannot be below the current supply.
    /// @param cap The cap.
    function setSupplyCap(uint256 cap) external onlyRole(COMPLIANCE_ROLE) {
        uint256 supply = totalSupply();
        if (cap != 0 && cap < supply) revert SupplyCapBelowSupply(cap, supply);
        _supplyCap = cap;
        _setFlag(FLAG_SUPPLY_CAP, cap != 0);
        emit SupplyCapSet(cap);
    }

    // ------------------------------------------------------------------ getters

    /// @notice The issuer's treasury.
    /// @return The treasury address.
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @notice Every rule in one call.
    /// @return r The rules.
    function rules() external view returns (Rules memory r) {
        r = Rules({
            lockupUntil: _lockupUntil,
            requiredInvestorClasses: _requiredClasses,
            ruleFlags: _ruleFlags,
            maxHolders: _maxHolders,
            holderCount: _holderCount,
            allowedCountryCount: uint32(_allowedCountries.length()),
            blockedCountryCount: uint32(_blockedCountries.length()),
            maxBalancePerInvestor: _maxBalancePerInvestor,
            minimumTransfer: _minimumTransfer,
            denomination: _denomination,
            supplyCap: _supplyCap
        });
    }

    /// @notice The recipient allow-list (empty = no allow-list), in no particular order.
    /// @return countries ISO 3166-1 numeric codes.
    function allowedCountries() external view returns (uint16[] memory countries) {
        return _countryList(_allowedCountries);
    }

    /// @notice The blocked recipient countries, in no particular order.
    /// @return countries ISO 3166-1 numeric codes.
    function blockedCountries() external view returns (uint16[] memory countries) {
        return _countryList(_blockedCountries);
    }

    /// @notice Status of a country: 0 none, 1 allowed, 2 blocked.
    /// @param country ISO 3166-1 numeric code.
    /// @return The status.
    function countryStatus(uint16 country) external view returns (uint8) {
        return _countryStatus[country];
    }

    /// @notice Lock-up end (0 = off).
    /// @return The unix time.
    function lockupUntil() external view returns (uint64) {
        return _lockupUntil;
    }

    /// @notice Required recipient class mask (0 = any).
    /// @return The mask.
    function requiredInvestorClasses() external view returns (uint8) {
        return _requiredClasses;
    }

    /// @notice Holder limit (0 = off).
    /// @return The limit.
    function maxHolders() external view returns (uint32) {
        return _maxHolders;
    }

    /// @notice Number of investors (registry keys) with at least one funded wallet; the treasury is not counted.
    /// @return The count.
    function holderCount() external view returns (uint32) {
        return _holderCount;
    }

    /// @notice Per-investor balance limit (0 = off).
    /// @return The limit.
    function maxBalancePerInvestor() external view returns (uint256) {
        return _maxBalancePerInvestor;
    }

    /// @notice Minimum transfer (0 = off).
    /// @return The minimum.
    function minimumTransfer() external view returns (uint256) {
        return _minimumTransfer;
    }

    /// @notice Denomination (0 or 1 = off).
    /// @return The denomination.
    function denomination() external view returns (uint256) {
        return _denomination;
    }

    /// @notice Supply cap (0 = off).
    /// @return The cap.
    function supplyCap() external view returns (uint256) {
        return _supplyCap;
    }

    // ------------------------------------------------------------------ internals

    function _checkedCountryStatus(uint16 country) private view returns (uint8) {
        if (country == 0 || country > _MAX_COUNTRY) revert InvalidCountry(country);
        return _countryStatus[country];
    }

    /// @dev Moves a country between statuses and keeps the allow/block counts in step.
    function _setCountryStatus(uint16 country, uint8 from, uint8 to) private {
        if (from == to) return;
        if (from == COUNTRY_ALLOWED) _allowedCountries.remove(country);
        else if (from == COUNTRY_BLOCKED) _blockedCountries.remove(country);
        if (to == COUNTRY_ALLOWED) _allowedCountries.add(country);
        else if (to == COUNTRY_BLOCKED) _blockedCountries.add(country);
        _countryStatus[country] = to;
    }

    function _countryList(EnumerableSet.UintSet storage set) private view returns (uint16[] memory countries) {
        uint256 n = set.length();
        countries = new uint16[](n);
        for (uint256 i; i < n; ++i) {
            countries[i] = uint16(set.at(i)); // only codes 1..999 are ever added
        }
    }

    function _refreshCountryFlags() private {
        _setFlag(FLAG_COUNTRY_ALLOWLIST, _allowedCountries.length() != 0);
        _setFlag(FLAG_COUNTRY_BLOCKLIST, _blockedCountries.length() != 0);
    }

    function _setFlag(uint8 flag, bool on) internal {
        uint8 flags = _ruleFlags;
        _ruleFlags = on ? flags | flag : flags & ~flag;
    }
}
