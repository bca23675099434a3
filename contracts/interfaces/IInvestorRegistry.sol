// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title hktoken investor registry interface
/// @notice One KYC registry shared by many tokens. A token reads exactly one storage slot per wallet per transfer.
interface IInvestorRegistry {
    /// @notice KYC profile of a wallet: a copy of its investor's record plus two per-wallet flags. ONE storage slot.
    /// @dev Field order is the storage order; `PackedProfile` decodes the raw slot word, so do not reorder.
    /// @param key Compact sequential investor number (1, 2, ...), never reused; 0 = unregistered.
    /// @param kycExpiry Unix time at which the KYC check expires.
    /// @param country ISO 3166-1 numeric country code (1..999).
    /// @param investorClass 1 RETAIL, 2 PROFESSIONAL, 3 INSTITUTIONAL.
    /// @param revoked True when the investor is revoked.
    /// @param omnibus True for an account held by a licensed intermediary for its clients.
    /// @param retired Per wallet: the wallet was removed (it keeps its investor key forever).
    /// @param primary Per wallet: the investor's first wallet, its anchor in every token's holder accounting.
    struct Profile {
        uint48 key;
        uint64 kycExpiry;
        uint16 country;
        uint8 investorClass;
        bool revoked;
        bool omnibus;
        bool retired;
        bool primary;
    }

    /// @notice Emitted when an investor is registered with its first (primary) wallet.
    /// @param id The investor id.
    /// @param wallet The primary wallet.
    /// @param key The compact investor number assigned.
    /// @param country ISO 3166-1 numeric country code.
    /// @param investorClass The investor class.
    /// @param kycExpiry KYC expiry (unix time).
    /// @param omnibus Whether the investor is an omnibus account.
    event InvestorRegistered(
        bytes32 indexed id,
        address indexed wallet,
        uint48 key,
        uint16 country,
        uint8 investorClass,
        uint64 kycExpiry,
        bool omnibus
    );

    /// @notice Emitted when an investor's country, class or omnibus flag is updated.
    /// @param id The investor id.
    /// @param country The new country.
    /// @param investorClass The new class.
    /// @param omnibus The new omnibus flag.
    event InvestorUpdated(bytes32 indexed id, uint16 country, uint8 investorClass, bool omnibus);

    /// @notice Emitted when an investor's KYC is renewed.
    /// @param id The investor id.
    /// @param kycExpiry The new KYC expiry.
    event KycRenewed(bytes32 indexed id, uint64 kycExpiry);

    /// @notice Emitted when an investor is revoked.
    /// @param id The investor id.
    event InvestorRevoked(bytes32 indexed id);

    /// @notice Emitted when a revoked investor is reinstated.
    /// @param id The investor id.
    event InvestorReinstated(bytes32 indexed id);

    /// @notice Emitted when a further wallet is linked to an investor (the first comes with `InvestorRegistered`).
    /// @param id The investor id.
    /// @param wallet The wallet.
    event WalletAdded(bytes32 indexed id, address indexed wallet);

    /// @notice Emitted when a wallet is retired: no longer verified, never registrable again, still its investor's.
    /// @param id The investor id.
    /// @param wallet The wallet.
    event WalletRemoved(bytes32 indexed id, address indexed wallet);

    /// @notice The investor id is already registered.
    error InvestorAlreadyRegistered(bytes32 id);
    /// @notice The investor id is not registered.
    error InvestorNotRegistered(bytes32 id);
    /// @notice The wallet is already linked to an investor.
    error WalletAlreadyRegistered(address wallet);
    /// @notice The wallet was never registered.
    error WalletNotRegistered(address wallet);
    /// @notice The wallet was removed; a removed wallet can never be registered again.
    error WalletRetired(address wallet);
    /// @notice The investor has already had `MAX_WALLETS_PER_INVESTOR` wallets (retired ones included).
    error TooManyWallets(bytes32 id);
    /// @notice The KYC expiry is not in the future.
    error KycExpiryInPast(uint64 kycExpiry);
    /// @notice The investor class is not 1, 2 or 3.
    error InvalidInvestorClass(uint8 investorClass);
    /// @notice The country code is not in 1..999.
    error InvalidCountry(uint16 country);
    /// @notice The investor id is zero.
    error InvalidInvestorId();

