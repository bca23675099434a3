// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC7943Fungible} from "../interfaces/IERC7943Fungible.sol";
import {IERC1404} from "../interfaces/IERC1404.sol";
import {IInvestorRegistry} from "../interfaces/IInvestorRegistry.sol";
import {PackedProfile} from "../compliance/PackedProfile.sol";
import {RestrictionCodes} from "../compliance/RestrictionCodes.sol";
import {RWACompliancePolicy} from "./RWACompliancePolicy.sol";
import {RWATransferRules} from "./RWATransferRules.sol";
import {RWAMintRateLimit} from "./RWAMintRateLimit.sol";
import {RWADocuments} from "./RWADocuments.sol";

/// @title hktoken real-world-asset token
/// @notice ERC-20 + EIP-2612 permit with the ERC-3643 feature set (KYC registry, freezes, forced transfers,
/// recovery, pause, batch operations), ERC-7943 (uRWA) and ERC-1404 restriction codes.
/// @dev Every balance change meets its checks in `RWATransferRules._update`. The constructor grants the admin
/// DEFAULT_ADMIN_ROLE only; the deployer grants ISSUER / AGENT / PAUSER / COMPLIANCE roles.
contract RWAToken is ERC20Permit, RWATransferRules, RWAMintRateLimit, RWADocuments {
    using PackedProfile for uint256;

    uint8 private immutable _DECIMALS;

    /// @notice Emitted when an agent recovers the tokens of a lost wallet to a new wallet of the same investor.
    /// @param lostWallet The lost wallet.
    /// @param newWallet The new wallet.
    /// @param investorId The investor owning both wallets.
    event RecoverySuccess(address indexed lostWallet, address indexed newWallet, bytes32 indexed investorId);

    /// @notice A forced transfer from an account to itself.
    error ForcedTransferToSameAccount(address account);
    /// @notice Both wallets must belong to `investorId` in the registry.
    error RecoveryInvestorMismatch(address lostWallet, address newWallet, bytes32 investorId);
    /// @notice The lost and new wallet are the same address.
    error RecoveryToSameWallet(address wallet);

    /// @notice Deploys the token.
    /// @param name_ ERC-20 name (also the EIP-712 domain name).
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ ERC-20 decimals.
    /// @param registry_ The shared investor registry (immutable).
    /// @param admin Receives DEFAULT_ADMIN_ROLE only.
    /// @param treasury_ The issuer's treasury.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IInvestorRegistry registry_,
        address admin,
        address treasury_
    ) ERC20(name_, symbol_) ERC20Permit(name_) RWACompliancePolicy(treasury_) RWATransferRules(registry_) {
        if (admin == address(0)) revert ZeroAddress();
        _DECIMALS = decimals_;
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

    /// @notice Mints `amount` to `to` (mint rules apply first, then the caller's mint rate limit is consumed).
    /// @param to The recipient.
    /// @param amount The amount.
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
            total += amounts[i];
        }
        for (uint256 i; i < n; ++i) {
            _mint(toList[i], amounts[i]);
        }
        _consumeMintAllowance(_msgSender(), total);
    }

    /// @notice Burns `amount` of `user` (allowed while paused and for frozen or unverified holders; frozen tokens
    /// are released first if needed, emitting `Frozen` before `Transfer`).
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

    /// @notice ERC-7943 / ERC-3643 forced transfer (court or regulator order). Ignores pause, freezes, lock-up and
    /// rules; the recipient must be verified or the treasury. Frozen tokens taken are released first.
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
    /// wallet to a new wallet of the same investor. Ignores pause, lock-up and rules.
    /// @param lostWallet The lost wallet (may already be removed from the registry; it keeps its investor).
    /// @param newWallet The new wallet (must be verified).
    /// @param investorId The investor owning both wallets.
    /// @return Always true (reverts on failure).
    function recoveryAddress(address lostWallet, address newWallet, bytes32 investorId)
        external
        onlyRole(AGENT_ROLE)
        returns (bool)
    {
        if (lostWallet == newWallet) revert RecoveryToSameWallet(lostWallet);
        (uint256 pLost, uint256 pNew) = registry.packedProfilesOf(lostWallet, newWallet);
        uint48 key = pLost.key();
        if (key == 0 || key != pNew.key() || registry.idOfKey(key) != investorId) {
            revert RecoveryInvestorMismatch(lostWallet, newWallet, investorId);
        }
        uint256 balance = balanceOf(lostWallet);
        if (!pNew.verified()) {
            revert TransferRestricted(lostWallet, newWallet, balance, RestrictionCodes.RECIPIENT_NOT_VERIFIED);
        }

        WalletState memory lost = _walletStates[lostWallet];
        if (lost.frozenAmount != 0) {
            uint256 newFrozen = uint256(_walletStates[newWallet].frozenAmount) + lost.frozenAmount;
            _writeFrozenAmount(lostWallet, 0);
            _writeFrozenAmount(newWallet, newFrozen);
        }
        if (lost.frozen) {
            _setAddressFrozen(lostWallet, false);
            if (!_walletStates[newWallet].frozen) _setAddressFrozen(newWallet, true);
        }

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

    // ------------------------------------------------------------------ views

    /// @notice ERC-20 decimals, fixed at deployment.
    /// @return The decimals.
    function decimals() public view override returns (uint8) {
        return _DECIMALS;
    }

    /// @notice ERC-165: IERC7943Fungible (0x3edbb4c4), IERC1404, IAccessControl and IERC165.
    /// @param interfaceId The interface id.
    /// @return True if supported.
    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, IERC165) returns (bool) {
        return interfaceId == type(IERC7943Fungible).interfaceId || interfaceId == type(IERC1404).interfaceId
            || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    function _forcedTransfer(address from, address to, uint256 amount) private {
        if (from == to) revert ForcedTransferToSameAccount(from);
        _privilegedOp = OP_FORCED;
        _transfer(from, to, amount);
        _privilegedOp = 0;
        emit ForcedTransfer(from, to, amount);
    }

    /// @dev Resolves the ERC20 / RWATransferRules diamond: the checks live in `RWATransferRules._update`.
    function _update(address from, address to, uint256 value) internal override(ERC20, RWATransferRules) {
        super._update(from, to, value);
    }
}
