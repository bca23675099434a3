// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Administration of an hktoken security token
/// @notice The cold administrative surface: rules (COMPLIANCE_ROLE), freezes (AGENT_ROLE), treasury, documents and
/// mint rate limits (DEFAULT_ADMIN_ROLE). The token declares each function and forwards it to the shared
/// `RWATokenAdmin` module, which runs it in the token's own storage (DELEGATECALL) and checks the caller's role there.
interface IRWATokenAdmin {
    /// @notice Snapshot of every rule (0 = off for each limit).
    /// @param lockupUntil Transfers are locked until this unix time.
    /// @param requiredInvestorClasses Bit mask `1 << class` of allowed recipient classes (0 = any).
    /// @param ruleFlags Bit set of the active costlier rules.
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
    /// @notice Emitted when an address is frozen or unfrozen.
    /// @param user The wallet.
    /// @param isFrozen The new status.
    /// @param owner The agent who made the change.
    event AddressFrozen(address indexed user, bool indexed isFrozen, address indexed owner);
    /// @notice Emitted when part of a balance is frozen (followed by `Frozen` with the new total).
    /// @param user The wallet.
    /// @param amount The amount added to the frozen amount.
    event TokensFrozen(address indexed user, uint256 amount);
    /// @notice Emitted when part of a frozen amount is released, by an agent or by a forced transfer or burn that
    /// takes frozen tokens (followed by `Frozen` with the new total).
    /// @param user The wallet.
    /// @param amount The amount released.
    event TokensUnfrozen(address indexed user, uint256 amount);
    /// @notice Emitted when a document is added or updated.
    /// @param name The document name.
    /// @param uri The document URI.
    /// @param documentHash The document content hash.
    event DocumentUpdated(bytes32 indexed name, string uri, bytes32 documentHash);
    /// @notice Emitted when a document is removed.
    /// @param name The document name.
    /// @param uri The URI it had.
    /// @param documentHash The hash it had.
    event DocumentRemoved(bytes32 indexed name, string uri, bytes32 documentHash);
    /// @notice Emitted when an issuer's mint rate limit is set or removed (amountPerPeriod 0).
    /// @param issuer The issuer.
    /// @param amountPerPeriod Bucket size (0 = no limit).
    /// @param period Refill period in seconds.
    /// @param available What the issuer may mint right after the change.
    event MintRateLimitSet(address indexed issuer, uint128 amountPerPeriod, uint64 period, uint256 available);
    /// @notice Emitted when an issuer's minting is suspended or resumed.
    /// @param issuer The issuer.
    /// @param suspended Whether it is now suspended.
    event MintingSuspensionSet(address indexed issuer, bool suspended);

    /// @notice The class mask has bits other than 1 << 1, 1 << 2, 1 << 3.
    error InvalidInvestorClassMask(uint8 mask);
    /// @notice The country code is not in 1..999.
    error InvalidCountry(uint16 country);
    /// @notice The cap is below the current total supply.
    error SupplyCapBelowSupply(uint256 cap, uint256 supply);
    /// @notice The value does not fit the rule's storage (uint128).
    error RuleValueTooLarge(uint256 value);
    /// @notice `freezePartialTokens` would freeze more than the balance.
    error FreezeExceedsBalance(address account, uint256 balance, uint256 frozenAfter);
    /// @notice `unfreezePartialTokens` would release more than is frozen.
    error UnfreezeExceedsFrozen(address account, uint256 frozen, uint256 amount);
    /// @notice No document has that name.
    error DocumentNotFound(bytes32 name);
    /// @notice The document name is zero.
    error EmptyDocumentName();
    /// @notice A rate limit needs a non-zero period.
    error InvalidMintRatePeriod();

    /// @notice Sets the issuer's treasury (exempt from verification; holders can always exit to it).
    /// @param newTreasury The new treasury.
    function setTreasury(address newTreasury) external;

    /// @notice Adds countries to (or removes them from) the recipient allow-list. A non-empty allow-list admits
    /// only its countries. Allowing a blocked country unblocks it.
    /// @param countries ISO 3166-1 numeric codes (1..999).
    /// @param allowed True to allow, false to remove from the allow-list.
    function setAllowedCountries(uint16[] calldata countries, bool allowed) external;

    /// @notice Blocks (or unblocks) recipient countries. Blocking an allowed country removes it from the allow-list.
    /// @param countries ISO 3166-1 numeric codes (1..999).
    /// @param blocked True to block, false to unblock.
    function setBlockedCountries(uint16[] calldata countries, bool blocked) external;

    /// @notice Restricts recipients to investor classes (bit `1 << class`; 0 = any class).
    /// @param mask Bits 1 (RETAIL), 2 (PROFESSIONAL), 3 (INSTITUTIONAL) only.
    function setRequiredInvestorClasses(uint8 mask) external;

    /// @notice Sets the maximum number of investors holding tokens (0 = off). May be below the current count:
    /// then no new holder is admitted until the count drops.
    /// @param maxHolders The limit.
    function setMaxHolders(uint32 maxHolders) external;

    /// @notice Sets the maximum balance of one investor summed over all its wallets, retired ones included
    /// (0 = off). Omnibus accounts are exempt.
    /// @param maxBalance The limit.
    function setMaxBalancePerInvestor(uint256 maxBalance) external;

    /// @notice Locks holder transfers until `lockupUntil` (0 = off). Mints, burns and agent actions are not locked.
    /// @param lockupUntil Unix time.
    function setLockupUntil(uint64 lockupUntil) external;

