// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

/// @title Storage of the compliance token (ERC-7201 namespace `hktoken.storage.RWAToken`)
/// @notice Every piece of state the compliance core owns: balances with their per-wallet flags, supply, the rules,
/// freezes, mint rate limits and documents. The token and its administration module (which runs in the token's
/// storage through DELEGATECALL) both reach it through `layout()`, so neither depends on inheritance order.
/// @dev STORAGE LAYOUT IS A GAS DECISION (docs/contracts-spec.md, "Token layout"):
/// - `config` is the hot word: pause flag, treasury, lock-up, class mask and rule flags in one slot, read once
///   per transfer. The flags say which costlier rules are on, so a rule that is off costs no storage read.
/// - `accounts` holds one word per wallet (see `AccountWord`): the balance together with the wallet's freeze
///   flags, its holder-accounting state and 96 bits an asset token keeps per holder, so a transfer reads and
///   writes one slot per side whatever the asset does.
/// - `totalSupply` and `supplyCap` share a slot: a mint under a cap reads one.
library TokenStorage {
    /// @dev The hot word: 1 + 20 + 8 + 1 + 1 + 1 = 32 bytes. `assetFlags` (bits 248-255) belongs to the asset
    /// token (`ComplianceEngine._assetFlags`): state its rules must see on every transfer at no extra cold read.
    struct Config {
        bool paused;
        address treasury;
        uint64 lockupUntil;
        uint8 requiredClasses;
        uint8 ruleFlags;
        uint8 assetFlags;
    }

    /// @dev Slot 1: the limit; slot 2: the bucket, never zero once set (the timestamp), so a mint never turns a
    /// zero slot non-zero between estimate and inclusion.
    struct MintBucket {
        uint128 amountPerPeriod;
        uint64 period;
        bool suspended;
        uint64 updatedAt;
        uint192 availableScaled;
    }

    struct Document {
        string uri;
        bytes32 documentHash;
        uint256 lastModified;
    }

    /// @custom:storage-location erc7201:hktoken.storage.RWAToken
    struct Layout {
        Config config;
        mapping(address wallet => uint256 word) accounts;
        uint128 totalSupply;
        uint128 supplyCap;
        uint128 minimumTransfer;
        uint128 denomination;
        uint32 maxHolders;
        uint32 holderCount;
        uint256 maxBalancePerInvestor;
        mapping(uint16 country => uint8 status) countryStatus;
        EnumerableSet.UintSet allowedCountries;
        EnumerableSet.UintSet blockedCountries;
        mapping(address wallet => uint256 amount) frozenAmounts;
        mapping(address issuer => MintBucket) mintBuckets;
        mapping(bytes32 name => Document) documents;
        mapping(bytes32 name => uint256 position) documentPositions;
        bytes32[] documentNames;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("hktoken.storage.RWAToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant SLOT = 0x758c394f5b174f8a98bd624f9711d993bd71ae7e538a5219dd912c2ae53e5c00;

    /// @notice `ruleFlags` bit: the country allow-list is active.
    uint8 internal constant FLAG_COUNTRY_ALLOWLIST = 1 << 0;
    /// @notice `ruleFlags` bit: at least one country is blocked.
    uint8 internal constant FLAG_COUNTRY_BLOCKLIST = 1 << 1;
    /// @notice `ruleFlags` bit: the holder limit is active.
    uint8 internal constant FLAG_MAX_HOLDERS = 1 << 2;
    /// @notice `ruleFlags` bit: the per-investor balance limit is active.
    uint8 internal constant FLAG_MAX_BALANCE = 1 << 3;
    /// @notice `ruleFlags` bit: the minimum transfer is active.
    uint8 internal constant FLAG_MIN_TRANSFER = 1 << 4;
    /// @notice `ruleFlags` bit: the denomination rule is active.
    uint8 internal constant FLAG_DENOMINATION = 1 << 5;
    /// @notice `ruleFlags` bit: the supply cap is active.
    uint8 internal constant FLAG_SUPPLY_CAP = 1 << 6;

    /// @notice `countryStatus` value: no rule for the country.
    uint8 internal constant COUNTRY_NONE = 0;
    /// @notice `countryStatus` value: the country is on the allow-list.
    uint8 internal constant COUNTRY_ALLOWED = 1;
    /// @notice `countryStatus` value: the country is blocked.
    uint8 internal constant COUNTRY_BLOCKED = 2;

    /// @notice The namespace.
    /// @return $ The storage struct.
    function layout() internal pure returns (Layout storage $) {
        assembly ("memory-safe") {
            $.slot := SLOT
        }
    }

    /// @notice Sets or clears a rule flag in the hot word.
    /// @param $ The storage.
    /// @param flag The FLAG_ bit.
    /// @param on Whether the rule is active.
    function setFlag(Layout storage $, uint8 flag, bool on) internal {
        uint8 flags = $.config.ruleFlags;
        $.config.ruleFlags = on ? flags | flag : flags & ~flag;
    }
}
