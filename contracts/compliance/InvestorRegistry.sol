// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IInvestorRegistry} from "../interfaces/IInvestorRegistry.sol";
import {ArrayLengthMismatch, ZeroAddress} from "./Errors.sol";

/// @title hktoken investor registry
/// @notice One KYC registry shared by many tokens. Every wallet holds a one-slot copy of its investor's profile, so
/// a token transfer reads exactly ONE registry slot per wallet.
/// @dev ONBOARDING IS A STORAGE DECISION: registering an investor writes three fresh slots, the fewest that keep
/// the full investor model (docs/contracts-spec.md, "Registry layout"):
///   1. `_walletProfiles[wallet]`: the profile copy a transfer reads. The primary (first) wallet's copy is also the
///      investor's master record: every change is written there and propagated to the other wallets.
///   2. `_records[id]`: primary wallet, key and wallet count packed in one word (id -> investor).
///   3. `_idOfKey[key]`: key -> id, for `investorOf` and recovery's same-investor check.
/// Further wallets take one list slot each (`_otherWallets`). A wallet is bound to one investor forever: a removed
/// wallet is retired (never verified, never registrable again) but keeps its key and its place in the list, so a
/// token still counts its balance toward its investor. The list, retired wallets included, is bounded by
/// `MAX_WALLETS_PER_INVESTOR`, which bounds every propagation loop and every balance sum.
contract InvestorRegistry is IInvestorRegistry, AccessControl {
    /// @notice Role allowed to register and maintain investors.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice Maximum number of wallets an investor can ever have, retired ones included.
    uint256 public constant MAX_WALLETS_PER_INVESTOR = 16;

    /// @dev Clears a packed profile's per-wallet flags (retired [152,160), primary [160,168)).
    uint256 private constant _WALLET_FLAGS_CLEARED = ~(uint256(0xffff) << 152);
    uint8 private constant _RETAIL = 1;
    uint8 private constant _INSTITUTIONAL = 3;
    uint16 private constant _MAX_COUNTRY = 999;

    /// @dev Investor id -> its primary wallet, key and number of wallets ever linked (one slot).
    struct InvestorRecord {
        address primaryWallet;
        uint48 key;
        uint8 walletCount;
    }

    mapping(bytes32 id => InvestorRecord) private _records;
    mapping(address wallet => Profile) private _walletProfiles;
    mapping(uint48 key => bytes32 id) private _idOfKey;
    /// @dev Wallets 1 .. walletCount - 1 of each investor (wallet 0 is the primary, in the record).
    mapping(bytes32 id => mapping(uint256 index => address wallet)) private _otherWallets;
    /// @dev Last compact key assigned (keys start at 1 and are never reused).
    uint48 private _lastKey;

    /// @notice Deploys the registry.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants REGISTRAR_ROLE).
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ registrar: single

    /// @inheritdoc IInvestorRegistry
    function registerInvestor(
        bytes32 id,
        address wallet,
        uint16 country,
        uint8 investorClass,
        uint64 kycExpiry,
        bool omnibus
    ) external onlyRole(REGISTRAR_ROLE) {
        _registerInvestor(id, wallet, country, investorClass, kycExpiry, omnibus);
    }

    /// @inheritdoc IInvestorRegistry
    function addWallet(bytes32 id, address wallet) external onlyRole(REGISTRAR_ROLE) {
        _addWallet(id, wallet);
    }

    /// @inheritdoc IInvestorRegistry
    function removeWallet(address wallet) external onlyRole(REGISTRAR_ROLE) {
        _removeWallet(wallet);
    }

    /// @inheritdoc IInvestorRegistry
    function updateInvestor(bytes32 id, uint16 country, uint8 investorClass, bool omnibus)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        _updateInvestor(id, country, investorClass, omnibus);
    }

    /// @inheritdoc IInvestorRegistry
    function renewKyc(bytes32 id, uint64 kycExpiry) external onlyRole(REGISTRAR_ROLE) {
        _renewKyc(id, kycExpiry);
    }

    /// @inheritdoc IInvestorRegistry
    function revokeInvestor(bytes32 id) external onlyRole(REGISTRAR_ROLE) {
        _setRevoked(id, true);
    }

    /// @inheritdoc IInvestorRegistry
    function reinstateInvestor(bytes32 id) external onlyRole(REGISTRAR_ROLE) {
        _setRevoked(id, false);
    }

    // ------------------------------------------------------------------ registrar: batch (all-or-nothing)

    /// @notice Batch form of `registerInvestor` (parallel arrays, all-or-nothing).
    /// @param ids Investor ids.
    /// @param wallets First wallet of each investor.
    /// @param countries Country codes.
    /// @param investorClasses Investor classes.
    /// @param kycExpiries KYC expiries.
    /// @param omnibus Omnibus flags.
    function batchRegisterInvestors(
        bytes32[] calldata ids,
        address[] calldata wallets,
        uint16[] calldata countries,
        uint8[] calldata investorClasses,
        uint64[] calldata kycExpiries,
        bool[] calldata omnibus
    ) external onlyRole(REGISTRAR_ROLE) {
        uint256 n = ids.length;
        if (
            wallets.length != n || countries.length != n || investorClasses.length != n || kycExpiries.length != n
                || omnibus.length != n
        ) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _registerInvestor(ids[i], wallets[i], countries[i], investorClasses[i], kycExpiries[i], omnibus[i]);
        }
    }

    /// @notice Batch form of `addWallet` (parallel arrays, all-or-nothing).
    /// @param ids Investor ids.
    /// @param wallets Wallets to link.
    function batchAddWallets(bytes32[] calldata ids, address[] calldata wallets) external onlyRole(REGISTRAR_ROLE) {
        uint256 n = ids.length;
        if (wallets.length != n) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _addWallet(ids[i], wallets[i]);
        }
    }

    /// @notice Batch form of `removeWallet` (all-or-nothing).
    /// @param wallets Wallets to retire.
    function batchRemoveWallets(address[] calldata wallets) external onlyRole(REGISTRAR_ROLE) {
        uint256 n = wallets.length;
        for (uint256 i; i < n; ++i) {
            _removeWallet(wallets[i]);
        }
    }

    /// @notice Batch form of `updateInvestor` (parallel arrays, all-or-nothing).
    /// @param ids Investor ids.
    /// @param countries New countries.
    /// @param investorClasses New classes.
    /// @param omnibus New omnibus flags.
    function batchUpdateInvestors(
        bytes32[] calldata ids,
        uint16[] calldata countries,
        uint8[] calldata investorClasses,
        bool[] calldata omnibus
    ) external onlyRole(REGISTRAR_ROLE) {
        uint256 n = ids.length;
        if (countries.length != n || investorClasses.length != n || omnibus.length != n) {
            revert ArrayLengthMismatch();
        }
        for (uint256 i; i < n; ++i) {
            _updateInvestor(ids[i], countries[i], investorClasses[i], omnibus[i]);
        }
    }

    /// @notice Batch form of `renewKyc` (parallel arrays, all-or-nothing).
    /// @param ids Investor ids.
    /// @param kycExpiries New KYC expiries.
    function batchRenewKyc(bytes32[] calldata ids, uint64[] calldata kycExpiries) external onlyRole(REGISTRAR_ROLE) {
        uint256 n = ids.length;
        if (kycExpiries.length != n) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _renewKyc(ids[i], kycExpiries[i]);
        }
    }

    /// @notice Batch form of `revokeInvestor` (all-or-nothing).
    /// @param ids Investor ids.
    function batchRevokeInvestors(bytes32[] calldata ids) external onlyRole(REGISTRAR_ROLE) {
        uint256 n = ids.length;
        for (uint256 i; i < n; ++i) {
            _setRevoked(ids[i], true);
        }
    }

    /// @notice Batch form of `reinstateInvestor` (all-or-nothing).
    /// @param ids Investor ids.
    function batchReinstateInvestors(bytes32[] calldata ids) external onlyRole(REGISTRAR_ROLE) {
        uint256 n = ids.length;
        for (uint256 i; i < n; ++i) {
            _setRevoked(ids[i], false);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IInvestorRegistry
    function isVerified(address wallet) external view returns (bool) {
        Profile storage p = _walletProfiles[wallet];
        return p.key != 0 && !p.revoked && !p.retired && p.kycExpiry > block.timestamp;
    }

    /// @inheritdoc IInvestorRegistry
    function contains(address wallet) external view returns (bool) {
        Profile storage p = _walletProfiles[wallet];
        return p.key != 0 && !p.retired;
    }

    /// @notice Whether `wallet` was removed (retired forever).
    /// @param wallet The wallet.
    /// @return True if retired.
    function isRetired(address wallet) external view returns (bool) {
        return _walletProfiles[wallet].retired;
    }

    /// @inheritdoc IInvestorRegistry
    function investorOf(address wallet) external view returns (bytes32) {
        return _idOfKey[_walletProfiles[wallet].key];
    }

    /// @inheritdoc IInvestorRegistry
    function investorCountry(address wallet) external view returns (uint16) {
        return _walletProfiles[wallet].country;
    }

    /// @inheritdoc IInvestorRegistry
    function profileOf(address wallet) external view returns (Profile memory) {
        return _walletProfiles[wallet];
    }

    /// @inheritdoc IInvestorRegistry
    function profilesOf(address a, address b) external view returns (Profile memory pa, Profile memory pb) {
        pa = _walletProfiles[a];
        pb = _walletProfiles[b];
    }

    /// @inheritdoc IInvestorRegistry
    function packedProfilesOf(address a, address b) external view returns (uint256 pa, uint256 pb) {
        // The struct occupies exactly one slot; returning the raw words avoids ABI-encoding 2 x 8 fields.
        // Hot path of every token transfer: the mapping slots are computed directly.
        assembly ("memory-safe") {
            mstore(0x20, _walletProfiles.slot)
            mstore(0x00, a)
            pa := sload(keccak256(0x00, 0x40))
            mstore(0x00, b)
            pb := sload(keccak256(0x00, 0x40))
        }
    }

    /// @notice Bulk validation reads in one call: the record of each id and the owner of each wallet, so that
    /// onboarding thousands of investors checks them all without thousands of calls (hktoken.bulk).
    /// @param ids Investor ids.
    /// @param wallets Wallets.
    /// @return records For each id, its profile word as `investor(id)` holds it (the primary wallet's packed profile,
    /// see PackedProfile, with the per-wallet flags cleared); 0 if not registered.
    /// @return owners For each wallet, `investorOf(wallet)`: its investor id (also when retired); 0 if never linked.
    function registrationsOf(bytes32[] calldata ids, address[] calldata wallets)
        external
        view
        returns (uint256[] memory records, bytes32[] memory owners)
    {
        records = new uint256[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            address primary = _records[ids[i]].primaryWallet;
            if (primary != address(0)) records[i] = _packedProfile(primary) & _WALLET_FLAGS_CLEARED;
        }
        owners = new bytes32[](wallets.length);
        for (uint256 i; i < wallets.length; ++i) {
            owners[i] = _idOfKey[uint48(_packedProfile(wallets[i]))];
        }
    }

    /// @dev The raw storage word of `_walletProfiles[wallet]` (the struct occupies exactly one slot).
    function _packedProfile(address wallet) private view returns (uint256 word) {
        assembly ("memory-safe") {
            mstore(0x00, wallet)
            mstore(0x20, _walletProfiles.slot)
            word := sload(keccak256(0x00, 0x40))
        }
    }

    /// @inheritdoc IInvestorRegistry
    function investor(bytes32 id) external view returns (Profile memory p) {
        address primary = _records[id].primaryWallet;
        if (primary == address(0)) return p;
        p = _walletProfiles[primary];
        p.retired = false;
        p.primary = false;
    }

    /// @notice The number of wallets ever linked to an investor, retired ones included.
    /// @param id The investor id.
    /// @return The count (0 if not registered).
    function walletCount(bytes32 id) external view returns (uint256) {
        return _records[id].walletCount;
    }

    /// @inheritdoc IInvestorRegistry
    function walletsOf(bytes32 id) external view returns (address[] memory wallets) {
        address[] memory all = _allWallets(id);
        uint256 current;
        for (uint256 i; i < all.length; ++i) {
            if (!_walletProfiles[all[i]].retired) all[current++] = all[i];
        }
        assembly ("memory-safe") {
            mstore(all, current) // shrink in place: `current` <= the allocated length
        }
        return all;
    }

    /// @inheritdoc IInvestorRegistry
    function walletsOfKey(uint48 key) external view returns (address[] memory) {
        return _allWallets(_idOfKey[key]);
    }

    /// @inheritdoc IInvestorRegistry
    function primaryWalletOfKey(uint48 key) external view returns (address) {
        return _records[_idOfKey[key]].primaryWallet;
    }

    /// @inheritdoc IInvestorRegistry
    function idOfKey(uint48 key) external view returns (bytes32) {
        return _idOfKey[key];
    }

    /// @notice The last compact investor number assigned (= number of investors ever registered).
    /// @return The last key.
    function lastKey() external view returns (uint48) {
        return _lastKey;
    }

    /// @notice ERC-165: true for IInvestorRegistry, IAccessControl and IERC165.
    /// @param interfaceId The interface id.
    /// @return True if supported.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IInvestorRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    function _registerInvestor(
        bytes32 id,
        address wallet,
        uint16 country,
        uint8 investorClass,
        uint64 kycExpiry,
        bool omnibus
    ) private {
        if (id == bytes32(0)) revert InvalidInvestorId();
        if (_records[id].walletCount != 0) revert InvestorAlreadyRegistered(id);
        _checkNewWallet(wallet);
        _checkCountryAndClass(country, investorClass);
        _checkExpiry(kycExpiry);

        uint48 key;
        unchecked {
            // A uint48 counter cannot realistically overflow (2^48 registrations).
            key = ++_lastKey;
        }
        _records[id] = InvestorRecord({primaryWallet: wallet, key: key, walletCount: 1});
        _idOfKey[key] = id;
        _walletProfiles[wallet] = Profile({
            key: key,
            kycExpiry: kycExpiry,
            country: country,
            investorClass: investorClass,
            revoked: false,
            omnibus: omnibus,
            retired: false,
            primary: true
        });
        emit InvestorRegistered(id, wallet, key, country, investorClass, kycExpiry, omnibus);
    }

    function _addWallet(bytes32 id, address wallet) private {
        InvestorRecord memory r = _requireInvestor(id);
        _checkNewWallet(wallet);
        if (r.walletCount >= MAX_WALLETS_PER_INVESTOR) revert TooManyWallets(id);
        Profile memory p = _walletProfiles[r.primaryWallet];
        p.retired = false;
        p.primary = false;
        _walletProfiles[wallet] = p;
        _otherWallets[id][r.walletCount] = wallet;
        unchecked {
            // walletCount < MAX_WALLETS_PER_INVESTOR checked above.
            _records[id].walletCount = r.walletCount + 1;
        }
        emit WalletAdded(id, wallet);
    }

    function _removeWallet(address wallet) private {
        Profile storage p = _walletProfiles[wallet];
        uint48 key = p.key;
        if (key == 0) revert WalletNotRegistered(wallet);
        if (p.retired) revert WalletRetired(wallet);
        p.retired = true; // keeps its key and list place: tokens still account its balance to its investor
        emit WalletRemoved(_idOfKey[key], wallet);
    }

    function _updateInvestor(bytes32 id, uint16 country, uint8 investorClass, bool omnibus) private {
        _checkCountryAndClass(country, investorClass);
        (InvestorRecord memory r, Profile memory p) = _master(id);
        p.country = country;
        p.investorClass = investorClass;
        p.omnibus = omnibus;
        _propagate(id, r, p);
        emit InvestorUpdated(id, country, investorClass, omnibus);
    }

    function _renewKyc(bytes32 id, uint64 kycExpiry) private {
        (InvestorRecord memory r, Profile memory p) = _master(id);
        _checkExpiry(kycExpiry);
        p.kycExpiry = kycExpiry;
        _propagate(id, r, p);
        emit KycRenewed(id, kycExpiry);
    }

    function _setRevoked(bytes32 id, bool revoked) private {
        (InvestorRecord memory r, Profile memory p) = _master(id);
        p.revoked = revoked;
        _propagate(id, r, p);
        if (revoked) emit InvestorRevoked(id);
        else emit InvestorReinstated(id);
    }

    /// @dev Writes the investor fields of `p` to every wallet's copy (<= 16), keeping each wallet's own flags.
    function _propagate(bytes32 id, InvestorRecord memory r, Profile memory p) private {
        _writeCopy(r.primaryWallet, p);
        uint256 n = r.walletCount;
        for (uint256 i = 1; i < n; ++i) {
            _writeCopy(_otherWallets[id][i], p);
        }
    }

    function _writeCopy(address wallet, Profile memory p) private {
        Profile storage copy = _walletProfiles[wallet];
        copy.kycExpiry = p.kycExpiry;
        copy.country = p.country;
        copy.investorClass = p.investorClass;
        copy.revoked = p.revoked;
        copy.omnibus = p.omnibus;
    }

    function _master(bytes32 id) private view returns (InvestorRecord memory r, Profile memory p) {
        r = _requireInvestor(id);
        p = _walletProfiles[r.primaryWallet];
    }

    function _allWallets(bytes32 id) private view returns (address[] memory wallets) {
        InvestorRecord memory r = _records[id];
        uint256 n = r.walletCount;
        wallets = new address[](n);
        if (n == 0) return wallets;
        wallets[0] = r.primaryWallet;
        for (uint256 i = 1; i < n; ++i) {
            wallets[i] = _otherWallets[id][i];
        }
    }

    function _requireInvestor(bytes32 id) private view returns (InvestorRecord memory r) {
        r = _records[id];
        if (r.walletCount == 0) revert InvestorNotRegistered(id);
    }

    function _checkNewWallet(address wallet) private view {
        if (wallet == address(0)) revert ZeroAddress();
        Profile storage p = _walletProfiles[wallet];
        if (p.retired) revert WalletRetired(wallet);
        if (p.key != 0) revert WalletAlreadyRegistered(wallet);
    }

    function _checkCountryAndClass(uint16 country, uint8 investorClass) private pure {
        if (country == 0 || country > _MAX_COUNTRY) revert InvalidCountry(country);
        if (investorClass < _RETAIL || investorClass > _INSTITUTIONAL) revert InvalidInvestorClass(investorClass);
    }

    function _checkExpiry(uint64 kycExpiry) private view {
        if (kycExpiry <= block.timestamp) revert KycExpiryInPast(kycExpiry);
    }
}