    /// @notice Sets the minimum amount of a transfer or mint (0 = off).
    /// @param minimum The minimum (must fit uint128).
    function setMinimumTransfer(uint256 minimum) external;

    /// @notice Requires amounts to be a multiple of `denomination` (0 or 1 = off).
    /// @param denomination The denomination (must fit uint128).
    function setDenomination(uint256 denomination) external;

    /// @notice Caps the total supply (0 = off); the cap cannot be below the current supply.
    /// @param cap The cap (must fit uint128, like the supply).
    function setSupplyCap(uint256 cap) external;

    /// @notice Freezes or unfreezes a whole address: it can then neither send nor receive, nor spend allowances.
    /// @param user The wallet.
    /// @param freeze True to freeze.
    function setAddressFrozen(address user, bool freeze) external;

    /// @notice Freezes `amount` more tokens of `user`; the frozen total may not exceed the balance.
    /// @param user The wallet.
    /// @param amount The amount to add to the frozen amount.
    function freezePartialTokens(address user, uint256 amount) external;

    /// @notice Releases `amount` of the frozen tokens of `user`.
    /// @param user The wallet.
    /// @param amount The amount to release.
    function unfreezePartialTokens(address user, uint256 amount) external;

    /// @notice Batch form of `setAddressFrozen` (all-or-nothing).
    /// @param users Wallets.
    /// @param freeze Flags.
    function batchSetAddressFrozen(address[] calldata users, bool[] calldata freeze) external;

    /// @notice Batch form of `freezePartialTokens` (all-or-nothing).
    /// @param users Wallets.
    /// @param amounts Amounts.
    function batchFreezePartialTokens(address[] calldata users, uint256[] calldata amounts) external;

    /// @notice Batch form of `unfreezePartialTokens` (all-or-nothing).
    /// @param users Wallets.
    /// @param amounts Amounts.
    function batchUnfreezePartialTokens(address[] calldata users, uint256[] calldata amounts) external;

    /// @notice Adds or updates a document.
    /// @param name The document name (non-zero).
    /// @param uri The document URI.
    /// @param documentHash The document content hash.
    function setDocument(bytes32 name, string calldata uri, bytes32 documentHash) external;

    /// @notice Removes a document.
    /// @param name The document name.
    function removeDocument(bytes32 name) external;

    /// @notice Sets the mint rate limit of `issuer`: a token bucket of `amountPerPeriod` that refills continuously
    /// and exactly at `amountPerPeriod` per `period` seconds (never more than `amountPerPeriod` at once).
    /// @dev A new limit starts full. Changing an existing limit keeps what was consumed: the issuer may then mint
    /// `max(0, amountPerPeriod - (oldAmountPerPeriod - availableNow))`. `amountPerPeriod` 0 removes the limit (the
    /// issuer is then unlimited); to stop an issuer, use `setMintingSuspended`.
    /// @param issuer The issuer.
    /// @param amountPerPeriod Bucket size (0 removes the limit).
    /// @param period Refill period in seconds (> 0 when a limit is set).
    function setMintRateLimit(address issuer, uint128 amountPerPeriod, uint64 period) external;

    /// @notice Suspends (or resumes) all minting by `issuer`, whatever its rate limit.
    /// @param issuer The issuer.
    /// @param suspended True to suspend.
    function setMintingSuspended(address issuer, bool suspended) external;

    /// @notice Every rule in one call.
    /// @return r The rules.
    function rules() external view returns (Rules memory r);

    /// @notice The recipient allow-list (empty = no allow-list), in no particular order.
    /// @return countries ISO 3166-1 numeric codes.
    function allowedCountries() external view returns (uint16[] memory countries);

    /// @notice The blocked recipient countries, in no particular order.
    /// @return countries ISO 3166-1 numeric codes.
    function blockedCountries() external view returns (uint16[] memory countries);

    /// @notice Status of a country: 0 none, 1 allowed, 2 blocked.
    /// @param country ISO 3166-1 numeric code.
    /// @return status The status.
    function countryStatus(uint16 country) external view returns (uint8 status);

    /// @notice The mint rate limit of `issuer`.
    /// @param issuer The issuer.
    /// @return amountPerPeriod Bucket size (0 = no limit).
    /// @return period Refill period in seconds.
    function mintRateLimit(address issuer) external view returns (uint128 amountPerPeriod, uint64 period);

    /// @notice Whether `issuer`'s minting is suspended.
    /// @param issuer The issuer.
    /// @return suspended True if suspended.
    function isMintingSuspended(address issuer) external view returns (bool suspended);

    /// @notice How much `issuer` may mint right now.
    /// @param issuer The issuer.
    /// @return allowance 0 while suspended, type(uint256).max when the issuer has no limit.
    function mintAllowance(address issuer) external view returns (uint256 allowance);

    /// @notice A document by name (ERC-1643); an unknown name returns empty values.
    /// @param name The document name.
    /// @return uri The document URI.
    /// @return documentHash The content hash.
    /// @return lastModified When it was last set (unix time).
    function getDocument(bytes32 name)
        external
        view
        returns (string memory uri, bytes32 documentHash, uint256 lastModified);

    /// @notice Names of all documents (ERC-1643).
    /// @return names The names.
    function getAllDocuments() external view returns (bytes32[] memory names);

    /// @notice How many wallets of investor `key` are counted as funded in holder accounting.
    /// @param key The registry key of the investor.
    /// @return count The number of counted wallets (the investor is a holder while it is non-zero).
    function fundedWallets(uint48 key) external view returns (uint256 count);
}
