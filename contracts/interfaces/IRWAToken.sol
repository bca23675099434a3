// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC1404} from "./IERC1404.sol";
import {IERC7943Fungible} from "./IERC7943Fungible.sol";
import {IInvestorRegistry} from "./IInvestorRegistry.sol";
import {IRWATokenAdmin} from "./IRWATokenAdmin.sol";

/// @title hktoken security token
/// @notice What other contracts (settlement, asset workflows) may rely on: ERC-20, ERC-7943 (uRWA), ERC-1404, the
/// ERC-3643 operations and the administration surface. Every hktoken asset token implements it.
interface IRWAToken is IERC20, IERC7943Fungible, IERC1404, IRWATokenAdmin {
    /// @notice Emitted when an agent recovers the tokens of a lost wallet to a new wallet of the same investor.
    /// @param lostWallet The lost wallet.
    /// @param newWallet The new wallet.
    /// @param investorId The investor owning both wallets.
    event RecoverySuccess(address indexed lostWallet, address indexed newWallet, bytes32 indexed investorId);

    /// @notice A transfer, mint or agent action was refused with an ERC-1404 restriction `code`.
    error TransferRestricted(address from, address to, uint256 amount, uint8 code);
    /// @notice A forced transfer from an account to itself.
    error ForcedTransferToSameAccount(address account);
    /// @notice Both wallets must belong to `investorId` in the registry.
    error RecoveryInvestorMismatch(address lostWallet, address newWallet, bytes32 investorId);
    /// @notice The lost and new wallet are the same address.
    error RecoveryToSameWallet(address wallet);
    /// @notice The mint exceeds the issuer's remaining allowance.
    error MintRateLimitExceeded(address issuer, uint256 requested, uint256 available);
    /// @notice The issuer's minting is suspended.
    error MintingSuspended(address issuer);
    /// @notice The mint would take the total supply above 2^128 - 1.
    error SupplyOverflow(uint256 supply, uint256 amount);

    /// @notice The shared KYC registry.
    /// @return The registry.
    function registry() external view returns (IInvestorRegistry);

    /// @notice The issuer's treasury: exempt from verification, an always-open exit for holders.
    /// @return The treasury address.
    function treasury() external view returns (address);

    /// @notice Number of investors (not wallets) holding a non-zero balance.
    /// @return The holder count.
    function holderCount() external view returns (uint256);

    /// @notice Balance of an investor summed over every wallet it ever had (retired ones included).
    /// @param id The investor id.
    /// @return total The balance.
    function investorBalance(bytes32 id) external view returns (uint256 total);

    /// @notice ERC-3643: whether the whole address is frozen.
    /// @param account The wallet.
    /// @return True if frozen.
    function isFrozen(address account) external view returns (bool);

    /// @notice ERC-3643: mints `amount` to `to` (ISSUER_ROLE; restrictions first, then the issuer's rate limit).
    /// @param to The recipient.
    /// @param amount The amount.
    function mint(address to, uint256 amount) external;

    /// @notice ERC-3643: burns `amount` of `user` (ISSUER_ROLE).
    /// @param user The holder.
    /// @param amount The amount.
    function burn(address user, uint256 amount) external;

    /// @notice ERC-3643 wallet recovery (AGENT_ROLE).
    /// @param lostWallet The lost wallet.
    /// @param newWallet The new wallet of the same investor.
    /// @param investorId The investor owning both wallets.
    /// @return Always true (reverts on failure).
    function recoveryAddress(address lostWallet, address newWallet, bytes32 investorId) external returns (bool);
}
