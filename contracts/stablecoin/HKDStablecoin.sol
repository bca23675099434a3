// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ZeroAddress} from "../compliance/Errors.sol";

/// @title HKD stablecoin (settlement leg for hktoken assets)
/// @notice A 6-decimal ERC-20 with EIP-2612 permit, issued by ISSUER_ROLE, with a compliance block-list and a pause.
/// Not KYC-gated: anyone not blocked may hold and transfer it.
/// @dev A blocked account can neither send nor receive, and cannot spend an allowance as `transferFrom` spender.
/// Pause (OpenZeppelin `ERC20Pausable`) stops every balance change, mint and burn included.
contract HKDStablecoin is ERC20, ERC20Permit, ERC20Pausable, AccessControl {
    /// @notice Mints and burns.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice Blocks and unblocks accounts.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    /// @notice Pauses and unpauses.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    mapping(address account => bool) private _blocked;

    /// @notice Emitted when an account is blocked.
    /// @param account The account.
    event AccountBlocked(address indexed account);
    /// @notice Emitted when an account is unblocked.
    /// @param account The account.
    event AccountUnblocked(address indexed account);

    /// @notice The account is blocked.
    error AccountIsBlocked(address account);

    /// @notice Deploys the stablecoin ("HKD Stablecoin", "HKDS", 6 decimals).
    /// @param admin Receives DEFAULT_ADMIN_ROLE only (grants the other roles).
    constructor(address admin) ERC20("HKD Stablecoin", "HKDS") ERC20Permit("HKD Stablecoin") {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Mints `amount` to `to`.
    /// @param to The recipient (must not be blocked).
    /// @param amount The amount (6 decimals).
    function mint(address to, uint256 amount) external onlyRole(ISSUER_ROLE) {
        _mint(to, amount);
    }

    /// @notice Burns `amount` from the caller's own balance.
    /// @param amount The amount (6 decimals).
    function burn(uint256 amount) external onlyRole(ISSUER_ROLE) {
        _burn(_msgSender(), amount);
    }

    /// @notice Blocks `account`: it can no longer send, receive or spend allowances.
    /// @param account The account.
    function blockAccount(address account) external onlyRole(COMPLIANCE_ROLE) {
        if (account == address(0)) revert ZeroAddress();
        _blocked[account] = true;
        emit AccountBlocked(account);
    }

    /// @notice Unblocks `account`.
    /// @param account The account.
    function unblockAccount(address account) external onlyRole(COMPLIANCE_ROLE) {
        if (account == address(0)) revert ZeroAddress();
        _blocked[account] = false;
        emit AccountUnblocked(account);
    }

    /// @notice Pauses every balance change.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Unpauses.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Whether `account` is blocked.
    /// @param account The account.
    /// @return True if blocked.
    function isBlocked(address account) external view returns (bool) {
        return _blocked[account];
    }

    /// @notice ERC-20 decimals: 6.
    /// @return 6.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @dev Every balance change: pause (ERC20Pausable) and the block-list on both sides.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Pausable) {
        if (_blocked[from]) revert AccountIsBlocked(from);
        if (_blocked[to]) revert AccountIsBlocked(to);
        super._update(from, to, value);
    }

    /// @dev A blocked spender cannot use `transferFrom`.
    function _spendAllowance(address owner, address spender, uint256 value) internal override {
        if (_blocked[spender]) revert AccountIsBlocked(spender);
        super._spendAllowance(owner, spender, value);
    }
}
