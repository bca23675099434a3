// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC1404} from "../interfaces/IERC1404.sol";
import {IERC7943Fungible} from "../interfaces/IERC7943Fungible.sol";
import {IInvestorRegistry} from "../interfaces/IInvestorRegistry.sol";
import {IRWAToken} from "../interfaces/IRWAToken.sol";
import {IRWATokenAdmin} from "../interfaces/IRWATokenAdmin.sol";
import {AccountWord} from "../compliance/AccountWord.sol";
import {ComplianceEngine} from "../compliance/ComplianceEngine.sol";
import {ArrayLengthMismatch, ZeroAddress} from "../compliance/Errors.sol";
import {Freezes} from "../compliance/Freezes.sol";
import {PackedProfile} from "../compliance/PackedProfile.sol";
import {RestrictionCodes} from "../compliance/RestrictionCodes.sol";
import {Roles} from "../compliance/Roles.sol";
import {TokenStorage} from "../compliance/TokenStorage.sol";
import {MintRateLimit} from "./MintRateLimit.sol";

/// @title hktoken security token base
/// @notice ERC-20 + EIP-2612 permit with the ERC-3643 feature set (KYC registry, freezes, forced transfers,
/// recovery, pause, batch operations), ERC-7943 (uRWA) and ERC-1404 restriction codes. Every asset token (bond,
/// gold, fund share) is this base plus its lifecycle; `RWAToken` is the base alone.
/// @dev IF YOU EXTEND (an asset token):
/// - Add a rule: override `_assetRestrictionCode(op, from, to, amount)` (a view; MUST NOT revert) returning a code
///   >= 64, and `_assetRestrictionMessage(code)` for its message, falling back to `super`. `_update`,
///   `detectTransferRestriction` and `canTransfer` then all report it.
/// - Keep per-holder state: override `_onHolderUpdate(account, before, after, data)` (MUST NOT revert); `data` is
///   96 bits stored in the holder's balance word, written with the balance at no extra storage access. Use
///   `_holderData` / `_setHolderData` outside balance changes.
/// - Override `_update` only to act around a balance change, always calling `super._update`.
/// - Override `supportsInterface` to add interface ids, calling `super`.
/// - Keep your own state in your own ERC-7201 namespace; never write `TokenStorage` except through the engine.
/// - Cold administration runs in the shared `RWATokenAdmin` module (DELEGATECALL): its functions are declared
///   here as one-line stubs, so the size budget is left for the asset's lifecycle.
abstract contract RWATokenBase is AccessControl, Pausable, ComplianceEngine {
    using AccountWord for uint256;
    using PackedProfile for uint256;

    /// @notice Mints and burns.
    bytes32 public constant ISSUER_ROLE = Roles.ISSUER;
    /// @notice Enforcement agent: freezes, forced transfers, wallet recovery.
    bytes32 public constant AGENT_ROLE = Roles.AGENT;
    /// @notice Pauses and unpauses transfers and mints.
    bytes32 public constant PAUSER_ROLE = Roles.PAUSER;
    /// @notice Sets the compliance rules.
    bytes32 public constant COMPLIANCE_ROLE = Roles.COMPLIANCE;

    uint8 private immutable _DECIMALS;
    address private immutable _ADMIN_MODULE;

    /// @dev First four bytes of a call through the view gate (no function has this selector).
    uint32 private constant _VIEW_GATE = 0xffffffff;

    /// @notice The administration module has no code.
    error InvalidAdminModule(address module);
    /// @notice No function of the token has this selector.
    error UnknownFunction(bytes4 selector);

    /// @param name_ ERC-20 name (also the EIP-712 domain name).
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ ERC-20 decimals.
    /// @param registry_ The shared investor registry (immutable).
    /// @param admin Receives DEFAULT_ADMIN_ROLE only.
    /// @param treasury_ The issuer's treasury.
    /// @param adminModule_ The shared `RWATokenAdmin` module.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IInvestorRegistry registry_,
        address admin,
        address treasury_,
        address adminModule_
    ) ERC20(name_, symbol_) ERC20Permit(name_) ComplianceEngine(registry_, treasury_) {
        if (admin == address(0)) revert ZeroAddress();
        if (adminModule_.code.length == 0) revert InvalidAdminModule(adminModule_);
        _DECIMALS = decimals_;
        _ADMIN_MODULE = adminModule_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ holder actions

    /// @notice ERC-3643: transfers to many recipients from the caller (all-or-nothing).
    /// @param toList Recipients.
    /// @param amounts Amounts.
    function batchTransfer(address[] calldata toList, uint256[] calldata amounts) external {
        uint256 n = toList.length;
        if (amounts.length != n) revert ArrayLengthMismatch();
        address sender = _msgSender();
        for (uint256 i; i < n; ++i) {
            _transfer(sender, toList[i], amounts[i]);
        }
    }

    // ------------------------------------------------------------------ issuer

    /// @inheritdoc IRWAToken
    function mint(address to, uint256 amount) external onlyRole(ISSUER_ROLE) {
        _mint(to, amount); // restrictions first: a refused mint reports its restriction code, not the bucket
        _consumeMintAllowance(_msgSender(), amount);
    }

    /// @notice Batch form of `mint` (all-or-nothing; consumes the total from the rate limit).
    /// @param toList Recipients.
    /// @param amounts Amounts.
    function batchMint(address[] calldata toList, uint256[] calldata amounts) external onlyRole(ISSUER_ROLE) {
        uint256 n = toList.length;
        if (amounts.length != n) revert ArrayLengthMismatch();
        uint256 total;
        for (uint256 i; i < n; ++i) {
            _mint(toList[i], amounts[i]);
            unchecked {
                // Each mint keeps the supply below 2^128, so the total does not overflow.
                total += amounts[i];
            }
        }
        _consumeMintAllowance(_msgSender(), total);
    }

    /// @notice Burns `amount` of `user` (allowed while paused and for frozen or unverified holders; frozen tokens
    /// beyond the unfrozen balance are released first, emitting `TokensUnfrozen` and `Frozen` before `Transfer`).
    /// @param user The holder.
    /// @param amount The amount.
    function burn(address user, uint256 amount) external onlyRole(ISSUER_ROLE) {
        _burn(user, amount);
    }

    /// @notice Batch form of `burn` (all-or-nothing).
    /// @param users Holders.
    /// @param amounts Amounts.
    function batchBurn(address[] calldata users, uint256[] calldata amounts) external onlyRole(ISSUER_ROLE) {
        uint256 n = users.length;
        if (amounts.length != n) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _burn(users[i], amounts[i]);
        }
    }

    // ------------------------------------------------------------------ agent

    /// @notice ERC-7943 / ERC-3643 forced transfer (court or regulator order). Ignores pause, the sender's freezes,
    /// lock-up and holder rules; delivers only where `canReceive(to)` is true. Frozen tokens taken beyond the
    /// unfrozen balance are released first; a frozen amount above the balance keeps its excess.
    /// @param from The holder.
    /// @param to The recipient.
    /// @param amount The amount.
    /// @return result Always true (reverts on failure).
    function forcedTransfer(address from, address to, uint256 amount)
        external
        onlyRole(AGENT_ROLE)
        returns (bool result)
    {
        _forcedTransfer(from, to, amount);
        return true;
    }

    /// @notice Batch form of `forcedTransfer` (all-or-nothing).
    /// @param fromList Holders.
    /// @param toList Recipients.
    /// @param amounts Amounts.
    function batchForcedTransfer(address[] calldata fromList, address[] calldata toList, uint256[] calldata amounts)
        external
        onlyRole(AGENT_ROLE)
    {
        uint256 n = fromList.length;
        if (toList.length != n || amounts.length != n) revert ArrayLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _forcedTransfer(fromList[i], toList[i], amounts[i]);
        }
    }

    /// @notice ERC-3643 wallet recovery: moves the whole balance, the frozen amount and the address freeze of a lost
    /// wallet to a new wallet of the same investor. Ignores pause, lock-up and rules; the new wallet must be able
    /// to receive (`canReceive`).
    /// @param lostWallet The lost wallet (may already be retired in the registry; it keeps its investor).
    /// @param newWallet The new wallet.
    /// @param investorId The investor owning both wallets.
    /// @return Always true (reverts on failure).
    function recoveryAddress(address lostWallet, address newWallet, bytes32 investorId)
        external
        onlyRole(AGENT_ROLE)
        returns (bool)
    {
        if (lostWallet == newWallet) revert RecoveryToSameWallet(lostWallet);
        (uint256 pLost, uint256 pNew) = _profiles(lostWallet, newWallet);
        uint48 key = pLost.key();
        if (key == 0 || key != pNew.key() || registry.idOfKey(key) != investorId) {
            revert RecoveryInvestorMismatch(lostWallet, newWallet, investorId);
        }
        // The engine's `canReceive` check, before the freezes move onto the new wallet (`Frozen` and
        // `AddressFrozen` then precede `Transfer`, as for every release of frozen tokens).
        uint256 balance = balanceOf(lostWallet);
        uint8 code = _receiveCode(newWallet, pNew, TokenStorage.layout().accounts[newWallet]);
        if (code != RestrictionCodes.SUCCESS) revert TransferRestricted(lostWallet, newWallet, balance, code);
        _moveFreezes(lostWallet, newWallet);
        _privilegedOp = OP_RECOVERY;
        _transfer(lostWallet, newWallet, balance);
        _privilegedOp = 0;
        emit RecoverySuccess(lostWallet, newWallet, investorId);
        return true;
    }

    // ------------------------------------------------------------------ pauser

    /// @notice Pauses holder transfers and mints (burns and agent actions stay available).
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Unpauses.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------ administration (RWATokenAdmin module)

    /// @inheritdoc IRWATokenAdmin
    function setTreasury(address) external virtual {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setAllowedCountries(uint16[] calldata, bool) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setBlockedCountries(uint16[] calldata, bool) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setRequiredInvestorClasses(uint8) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setMaxHolders(uint32) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setMaxBalancePerInvestor(uint256) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setLockupUntil(uint64) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setMinimumTransfer(uint256) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setDenomination(uint256) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setSupplyCap(uint256) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setAddressFrozen(address, bool) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function freezePartialTokens(address, uint256) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function unfreezePartialTokens(address, uint256) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IERC7943Fungible
    function setFrozenTokens(address, uint256) external returns (bool) {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function batchSetAddressFrozen(address[] calldata, bool[] calldata) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function batchFreezePartialTokens(address[] calldata, uint256[] calldata) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function batchUnfreezePartialTokens(address[] calldata, uint256[] calldata) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setDocument(bytes32, string calldata, bytes32) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function removeDocument(bytes32) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setMintRateLimit(address, uint128, uint64) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IRWATokenAdmin
    function setMintingSuspended(address, bool) external {
        _delegateToAdmin();
    }

    // ------------------------------------------------------------------ views

    /// @notice The view gate: only this token itself may enter (from `_delegateView`, under STATICCALL); it runs the
    /// view in the administration module. Any other call of an unknown function reverts with `UnknownFunction`.
    fallback() external {
        if (msg.sender != address(this) || msg.sig != bytes4(_VIEW_GATE)) revert UnknownFunction(msg.sig);
        address module = _ADMIN_MODULE;
        assembly {
            let size := sub(calldatasize(), 0x04)
            calldatacopy(0x00, 0x04, size)
            let ok := delegatecall(gas(), module, 0x00, size, 0x00, 0x00)
            returndatacopy(0x00, 0x00, returndatasize())
            if iszero(ok) { revert(0x00, returndatasize()) }
            return(0x00, returndatasize())
        }
    }

    /// @notice The shared administration module this token delegates its cold administration to.
    /// @return The module address.
    function adminModule() external view returns (address) {
        return _ADMIN_MODULE;
    }

    /// @notice ERC-20 decimals, fixed at deployment.
    /// @return The decimals.
    function decimals() public view virtual override returns (uint8) {
        return _DECIMALS;
    }

    /// @notice Whether holder transfers and mints are paused (OpenZeppelin `Pausable`, flag kept in the hot word).
    /// @return True if paused.
    function paused() public view virtual override returns (bool) {
        return TokenStorage.layout().config.paused;
    }

    /// @inheritdoc IRWAToken
    function treasury() external view returns (address) {
        return TokenStorage.layout().config.treasury;
    }

    /// @notice ERC-1404: message of a restriction code (the asset's for codes 64 and above).
    /// @param restrictionCode The code.
    /// @return The message ("unknown restriction code" outside the table).
    function messageForTransferRestriction(uint8 restrictionCode) external view returns (string memory) {
        if (restrictionCode >= RestrictionCodes.ASSET_CODES_START) return _assetRestrictionMessage(restrictionCode);
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function rules() external view returns (Rules memory) {
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function allowedCountries() external view returns (uint16[] memory) {
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function blockedCountries() external view returns (uint16[] memory) {
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function countryStatus(uint16) external view returns (uint8) {
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function mintRateLimit(address) external view returns (uint128, uint64) {
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function isMintingSuspended(address) external view returns (bool) {
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function mintAllowance(address) external view returns (uint256) {
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function getDocument(bytes32) external view returns (string memory, bytes32, uint256) {
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function getAllDocuments() external view returns (bytes32[] memory) {
        _delegateView();
    }

    /// @inheritdoc IRWATokenAdmin
    function fundedWallets(uint48) external view returns (uint256) {
        _delegateView();
    }

    /// @notice ERC-165: IRWAToken, IERC7943Fungible (0x3edbb4c4), IERC1404, IAccessControl and IERC165.
    /// @param interfaceId The interface id.
    /// @return True if supported.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        virtual
        override(AccessControl, IERC165)
        returns (bool)
    {
        return interfaceId == type(IERC7943Fungible).interfaceId || interfaceId == type(IERC1404).interfaceId
            || interfaceId == type(IRWAToken).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    function _forcedTransfer(address from, address to, uint256 amount) private {
        if (from == to) revert ForcedTransferToSameAccount(from);
        _privilegedOp = OP_FORCED;
        _transfer(from, to, amount);
        _privilegedOp = 0;
        emit ForcedTransfer(from, to, amount);
    }

    /// @dev Recovery: the lost wallet's frozen amount and address freeze move to the new wallet. The sum saturates at
    /// type(uint256).max (a wallet frozen "for everything, future receipts included" stays so).
    function _moveFreezes(address lostWallet, address newWallet) private {
        TokenStorage.Layout storage $ = TokenStorage.layout();
        uint256 lost = $.accounts[lostWallet];
        if (lost.hasFrozenAmount()) {
            uint256 moved = $.frozenAmounts[lostWallet];
            uint256 next = $.accounts[newWallet];
            uint256 had = Freezes.frozenAmount($, newWallet, next);
            uint256 total = moved > type(uint256).max - had ? type(uint256).max : had + moved;
            $.accounts[lostWallet] = Freezes.writeFrozenAmount($, lostWallet, lost, moved, 0);
            $.accounts[newWallet] = Freezes.writeFrozenAmount($, newWallet, next, had, total);
        }
        if (lost.frozen()) {
            Freezes.setAddressFrozen($, lostWallet, false);
            Freezes.setAddressFrozen($, newWallet, true);
        }
    }

    /// @dev Takes `amount` from the issuer's bucket (exact, see `MintRateLimit`); refuses a suspended issuer.
    function _consumeMintAllowance(address issuer, uint256 amount) private {
        TokenStorage.MintBucket storage b = TokenStorage.layout().mintBuckets[issuer];
        if (b.suspended) revert MintingSuspended(issuer);
        if (b.amountPerPeriod == 0) return;
        uint256 scaled = MintRateLimit.scaledNow(b);
        uint256 period = b.period;
        // amount < 2^128 (the mint passed the supply check) and period < 2^64: no overflow.
        uint256 cost = amount * period;
        if (cost > scaled) revert MintRateLimitExceeded(issuer, amount, scaled / period);
        b.updatedAt = uint64(block.timestamp);
        unchecked {
            // cost <= scaled < 2^192 checked above.
            b.availableScaled = uint192(scaled - cost);
        }
    }

    /// @dev OpenZeppelin `Pausable` with its flag in the hot word (read with the other rules in one slot).
    function _pause() internal virtual override whenNotPaused {
        TokenStorage.layout().config.paused = true;
        emit Paused(_msgSender());
    }

    /// @dev See `_pause`.
    function _unpause() internal virtual override whenPaused {
        TokenStorage.layout().config.paused = false;
        emit Unpaused(_msgSender());
    }

    /// @dev A cold view answered by the administration module: STATICCALL this token's view gate (`fallback`), which
    /// runs the view in the module, in this token's storage. No state can change under STATICCALL.
    function _delegateView() private view {
        address self = address(this);
        assembly {
            mstore(0x00, shl(224, _VIEW_GATE))
            calldatacopy(0x04, 0x00, calldatasize())
            let ok := staticcall(gas(), self, 0x00, add(calldatasize(), 0x04), 0x00, 0x00)
            returndatacopy(0x00, 0x00, returndatasize())
            if iszero(ok) { revert(0x00, returndatasize()) }
            return(0x00, returndatasize())
        }
    }

    /// @dev Runs the calling function in the administration module, in this token's storage, with the caller's
    /// calldata, and returns or reverts with the module's answer. The module checks the caller's role.
    function _delegateToAdmin() internal {
        address module = _ADMIN_MODULE;
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
