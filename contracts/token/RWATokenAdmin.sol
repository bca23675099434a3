// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IRWAToken} from "../interfaces/IRWAToken.sol";
import {IRWATokenAdmin} from "../interfaces/IRWATokenAdmin.sol";
import {AccountWord} from "../compliance/AccountWord.sol";
import {ArrayLengthMismatch, ZeroAddress} from "../compliance/Errors.sol";
import {Freezes} from "../compliance/Freezes.sol";
import {RestrictionCodes} from "../compliance/RestrictionCodes.sol";
import {Roles} from "../compliance/Roles.sol";
import {TokenStorage} from "../compliance/TokenStorage.sol";
import {MintRateLimit} from "./MintRateLimit.sol";

/// @title Administration module of the hktoken security tokens
/// @notice The cold administrative code of every token, deployed once and shared: rules, freezes, treasury,
/// documents and mint rate limits. A token forwards each of these calls here with DELEGATECALL, so the code runs in
/// the token's storage (`TokenStorage`) with the token's caller; this module checks that caller's role by asking
/// the token (`hasRole`). Keeping this code out of the token leaves each asset token room for its lifecycle under
/// the EIP-170 size limit, for about 3k more gas per administrative call and none on transfers.
/// @dev Called directly (not through a token), every function reverts with `AdminModuleNotDelegated`.
contract RWATokenAdmin is IRWATokenAdmin {
    using AccountWord for uint256;
    using EnumerableSet for EnumerableSet.UintSet;

    /// @dev Valid class bits: 1 << 1 (RETAIL) | 1 << 2 (PROFESSIONAL) | 1 << 3 (INSTITUTIONAL).
    uint8 private constant _VALID_CLASS_MASK = 0x0E;
    uint16 private constant _MAX_COUNTRY = 999;

    address private immutable _SELF = address(this);

    /// @notice The module was called directly instead of through a token's DELEGATECALL.
    error AdminModuleNotDelegated();

    modifier onlyRole(bytes32 role) {
        _checkRole(role);
        _;
    }

    // ------------------------------------------------------------------ DEFAULT_ADMIN_ROLE

    /// @inheritdoc IRWATokenAdmin
    function setTreasury(address newTreasury) external onlyRole(Roles.ADMIN) {
        if (newTreasury == address(0)) revert ZeroAddress();
        TokenStorage.Config storage c = TokenStorage.layout().config;
        address previous = c.treasury;
        c.treasury = newTreasury;
        emit TreasuryChanged(previous, newTreasury);
    }

    /// @inheritdoc IRWATokenAdmin
    function setDocument(bytes32 name, string calldata uri, bytes32 documentHash) external onlyRole(Roles.ADMIN) {
        if (name == bytes32(0)) revert EmptyDocumentName();
        TokenStorage.Layout storage $ = TokenStorage.layout();
        if ($.documentPositions[name] == 0) {
            $.documentNames.push(name);
            $.documentPositions[name] = $.documentNames.length;
        }
        $.documents[name] = TokenStorage.Document({uri: uri, documentHash: documentHash, lastModified: block.timestamp});
        emit DocumentUpdated(name, uri, documentHash);
    }

    /// @inheritdoc IRWATokenAdmin
    function removeDocument(bytes32 name) external onlyRole(Roles.ADMIN) {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        uint256 position = $.documentPositions[name];
        if (position == 0) revert DocumentNotFound(name);
        TokenStorage.Document memory doc = $.documents[name];
        uint256 last = $.documentNames.length;
        if (position != last) {
            bytes32 moved = $.documentNames[last - 1];
            $.documentNames[position - 1] = moved;
            $.documentPositions[moved] = position;
        }
        $.documentNames.pop();
        delete $.documentPositions[name];
        delete $.documents[name];
        emit DocumentRemoved(name, doc.uri, doc.documentHash);
    }

    /// @inheritdoc IRWATokenAdmin
    function setMintRateLimit(address issuer, uint128 amountPerPeriod, uint64 period) external onlyRole(Roles.ADMIN) {
        if (issuer == address(0)) revert ZeroAddress();
        TokenStorage.MintBucket storage b = TokenStorage.layout().mintBuckets[issuer];
        uint256 availableAfter = type(uint256).max;
        if (amountPerPeriod == 0) {
            period = 0;
        } else {
            if (period == 0) revert InvalidMintRatePeriod();
            availableAfter = amountPerPeriod; // a new limit starts full
            uint256 previous = b.amountPerPeriod;
            if (previous != 0) {
                // Keep what was consumed: the old limit minus what is available under it now.
                uint256 consumed = previous - MintRateLimit.scaledNow(b) / b.period;
                availableAfter = amountPerPeriod > consumed ? amountPerPeriod - consumed : 0;
            }
        }
        b.amountPerPeriod = amountPerPeriod;
        b.period = period;
        b.updatedAt = uint64(block.timestamp);
        // availableAfter <= amountPerPeriod < 2^128 and period < 2^64 when a limit is set.
        b.availableScaled = amountPerPeriod == 0 ? 0 : uint192(availableAfter * period);
        emit MintRateLimitSet(issuer, amountPerPeriod, period, availableAfter);
    }

    /// @inheritdoc IRWATokenAdmin
    function setMintingSuspended(address issuer, bool suspended) external onlyRole(Roles.ADMIN) {
        if (issuer == address(0)) revert ZeroAddress();
        TokenStorage.layout().mintBuckets[issuer].suspended = suspended;
        emit MintingSuspensionSet(issuer, suspended);
    }

    // ------------------------------------------------------------------ COMPLIANCE_ROLE

    /// @inheritdoc IRWATokenAdmin
    function setAllowedCountries(uint16[] calldata countries, bool allowed) external onlyRole(Roles.COMPLIANCE) {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        uint256 n = countries.length;
        for (uint256 i; i < n; ++i) {
            uint16 c = countries[i];
            uint8 status = _checkedCountryStatus($, c);
            if (allowed) {
                if (status == TokenStorage.COUNTRY_BLOCKED) emit CountryBlocked(c, false);
                _setCountryStatus($, c, status, TokenStorage.COUNTRY_ALLOWED);
            } else if (status == TokenStorage.COUNTRY_ALLOWED) {
                _setCountryStatus($, c, status, TokenStorage.COUNTRY_NONE);
            }
            emit CountryAllowed(c, allowed);
        }
        _refreshCountryFlags($);
    }

    /// @inheritdoc IRWATokenAdmin
    function setBlockedCountries(uint16[] calldata countries, bool blocked) external onlyRole(Roles.COMPLIANCE) {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        uint256 n = countries.length;
        for (uint256 i; i < n; ++i) {
            uint16 c = countries[i];
            uint8 status = _checkedCountryStatus($, c);
            if (blocked) {
                if (status == TokenStorage.COUNTRY_ALLOWED) emit CountryAllowed(c, false);
                _setCountryStatus($, c, status, TokenStorage.COUNTRY_BLOCKED);
            } else if (status == TokenStorage.COUNTRY_BLOCKED) {
                _setCountryStatus($, c, status, TokenStorage.COUNTRY_NONE);
            }
            emit CountryBlocked(c, blocked);
        }
        _refreshCountryFlags($);
    }

    /// @inheritdoc IRWATokenAdmin
    function setRequiredInvestorClasses(uint8 mask) external onlyRole(Roles.COMPLIANCE) {
        if (mask & ~_VALID_CLASS_MASK != 0) revert InvalidInvestorClassMask(mask);
        TokenStorage.layout().config.requiredClasses = mask;
        emit RequiredInvestorClassesSet(mask);
    }

    /// @inheritdoc IRWATokenAdmin
    function setMaxHolders(uint32 maxHolders) external onlyRole(Roles.COMPLIANCE) {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        $.maxHolders = maxHolders;
        TokenStorage.setFlag($, TokenStorage.FLAG_MAX_HOLDERS, maxHolders != 0);
        emit MaxHoldersSet(maxHolders);
    }

    /// @inheritdoc IRWATokenAdmin
    function setMaxBalancePerInvestor(uint256 maxBalance) external onlyRole(Roles.COMPLIANCE) {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        $.maxBalancePerInvestor = maxBalance;
        TokenStorage.setFlag($, TokenStorage.FLAG_MAX_BALANCE, maxBalance != 0);
        emit MaxBalancePerInvestorSet(maxBalance);
    }

    /// @inheritdoc IRWATokenAdmin
    function setLockupUntil(uint64 lockupUntil) external onlyRole(Roles.COMPLIANCE) {
        TokenStorage.layout().config.lockupUntil = lockupUntil;
        emit LockupUntilSet(lockupUntil);
    }

    /// @inheritdoc IRWATokenAdmin
    function setMinimumTransfer(uint256 minimum) external onlyRole(Roles.COMPLIANCE) {
        if (minimum > type(uint128).max) revert RuleValueTooLarge(minimum);
        TokenStorage.Layout storage $ = TokenStorage.layout();
        $.minimumTransfer = uint128(minimum);
        TokenStorage.setFlag($, TokenStorage.FLAG_MIN_TRANSFER, minimum != 0);
        emit MinimumTransferSet(minimum);
    }

    /// @inheritdoc IRWATokenAdmin
    function setDenomination(uint256 denomination) external onlyRole(Roles.COMPLIANCE) {
        if (denomination > type(uint128).max) revert RuleValueTooLarge(denomination);
        TokenStorage.Layout storage $ = TokenStorage.layout();
        $.denomination = uint128(denomination);
        TokenStorage.setFlag($, TokenStorage.FLAG_DENOMINATION, denomination > 1);
        emit DenominationSet(denomination);
    }

    /// @inheritdoc IRWATokenAdmin
    function setSupplyCap(uint256 cap) external onlyRole(Roles.COMPLIANCE) {
        if (cap > type(uint128).max) revert RuleValueTooLarge(cap);
        TokenStorage.Layout storage $ = TokenStorage.layout();
        uint256 supply = $.totalSupply;
        if (cap != 0 && cap < supply) revert SupplyCapBelowSupply(cap, supply);
        $.supplyCap = uint128(cap);
        TokenStorage.setFlag($, TokenStorage.FLAG_SUPPLY_CAP, cap != 0);
        emit SupplyCapSet(cap);
    }

    // ------------------------------------------------------------------ AGENT_ROLE

    /// @inheritdoc IRWATokenAdmin
    function setAddressFrozen(address user, bool freeze) external onlyRole(Roles.AGENT) {
        Freezes.setAddressFrozen(TokenStorage.layout(), user, freeze);
    }

    /// @inheritdoc IRWATokenAdmin
    function freezePartialTokens(address user, uint256 amount) external onlyRole(Roles.AGENT) {
        _freezePartialTokens(user, amount);
    }

    /// @inheritdoc IRWATokenAdmin
    function unfreezePartialTokens(address user, uint256 amount) external onlyRole(Roles.AGENT) {
        _unfreezePartialTokens(user, amount);
    }

    /// @notice ERC-7943: sets the absolute frozen amount of `account`; it may exceed the balance, up to
    /// type(uint256).max (future receipts are withheld too).
    /// @param account The wallet.
    /// @param amount The new frozen amount.
    /// @return result Always true (reverts on failure).
    function setFrozenTokens(address account, uint256 amount) external onlyRole(Roles.AGENT) returns (bool result) {
        if (account == address(0)) revert ZeroAddress();
        TokenStorage.Layout storage $ = TokenStorage.layout();
        uint256 word = $.accounts[account];
        $.accounts[account] = Freezes.writeFrozenAmount($, account, word, Freezes.frozenAmount($, account, word), amount);
        return true;
    }

    /// @inheritdoc IRWATokenAdmin
    function batchSetAddressFrozen(address[] calldata users, bool[] calldata freeze) external onlyRole(Roles.AGENT) {
        uint256 n = users.length;
        if (freeze.length != n) revert ArrayLengthMismatch();
        TokenStorage.Layout storage $ = TokenStorage.layout();
        for (uint256 i; i < n; ++i) {
            Freezes.setAddressFrozen($, users[i], freeze[i]);
        }
    }

    /// @inheritdoc IRWATokenAdmin
    function batchFreezePartialTokens(address[] calldata users, uint256[] calldata amounts)
        external
        onlyRole(Roles.AGENT)
    {
        uint256 n = users.length;
        if (amounts.length != n) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _freezePartialTokens(users[i], amounts[i]);
        }
    }

    /// @inheritdoc IRWATokenAdmin
    function batchUnfreezePartialTokens(address[] calldata users, uint256[] calldata amounts)
        external
        onlyRole(Roles.AGENT)
    {
        uint256 n = users.length;
        if (amounts.length != n) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _unfreezePartialTokens(users[i], amounts[i]);
        }
    }

    // ------------------------------------------------------------------ views (through the token's view gate)

    /// @notice ERC-1404 message of a core restriction code (the token answers asset codes itself).
    /// @param restrictionCode The code.
    /// @return The message ("unknown restriction code" outside the table).
    function messageForTransferRestriction(uint8 restrictionCode) external pure returns (string memory) {
        return RestrictionCodes.message(restrictionCode);
    }

    /// @inheritdoc IRWATokenAdmin
    function rules() external view returns (Rules memory r) {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        TokenStorage.Config memory c = $.config;
        r = Rules({
            lockupUntil: c.lockupUntil,
            requiredInvestorClasses: c.requiredClasses,
            ruleFlags: c.ruleFlags,
            maxHolders: $.maxHolders,
            holderCount: $.holderCount,
            allowedCountryCount: uint32($.allowedCountries.length()),
            blockedCountryCount: uint32($.blockedCountries.length()),
            maxBalancePerInvestor: $.maxBalancePerInvestor,
            minimumTransfer: $.minimumTransfer,
            denomination: $.denomination,
            supplyCap: $.supplyCap
        });
    }

    /// @inheritdoc IRWATokenAdmin
    function allowedCountries() external view returns (uint16[] memory countries) {
        return _countryList(TokenStorage.layout().allowedCountries);
    }

    /// @inheritdoc IRWATokenAdmin
    function blockedCountries() external view returns (uint16[] memory countries) {
        return _countryList(TokenStorage.layout().blockedCountries);
    }

    /// @inheritdoc IRWATokenAdmin
    function countryStatus(uint16 country) external view returns (uint8 status) {
        return TokenStorage.layout().countryStatus[country];
    }

    /// @inheritdoc IRWATokenAdmin
    function mintRateLimit(address issuer) external view returns (uint128 amountPerPeriod, uint64 period) {
        TokenStorage.MintBucket storage b = TokenStorage.layout().mintBuckets[issuer];
        return (b.amountPerPeriod, b.period);
    }

    /// @inheritdoc IRWATokenAdmin
    function isMintingSuspended(address issuer) external view returns (bool suspended) {
        return TokenStorage.layout().mintBuckets[issuer].suspended;
    }

    /// @inheritdoc IRWATokenAdmin
    function mintAllowance(address issuer) external view returns (uint256 allowance) {
        return MintRateLimit.available(TokenStorage.layout(), issuer);
    }

    /// @inheritdoc IRWATokenAdmin
    function getDocument(bytes32 name)
        external
        view
        returns (string memory uri, bytes32 documentHash, uint256 lastModified)
    {
        TokenStorage.Document storage doc = TokenStorage.layout().documents[name];
        return (doc.uri, doc.documentHash, doc.lastModified);
    }

    /// @inheritdoc IRWATokenAdmin
    function getAllDocuments() external view returns (bytes32[] memory names) {
        return TokenStorage.layout().documentNames;
    }

    /// @inheritdoc IRWATokenAdmin
    function fundedWallets(uint48 key) external view returns (uint256 count) {
        address primary = IRWAToken(address(this)).registry().primaryWalletOfKey(key);
        uint256 word = TokenStorage.layout().accounts[primary];
        return (word.counted() ? 1 : 0) + word.secondaries();
    }

    // ------------------------------------------------------------------ internals

    function _countryList(EnumerableSet.UintSet storage set) private view returns (uint16[] memory countries) {
        uint256 n = set.length();
        countries = new uint16[](n);
        for (uint256 i; i < n; ++i) {
            countries[i] = uint16(set.at(i)); // only codes 1..999 are ever added
        }
    }

    /// @dev Role check against the token this module runs in (`address(this)` under DELEGATECALL).
    function _checkRole(bytes32 role) private view {
        if (address(this) == _SELF) revert AdminModuleNotDelegated();
        if (!IAccessControl(address(this)).hasRole(role, msg.sender)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, role);
        }
    }

    function _freezePartialTokens(address user, uint256 amount) private {
        if (user == address(0)) revert ZeroAddress();
        TokenStorage.Layout storage $ = TokenStorage.layout();
        uint256 word = $.accounts[user];
        uint256 balance = word.balance();
        uint256 frozenBefore = Freezes.frozenAmount($, user, word);
        if (frozenBefore > balance || amount > balance - frozenBefore) {
            // Saturating: a pre-freeze of up to type(uint256).max must give this error, not an overflow panic.
            uint256 frozenAfter = amount > type(uint256).max - frozenBefore ? type(uint256).max : frozenBefore + amount;
            revert FreezeExceedsBalance(user, balance, frozenAfter);
        }
        unchecked {
            // frozenBefore + amount <= balance checked above.
            $.accounts[user] = Freezes.writeFrozenAmount($, user, word, frozenBefore, frozenBefore + amount);
        }
    }

    function _unfreezePartialTokens(address user, uint256 amount) private {
        if (user == address(0)) revert ZeroAddress();
        TokenStorage.Layout storage $ = TokenStorage.layout();
        uint256 word = $.accounts[user];
        uint256 frozenBefore = Freezes.frozenAmount($, user, word);
        if (amount > frozenBefore) revert UnfreezeExceedsFrozen(user, frozenBefore, amount);
        unchecked {
            // amount <= frozenBefore checked above.
            $.accounts[user] = Freezes.writeFrozenAmount($, user, word, frozenBefore, frozenBefore - amount);
        }
    }

    function _checkedCountryStatus(TokenStorage.Layout storage $, uint16 country) private view returns (uint8) {
        if (country == 0 || country > _MAX_COUNTRY) revert InvalidCountry(country);
        return $.countryStatus[country];
    }

    /// @dev Moves a country between statuses and keeps the enumerable lists in step.
    function _setCountryStatus(TokenStorage.Layout storage $, uint16 country, uint8 from, uint8 to) private {
        if (from == to) return;
        if (from == TokenStorage.COUNTRY_ALLOWED) $.allowedCountries.remove(country);
        else if (from == TokenStorage.COUNTRY_BLOCKED) $.blockedCountries.remove(country);
        if (to == TokenStorage.COUNTRY_ALLOWED) $.allowedCountries.add(country);
        else if (to == TokenStorage.COUNTRY_BLOCKED) $.blockedCountries.add(country);
        $.countryStatus[country] = to;
    }

    function _refreshCountryFlags(TokenStorage.Layout storage $) private {
        TokenStorage.setFlag($, TokenStorage.FLAG_COUNTRY_ALLOWLIST, $.allowedCountries.length() != 0);
        TokenStorage.setFlag($, TokenStorage.FLAG_COUNTRY_BLOCKLIST, $.blockedCountries.length() != 0);
    }
}