    /// @notice Registers an investor with its first (primary) wallet.
    /// @param id The investor id (non-zero).
    /// @param wallet The first wallet.
    /// @param country ISO 3166-1 numeric country code (1..999).
    /// @param investorClass 1 RETAIL, 2 PROFESSIONAL, 3 INSTITUTIONAL.
    /// @param kycExpiry KYC expiry, must be in the future.
    /// @param omnibus Whether the account is an omnibus account of a licensed intermediary.
    function registerInvestor(
        bytes32 id,
        address wallet,
        uint16 country,
        uint8 investorClass,
        uint64 kycExpiry,
        bool omnibus
    ) external;

    /// @notice Links another wallet to a registered investor.
    /// @param id The investor id.
    /// @param wallet The wallet.
    function addWallet(bytes32 id, address wallet) external;

    /// @notice Retires a wallet: it stops being verified for good but stays its investor's (and may still hold).
    /// @param wallet The wallet.
    function removeWallet(address wallet) external;

    /// @notice Updates an investor's country, class and omnibus flag.
    /// @param id The investor id.
    /// @param country The new country.
    /// @param investorClass The new class.
    /// @param omnibus The new omnibus flag.
    function updateInvestor(bytes32 id, uint16 country, uint8 investorClass, bool omnibus) external;

    /// @notice Sets a new KYC expiry for an investor.
    /// @param id The investor id.
    /// @param kycExpiry The new expiry, must be in the future.
    function renewKyc(bytes32 id, uint64 kycExpiry) external;

    /// @notice Revokes an investor (all its wallets become unverified).
    /// @param id The investor id.
    function revokeInvestor(bytes32 id) external;

    /// @notice Reinstates a revoked investor.
    /// @param id The investor id.
    function reinstateInvestor(bytes32 id) external;

    /// @notice Whether `wallet` is verified: registered, not retired, investor not revoked, KYC not expired.
    /// @param wallet The wallet.
    /// @return True if verified.
    function isVerified(address wallet) external view returns (bool);

    /// @notice Whether `wallet` is registered and not retired.
    /// @param wallet The wallet.
    /// @return True if linked to an investor.
    function contains(address wallet) external view returns (bool);

    /// @notice The investor id `wallet` is bound to (also for a retired wallet); zero if never registered.
    /// @param wallet The wallet.
    /// @return The investor id.
    function investorOf(address wallet) external view returns (bytes32);

    /// @notice The country code of the investor owning `wallet`; zero if never registered.
    /// @param wallet The wallet.
    /// @return The ISO 3166-1 numeric country code.
    function investorCountry(address wallet) external view returns (uint16);

    /// @notice The profile copy of `wallet`.
    /// @param wallet The wallet.
    /// @return The profile (all zero if never registered).
    function profileOf(address wallet) external view returns (Profile memory);

    /// @notice The profile copies of two wallets in one call (zero address gives an empty profile).
    /// @param a The first wallet.
    /// @param b The second wallet.
    /// @return pa Profile of `a`.
    /// @return pb Profile of `b`.
    function profilesOf(address a, address b) external view returns (Profile memory pa, Profile memory pb);

    /// @notice The raw one-slot profile words of two wallets (decode with `PackedProfile`); the token hot path.
    /// @param a The first wallet.
    /// @param b The second wallet.
    /// @return pa Packed profile of `a`.
    /// @return pb Packed profile of `b`.
    function packedProfilesOf(address a, address b) external view returns (uint256 pa, uint256 pb);

    /// @notice The record of an investor (its primary wallet's copy without the per-wallet flags).
    /// @param id The investor id.
    /// @return The profile (all zero if not registered).
    function investor(bytes32 id) external view returns (Profile memory);

    /// @notice The current (not retired) wallets of an investor, primary first if current.
    /// @param id The investor id.
    /// @return The wallets.
    function walletsOf(bytes32 id) external view returns (address[] memory);

    /// @notice Every wallet ever linked to the investor with compact number `key`, retired ones included (a
    /// retired wallet may still hold tokens, which count toward its investor), primary first.
    /// @param key The investor key.
    /// @return The wallets.
    function walletsOfKey(uint48 key) external view returns (address[] memory);

    /// @notice The primary (first) wallet of the investor with compact number `key`; zero if unassigned.
    /// @param key The investor key.
    /// @return The primary wallet.
    function primaryWalletOfKey(uint48 key) external view returns (address);

    /// @notice The investor id of a compact investor number.
    /// @param key The investor key.
    /// @return The investor id (zero if unassigned).
    function idOfKey(uint48 key) external view returns (bytes32);
}
