// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IInvestorRegistry} from "../interfaces/IInvestorRegistry.sol";

/// @title hktoken investor registry
/// @notice One KYC registry shared by many tokens. Each investor has a master profile; every wallet holds a
/// copy of it so that a token transfer reads exactly ONE registry slot per wallet.
/// @dev Every change to an investor writes the master record and propagates it to each of the investor's
/// wallets (a loop bounded by `MAX_WALLETS_PER_INVESTOR`). A wallet is bound to one investor forever: a removed
/// wallet keeps its key (so tokens keep accounting it to the right investor), is marked revoked and can never be
/// registered again.
contract InvestorRegistry is IInvestorRegistry, AccessControl {
    /// @notice Role allowed to register and maintain investors.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice Maximum number of current wallets per investor (bounds every propagation loop).
    uint256 public constant MAX_WALLETS_PER_INVESTOR = 16;

    uint8 private constant _RETAIL = 1;
    uint8 private constant _INSTITUTIONAL = 3;
    uint16 private constant _MAX_COUNTRY = 999;

    /// @dev Master record per investor id.
    mapping(bytes32 id => Profile) private _investors;
    /// @dev Copy of the master record per wallet: the one slot a token reads per wallet.
    mapping(address wallet => Profile) private _walletProfiles;
    /// @dev Investor id of each compact key.
    mapping(uint48 key => bytes32 id) private _idOfKey;
    /// @dev Current (not removed) wallets of each investor.
    mapping(bytes32 id => address[]) private _wallets;
    /// @dev Wallets that were removed and can never be registered again.
    mapping(address wallet => bool) private _retired;
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
        return p.key != 0 && !p.revoked && p.kycExpiry > block.timestamp;
    }

    /// @inheritdoc IInvestorRegistry
    function contains(address wallet) external view returns (bool) {
        return _walletProfiles[wallet].key != 0 && !_retired[wallet];
    }

    /// @notice Whether `wallet` was removed (retired forever).
    /// @param wallet The wallet.
    /// @return True if retired.
    function isRetired(address wallet) external view returns (bool) {
        return _retired[wallet];
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
        // The struct occupies exactly one slot; returning the raw words avoids ABI-encoding 2 x 6 fields.
        // Hot path of every token transfer: the mapping slots are computed directly.
        assembly ("memory-safe") {
            mstore(0x20, _walletProfiles.slot)
            mstore(0x00, a)
            pa := sload(keccak256(0x00, 0x40))
            mstore(0x00, b)
            pb := sload(keccak256(0x00, 0x40))
        }
    }

    /// @inheritdoc IInvestorRegistry
    function investor(bytes32 id) external view returns (Profile memory) {
        return _investors[id];
    }

    /// @inheritdoc IInvestorRegistry
    function walletsOf(bytes32 id) external view returns (address[] memory) {
        return _wallets[id];
    }

    /// @inheritdoc IInvestorRegistry
    function walletsOfKey(uint48 key) external view returns (address[] memory) {
        return _wallets[_idOfKey[key]];
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
        if (_investors[id].key != 0) revert InvestorAlreadyRegistered(id);
        _checkNewWallet(wallet);
        _checkCountryAndClass(country, investorClass);
        _checkExpiry(kycExpiry);

        uint48 key;
        unchecked {
            // A uint48 counter cannot realistically overflow (2^48 registrations).
            key = ++_lastKey;
        }
        Profile memory p = Profile({
            key: key,
            kycExpiry: kycExpiry,
            country: country,
            investorClass: investorClass,
            revoked: false,
            omnibus: omnibus
        });
        _investors[id] = p;
        _idOfKey[key] = id;
        _walletProfiles[wallet] = p;
        _wallets[id].push(wallet);
        emit InvestorRegistered(id, key, country, investorClass, kycExpiry, omnibus);
        emit WalletAdded(id, wallet);
    }

    function _addWallet(bytes32 id, address wallet) private {
        Profile memory p = _requireInvestor(id);
        _checkNewWallet(wallet);
        address[] storage list = _wallets[id];
        if (list.length >= MAX_WALLETS_PER_INVESTOR) revert TooManyWallets(id);
        _walletProfiles[wallet] = p;
        list.push(wallet);
        emit WalletAdded(id, wallet);
    }

    function _removeWallet(address wallet) private {
        Profile storage wp = _walletProfiles[wallet];
        uint48 key = wp.key;
        if (key == 0) revert WalletNotRegistered(wallet);
        if (_retired[wallet]) revert WalletRetired(wallet);
        bytes32 id = _idOfKey[key];

        // Keep the key (tokens still account the wallet to its investor); mark the copy revoked.
        wp.revoked = true;
        _retired[wallet] = true;

        address[] storage list = _wallets[id];
        uint256 n = list.length; // <= MAX_WALLETS_PER_INVESTOR
        for (uint256 i; i < n; ++i) {
            if (list[i] == wallet) {
                unchecked {
                    // n >= 1 because the wallet is in the list.
                    list[i] = list[n - 1];
                }
                list.pop();
                break;
            }
        }
        emit WalletRemoved(id, wallet);
    }

    function _updateInvestor(bytes32 id, uint16 country, uint8 investorClass, bool omnibus) private {
        Profile memory p = _requireInvestor(id);
        _checkCountryAndClass(country, investorClass);
        p.country = country;
        p.investorClass = investorClass;
        p.omnibus = omnibus;
        _store(id, p);
        emit InvestorUpdated(id, country, investorClass, omnibus);
    }

    function _renewKyc(bytes32 id, uint64 kycExpiry) private {
        Profile memory p = _requireInvestor(id);
        _checkExpiry(kycExpiry);
        p.kycExpiry = kycExpiry;
        _store(id, p);
        emit KycRenewed(id, kycExpiry);
    }

    function _setRevoked(bytes32 id, bool revoked) private {
        Profile memory p = _requireInvestor(id);
        p.revoked = revoked;
        _store(id, p);
        if (revoked) emit InvestorRevoked(id);
        else emit InvestorReinstated(id);
    }

    /// @dev Writes the master record and propagates it to every current wallet (<= 16).
    function _store(bytes32 id, Profile memory p) private {
        _investors[id] = p;
        address[] storage list = _wallets[id];
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            _walletProfiles[list[i]] = p;
        }
    }

    function _requireInvestor(bytes32 id) private view returns (Profile memory p) {
        p = _investors[id];
        if (p.key == 0) revert InvestorNotRegistered(id);
    }

    function _checkNewWallet(address wallet) private view {
        if (wallet == address(0)) revert ZeroAddress();
        if (_retired[wallet]) revert WalletRetired(wallet);
        if (_walletProfiles[wallet].key != 0) revert WalletAlreadyRegistered(wallet);
    }

    function _checkCountryAndClass(uint16 country, uint8 investorClass) private pure {
        if (country == 0 || country > _MAX_COUNTRY) revert InvalidCountry(country);
        if (investorClass < _RETAIL || investorClass > _INSTITUTIONAL) revert InvalidInvestorClass(investorClass);
    }

    function _checkExpiry(uint64 kycExpiry) private view {
        if (kycExpiry <= block.timestamp) revert KycExpiryInPast(kycExpiry);
    }
}
